import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  checkRegistry,
  type EnrolmentRegistry,
  type RegistryBody,
  registryMacMessage,
} from '../../../lib/fleet/registry.ts';
import type { Scope } from '../../../lib/fleet/scope.ts';
import { call } from '../aws-call.ts';
import { fromItem, toItem } from './attributes.ts';
import { ENROLMENT_PREFIX, ENROLMENT_SK } from './layout.ts';
import type { StateSigner } from './state-signer.ts';

// The enrolment registry (lib/fleet/registry.ts) in the state table: one item per account and
// region, its body signed with the state key as snapshots are, each write conditioned on the
// version it read so two sweeps never interleave. Reading here (every function); writing in
// enrolment-registry-writer.ts (the enrol function alone), so no other bundle carries it.

export type RegistryRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'read'; readonly registry: EnrolmentRegistry }
  /** The item failed a check: never used; `version` lets the enrol function write over it. */
  | { readonly kind: 'refused'; readonly problem: string; readonly version?: number };

export interface RegistryReader {
  read(scope: Scope): Promise<RegistryRead>;
}

export interface RegistryStore extends RegistryReader {
  /**
   * Writes `body` as version `expectVersion + 1` (1 when nothing was stored) if the stored
   * version is still `expectVersion`; `written: false` when another sweep wrote first.
   */
  write(
    scope: Scope,
    body: RegistryBody,
    expectVersion: number | undefined,
  ): Promise<{ readonly written: boolean }>;
}

export function registryKey(scope: Scope): Record<string, string> {
  return { pk: `${ENROLMENT_PREFIX}${scope.account}#${scope.region}`, sk: ENROLMENT_SK };
}

export class DynamoDbRegistryReader implements RegistryReader {
  protected readonly db: DynamoDBClient;
  protected readonly table: string;
  protected readonly signer: StateSigner;
  /** The last (message, MAC) verified: an unchanged registry costs one KMS call per container. */
  #verified = '';

  constructor(dynamodb: DynamoDBClient, tableName: string, signer: StateSigner) {
    this.db = dynamodb;
    this.table = tableName;
    this.signer = signer;
  }

  async read(scope: Scope): Promise<RegistryRead> {
    const out = await call('GetItem', () =>
      this.db.send(
        new GetItemCommand({ TableName: this.table, Key: toItem(registryKey(scope)), ConsistentRead: true }),
      ),
    );
    if (out.Item === undefined) return { kind: 'absent' };
    const item = fromItem(out.Item);
    const { version, body, mac } = item;
    const known =
      typeof version === 'number' && Number.isInteger(version) && version > 0 ? version : undefined;
    const refuse = (problem: string): RegistryRead =>
      known === undefined ? { kind: 'refused', problem } : { kind: 'refused', problem, version: known };
    if (known === undefined || typeof body !== 'string') return refuse('it has no version or body');
    if (typeof mac !== 'string' || mac === '') return refuse('it carries no MAC (not written by lbguard)');
    const message = registryMacMessage(scope, known, body);
    if (this.#verified !== `${message} ${mac}`) {
      if (!(await this.signer.verify(message, mac))) {
        return refuse('its MAC does not verify: it was not written by lbguard as it is now');
      }
      this.#verified = `${message} ${mac}`;
    }
    const checked = checkRegistry(body, scope, known);
    return checked.ok ? { kind: 'read', registry: checked.registry } : refuse(checked.problem);
  }
}
