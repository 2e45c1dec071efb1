/**
 * Read-only listeners: those holding an element this version of lbguard cannot represent (an
 * action type, condition field or transform type added after it, kept verbatim in
 * `unrepresented`). lbguard still watches and diagnoses them and shows the plan it would make,
 * but never writes to them: a rule it recreated or modified would silently lose what it cannot
 * write back. Other listeners of the same load balancer are unaffected.
 */
import { canonicalJson, describeListener, describeRule } from './snapshot.ts';
import type { LbSnapshot, Listener } from './types.ts';

export interface ReadOnlyListener {
  readonly listenerArn: string;
  readonly port: number;
  /** `default action: action type jwt-foo`, `rule 10 (path /api/*): condition field bar`. */
  readonly elements: readonly string[];
}

/** What makes a listener read-only, one line per element; empty when it is writable. */
export function unrepresentedElements(listener: Listener): string[] {
  return [
    ...(listener.unrepresented ?? []).map((u) => `default action: ${u.element}`),
    ...listener.rules.flatMap((rule) =>
      (rule.unrepresented ?? []).map((u) => `${describeRule(rule)}: ${u.element}`),
    ),
  ];
}

/** The read-only listeners of a snapshot, by port. */
export function findReadOnlyListeners(snapshot: LbSnapshot): ReadOnlyListener[] {
  return snapshot.listeners
    .map((l) => ({ listenerArn: l.arn, port: l.port, elements: unrepresentedElements(l) }))
    .filter((l) => l.elements.length > 0)
    .sort((a, b) => a.port - b.port);
}

/**
 * Whether the read-only set differs between two snapshots (a listener became read-only, became
 * writable again, or holds other elements): what deserves one notification. A change inside an
 * element lbguard already reports as unrepresented is drift, not a change of the set.
 */
export function readOnlySetChanged(before: readonly ReadOnlyListener[], now: readonly ReadOnlyListener[]) {
  return canonicalJson(before) !== canonicalJson(now);
}

/** Why a plan leaves a read-only listener alone, as the plan and the notification say it. */
export function readOnlyReason(listener: Pick<Listener, 'port'>): string {
  return `${describeListener(listener)} is guarded read-only: it holds an element lbguard cannot represent, which a write could drop; restore it by hand or upgrade lbguard`;
}
