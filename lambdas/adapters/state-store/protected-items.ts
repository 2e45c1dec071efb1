import { LbGuardError } from '../../../lib/errors.ts';
import {
  checkStoredSnapshot,
  describeItem,
  macMessage,
  type ProtectedItem,
  StateIntegrityError,
} from '../../../lib/state-integrity.ts';
import type { StoredSnapshot } from '../../../lib/types.ts';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts';
import type { StateSigner } from './state-signer.ts';

// Snapshots and last known good in and out of the table: each written with a MAC over its
// identity and hash, each read back checked (shape, hash, MAC) before anyone may build on it.

/** Verified (message, MAC) pairs: an unchanged item is verified once per container, not per read. */
const VERIFIED_CACHE_MAX = 256;

export class ProtectedItems {
  readonly #signer: StateSigner | undefined;
  readonly #verified = new Set<string>();

  constructor(signer: StateSigner | undefined) {
    this.#signer = signer;
  }

  /** The attributes that carry a snapshot and its MAC. */
  async encode(item: ProtectedItem, stored: StoredSnapshot): Promise<Record<string, unknown>> {
    const mac = await this.#requireSigner(item).sign(macMessage(item));
    return { hash: stored.hash, takenAt: stored.takenAt, mac, ...encodeSnapshot(stored.snapshot) };
  }

  /**
   * The snapshot in `attributes`, once its shape, hash and MAC check out; `StateIntegrityError`
   * naming the item and what failed otherwise. `identity` is what the item claims to be (kind and
   * service from where it was read, the rest from its attributes).
   */
  async decode(
    kind: ProtectedItem['kind'],
    service: string,
    attributes: Record<string, unknown>,
    extra: Pick<ProtectedItem, 'promotedAt' | 'reason'> = {},
  ): Promise<StoredSnapshot> {
    const name = describeItem(kind, service);
    const { hash, takenAt, mac } = attributes;
    if (typeof hash !== 'string' || typeof takenAt !== 'string') {
      throw new StateIntegrityError(name, 'it has no hash or time');
    }
    if (typeof mac !== 'string' || mac === '') {
      throw new StateIntegrityError(name, 'it carries no MAC (written by something other than lbguard)');
    }
    let raw: unknown;
    try {
      raw = decodeSnapshot(attributes);
    } catch {
      throw new StateIntegrityError(name, 'its snapshot is not readable JSON');
    }
    const snapshot = checkStoredSnapshot(raw, hash, name);
    const identity: ProtectedItem = { kind, service, hash, takenAt, ...extra };
    const message = macMessage(identity);
    const key = `${message}\n${mac}`;
    if (!this.#verified.has(key)) {
      if (!(await this.#requireSigner(identity).verify(message, mac))) {
        throw new StateIntegrityError(
          name,
          'its MAC does not verify: it was not written by lbguard as it is now',
        );
      }
      if (this.#verified.size >= VERIFIED_CACHE_MAX) this.#verified.clear();
      this.#verified.add(key);
    }
    return { hash, takenAt, snapshot };
  }

  #requireSigner(item: ProtectedItem): StateSigner {
    if (this.#signer === undefined) {
      // A wiring mistake, not tampering: no incident, the invocation fails loudly.
      throw new LbGuardError(
        `lbguard: cannot read or write the ${describeItem(item.kind, item.service)} without the state key ` +
          '(set LBGUARD_STATE_KEY, or --state-key for the CLI: the stack output StateKeyArn)',
      );
    }
    return this.#signer;
  }
}
