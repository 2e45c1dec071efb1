import { plural } from './format.ts';
import {
  enteredAt,
  HOUR_MS,
  type Incident,
  isActive,
  remediationTimes,
  type TransitionContext,
} from './incident.ts';

/** Whether remediate may act on an incident it was asked to remediate (`admitRemediation`). */
export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly reason: string };

/**
 * Remediate's own check of the guardrails inspect applied when it asked for remediation: a
 * request is a message on a topic, not an authority. The incident must be under way (confirmed,
 * mitigating or verifying) and must record the attempt inspect (or an operator's restore) decided
 * since it was confirmed; that attempt must have respected the hourly budget and the cooldown
 * against every earlier attempt of the service. A request that arrives without such a decision,
 * forged or replayed, is refused.
 */
export function admitRemediation(incident: Incident, ctx: TransitionContext): Admission {
  if (!isActive(incident.state)) return { admitted: false, reason: `incident is ${incident.state}` };
  const confirmedAt = Date.parse(enteredAt(incident, 'confirmed'));
  const decided = incident.remediations.map((t) => Date.parse(t)).filter((t) => t >= confirmedAt);
  if (decided.length === 0) {
    return {
      admitted: false,
      reason: `no remediation was decided for incident ${incident.id} since it was confirmed`,
    };
  }
  const attempt = Math.max(...decided);
  const earlier = remediationTimes(incident, ctx).filter((t) => t < attempt);
  const lastHour = earlier.filter((t) => attempt - t < HOUR_MS).length;
  if (lastHour >= ctx.policy.maxPerHour) {
    return {
      admitted: false,
      reason: `the attempt at ${new Date(attempt).toISOString()} exceeds the hourly budget (${plural(lastHour, 'remediation')} in the hour before it, maxPerHour ${ctx.policy.maxPerHour})`,
    };
  }
  const latest = Math.max(Number.NEGATIVE_INFINITY, ...earlier);
  if (attempt - latest < ctx.policy.cooldownSeconds * 1000) {
    return {
      admitted: false,
      reason: `the attempt at ${new Date(attempt).toISOString()} falls in the cooldown after ${new Date(latest).toISOString()} (cooldownSeconds ${ctx.policy.cooldownSeconds})`,
    };
  }
  return { admitted: true };
}
