import { attemptsSinceConfirmed } from './incident-clock.ts';
import type { Incident } from './types/incident.ts';

/** What an inspection woken by a CloudTrail event does for one service. */
export type EventInspection =
  | { readonly kind: 'observe' }
  | { readonly kind: 'record-only'; readonly why: string };

/**
 * Whether an inspection woken by a CloudTrail event observes the load balancer, or only records
 * the change. While lbguard's own remediation of an incident that already names who made the
 * change is in flight (handed to remediate within the stall window, mitigating, or verifying), a
 * further event adds nothing the incident needs: remediate re-reads the live load balancer under
 * its lock before it writes and verifies after, the recorded change attributes it, and the next
 * scheduled inspection observes whatever it did. Observing anyway spends the account's ELBv2
 * Describe rate beside remediate's calls: a deployment's three calls woke three full inspections
 * that delayed remediate's first write by ~0.4 s in the drill (README "The seed outage").
 * `at` is the inspection's time; `verifyDeadlineSeconds` the service's policy.
 */
export function judgeEventInspection(
  open: Incident | undefined,
  at: string,
  verifyDeadlineSeconds: number,
): EventInspection {
  if (open === undefined || open.diagnosis?.firstChange === undefined) return { kind: 'observe' };
  switch (open.state) {
    case 'mitigating':
    case 'verifying':
      return { kind: 'record-only', why: `remediation of ${open.id} is ${open.state}` };
    case 'confirmed': {
      // A hand-off older than the stall window may have been lost: observe, so the guardrails run.
      const since = Date.parse(at) - 2 * verifyDeadlineSeconds * 1000;
      const handedOff = attemptsSinceConfirmed(open).some((ms) => ms >= since);
      return handedOff
        ? {
            kind: 'record-only',
            why: `remediation of ${open.id} was handed off at ${open.remediations.at(-1)}`,
          }
        : { kind: 'observe' };
    }
    default:
      return { kind: 'observe' };
  }
}
