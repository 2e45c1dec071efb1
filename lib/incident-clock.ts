/** When things happened to an incident: what the guardrails (budget, cooldown, stall) count from. */
import type { Incident, IncidentState, TransitionContext } from './types/incident.ts';

export const HOUR_MS = 3_600_000;

/** Time of the latest entry into `state`; the opening time when there is none. */
export function enteredAt(incident: Incident, state: IncidentState): string {
  return incident.timeline.findLast((e) => e.to === state && e.from !== state)?.at ?? incident.openedAt;
}

/** This incident's attempts and the service's earlier ones, de-duplicated, in epoch ms. */
export function remediationTimes(incident: Incident, ctx: TransitionContext): number[] {
  const all = new Set([...incident.remediations, ...(ctx.previousRemediations ?? [])]);
  return [...all].map((t) => Date.parse(t)).filter((t) => !Number.isNaN(t));
}

/** The remediation attempts recorded since the incident last entered `confirmed`, in epoch ms. */
export function attemptsSinceConfirmed(incident: Incident): number[] {
  const confirmedAt = Date.parse(enteredAt(incident, 'confirmed'));
  return incident.remediations.map((t) => Date.parse(t)).filter((t) => t >= confirmedAt);
}
