// How faithfully the drill's data plane (HAProxy) follows the control plane (moto). ALB's API
// accepting a write is not its data plane serving it: canary tools that steer weights have met
// traffic that had not moved yet, and a data plane that did not move at all. The sync passes every
// state it reads through a gate, which hands back the state HAProxy should route by now.

/**
 * - `follow`: every change is applied on the next sync pass (the default, as before).
 * - `delayed`: a change is applied only once `delayMs` (drill ms) have passed since the sync
 *   first read it; changes keep their order.
 * - `stuck`: nothing read from now on is applied; HAProxy keeps routing by what it has while
 *   the control plane reports the new configuration.
 */
export type DataPlaneFollowing =
  | { readonly mode: 'follow' }
  | { readonly mode: 'delayed'; readonly delayMs: number }
  | { readonly mode: 'stuck' };

/** `follows 2.00 s late`: the mode in words, for marks and reports. */
export function describeFollowing(f: DataPlaneFollowing): string {
  switch (f.mode) {
    case 'follow':
      return 'follows the control plane';
    case 'delayed':
      return `follows the control plane ${(f.delayMs / 1000).toFixed(2)} s late`;
    case 'stuck':
      return 'no longer follows the control plane';
  }
}

/** A clear error for a bad setting, naming the field and the fix. */
export function checkFollowing(f: DataPlaneFollowing): DataPlaneFollowing {
  if (f.mode === 'delayed' && !(Number.isFinite(f.delayMs) && f.delayMs >= 0)) {
    throw new Error(
      `dataPlane.delayMs must be a finite number of drill ms ≥ 0 (got ${f.delayMs}); use { mode: 'follow' } for no delay`,
    );
  }
  return f;
}

interface Pending<T> {
  readonly readAt: number;
  readonly key: string;
  readonly state: T;
}

/** A state the gate lets through, with the time its first read began. */
export interface Admitted<T> {
  readonly state: T;
  readonly readAt: number;
}

/**
 * The gate between what the sync reads and what it applies. Pure bookkeeping: times are
 * arguments, states are compared by `key` (a change is one new key).
 */
export class FollowingGate<T> {
  #following: DataPlaneFollowing;
  readonly #key: (state: T) => string;
  #pending: Pending<T>[] = [];

  constructor(key: (state: T) => string, following: DataPlaneFollowing = { mode: 'follow' }) {
    this.#key = key;
    this.#following = checkFollowing(following);
  }

  get following(): DataPlaneFollowing {
    return this.#following;
  }

  /** States read but not applied yet (delayed mode). */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Changes the mode from now on. Entering `delayed` starts with nothing pending, so what is
   * applied stays until a change has waited its delay; `stuck` and `follow` drop what was pending.
   */
  set(following: DataPlaneFollowing): void {
    this.#following = checkFollowing(following);
    this.#pending = [];
  }

  /**
   * Offers a state read at `readAt`; returns the state to apply at `now`, or undefined to keep
   * routing by what is applied already.
   */
  offer(state: T, readAt: number, now: number): Admitted<T> | undefined {
    const f = this.#following;
    switch (f.mode) {
      case 'follow':
        return { state, readAt };
      case 'stuck':
        return undefined;
      case 'delayed': {
        const key = this.#key(state);
        // The first read of a state is when the change reached the sync; later reads of the
        // same state do not restart its clock.
        if (this.#pending.at(-1)?.key !== key) this.#pending.push({ readAt, key, state });
        let due = -1;
        this.#pending.forEach((p, i) => {
          if (p.readAt <= now - f.delayMs) due = i;
        });
        if (due < 0) return undefined;
        const chosen = this.#pending[due];
        // The chosen state stays pending (as the newest applied) so a repeat read is no change.
        this.#pending = this.#pending.slice(due);
        return chosen === undefined ? undefined : { state: chosen.state, readAt: chosen.readAt };
      }
    }
  }
}
