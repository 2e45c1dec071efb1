/** The shape of a drift rule and the wording its findings share. */
import { describeListener, describeRule } from '../snapshot.ts';
import type { Drift, DriftKind, LbSnapshot, Listener, Rule } from '../types.ts';
import { pairSnapshots, type SnapshotPairing } from './pairing.ts';

/** A pure drift check (cdk-nag style): one kind, an explicit id, no I/O. */
export interface DriftRule {
  readonly id: string;
  readonly kind: DriftKind;
  readonly description: string;
  check(current: LbSnapshot, lastGood: LbSnapshot): Drift[];
}

/** `listener :80 rule 10 (path /checkout/*)`: how a finding names a rule. */
export function ruleLabel(l: Listener, rule: Rule): string {
  return `${describeListener(l)} ${describeRule(rule)}`;
}

/** A drift rule whose findings carry its id and kind; `find` sees the two snapshots paired up. */
export function defineRule(
  id: string,
  kind: DriftKind,
  description: string,
  find: (p: SnapshotPairing) => Omit<Drift, 'ruleId' | 'kind'>[],
): DriftRule {
  return {
    id,
    kind,
    description,
    check: (current, lastGood) =>
      find(pairSnapshots(current, lastGood)).map((d) => ({ ruleId: id, kind, ...d })),
  };
}
