/**
 * Approve mode (README "Approval"): a plan's steps split into those the policy trusts and those
 * that wait for a person, and the decision remediate takes on what it finds recorded. Pure: the
 * flow (lambdas/flows/approval.ts) reads the incident and the live load balancer and acts.
 *
 * An approval binds three things: the hash of the held steps, the hash of the live snapshot they
 * were planned against, and an expiry. Any of them moving means the person approved something
 * other than what would now be done, so lbguard asks again rather than apply.
 */
import type { PendingApproval } from './types/incident.ts';
import type { ApprovalPolicy, PlanStep } from './types.ts';

export type { PendingApproval } from './types/incident.ts';

const MINUTE_MS = 60_000;
/** The shortest prefix of a plan hash `lbguard approve` accepts: what notifications show. */
export const SHORT_HASH = 12;

/** A plan's steps as approve mode runs them. */
export interface SplitPlan {
  /** Applied at once, under the usual guardrails. */
  readonly trusted: readonly PlanStep[];
  /** Applied only once approved. */
  readonly held: readonly PlanStep[];
}

/**
 * Splits a plan into the steps `policy.trustedSteps` lets run unasked and the steps that wait.
 * Trusted steps are only the leading run of trusted kinds: a plan orders every step after the
 * steps it relies on (targets before the routes that send traffic to them), so a trusted step
 * that follows a held one may rely on it and is held too.
 */
export function splitPlan(
  steps: readonly PlanStep[],
  policy: Pick<ApprovalPolicy, 'trustedSteps'>,
): SplitPlan {
  const trusted = new Set(policy.trustedSteps);
  const cut = steps.findIndex((s) => !trusted.has(s.op));
  if (cut === -1) return { trusted: steps, held: [] };
  return { trusted: steps.slice(0, cut), held: steps.slice(cut) };
}

/** The exact command that approves a plan, as notifications and `lbguard incidents` print it. */
export function approveCommand(service: string, planHash: string): string {
  return `lbguard approve ${service} ${planHash}`;
}

/** A fresh request for approval of `planHash`, planned against `snapshotHash`, asked at `at`. */
export function askApproval(input: {
  readonly service: string;
  readonly planHash: string;
  readonly snapshotHash: string;
  readonly steps: readonly string[];
  readonly at: string;
  readonly policy: Pick<ApprovalPolicy, 'expiresAfterMinutes'>;
}): PendingApproval {
  const expires = Date.parse(input.at) + input.policy.expiresAfterMinutes * MINUTE_MS;
  return {
    planHash: input.planHash,
    snapshotHash: input.snapshotHash,
    askedAt: input.at,
    expiresAt: new Date(expires).toISOString(),
    steps: input.steps,
  };
}

/** Why a recorded approval cannot be used as it is. */
export type StaleReason = 'expired' | 'snapshot-changed' | 'plan-changed';

/** What remediate does about the held steps of the plan it just made under the lock. */
export type ApprovalDecision =
  /** Approved, unexpired, same plan against the same load balancer: apply it (once). */
  | { readonly kind: 'apply'; readonly approvedBy: string }
  /** Asked already for exactly this and not yet answered: nothing new to say. */
  | { readonly kind: 'wait' }
  /** Nothing asked yet, or what was asked (approved or not) no longer holds: ask for this plan. */
  | { readonly kind: 'ask'; readonly stale?: StaleReason };

/**
 * The decision for the held steps hashing to `planHash`, planned against the live snapshot
 * hashing to `snapshotHash`, at `now`, given what the incident records. Expiry is judged first
 * (an old approval is refused whatever else holds), then the load balancer, then the plan.
 */
export function decideApproval(input: {
  readonly pending: PendingApproval | undefined;
  readonly planHash: string;
  readonly snapshotHash: string;
  readonly now: string;
}): ApprovalDecision {
  const { pending } = input;
  if (pending === undefined) return { kind: 'ask' };
  if (Date.parse(input.now) >= Date.parse(pending.expiresAt)) return { kind: 'ask', stale: 'expired' };
  if (pending.snapshotHash !== input.snapshotHash) return { kind: 'ask', stale: 'snapshot-changed' };
  if (pending.planHash !== input.planHash) return { kind: 'ask', stale: 'plan-changed' };
  return pending.approvedBy === undefined
    ? { kind: 'wait' }
    : { kind: 'apply', approvedBy: pending.approvedBy };
}

/** Why an approval is refused, in a sentence for the notification that asks again. */
export function describeStale(reason: StaleReason, pending: PendingApproval): string {
  switch (reason) {
    case 'expired':
      return `the request for plan ${pending.planHash.slice(0, SHORT_HASH)} expired at ${pending.expiresAt}`;
    case 'snapshot-changed':
      return `the load balancer changed since plan ${pending.planHash.slice(0, SHORT_HASH)} was made (snapshot ${pending.snapshotHash.slice(0, SHORT_HASH)} is no longer live)`;
    case 'plan-changed':
      return `the plan is no longer ${pending.planHash.slice(0, SHORT_HASH)}: target health or last known good changed what restoring needs`;
  }
}

/** Whether `given` (the full hash or a prefix of at least `SHORT_HASH` characters) names `planHash`. */
export function namesPlan(given: string, planHash: string): boolean {
  return given.length >= SHORT_HASH && /^[0-9a-f]+$/.test(given) && planHash.startsWith(given);
}

/** The one nudge due for an unanswered request, if any. */
export type Nudge = 'remind' | 'escalate';

/**
 * The reminder or escalation due now for a request nobody has approved: each is sent once (the
 * incident records when), the escalation supersedes a reminder not yet sent, and neither is sent
 * once the request has expired (remediate asks again then) or been approved.
 */
export function dueNudge(
  pending: PendingApproval,
  now: string,
  policy: Pick<ApprovalPolicy, 'remindAfterMinutes' | 'escalateAfterMinutes'>,
): Nudge | undefined {
  if (pending.approvedBy !== undefined || pending.escalatedAt !== undefined) return undefined;
  const t = Date.parse(now);
  if (t >= Date.parse(pending.expiresAt)) return undefined;
  const waited = t - Date.parse(pending.askedAt);
  if (waited >= policy.escalateAfterMinutes * MINUTE_MS) return 'escalate';
  if (waited >= policy.remindAfterMinutes * MINUTE_MS && pending.remindedAt === undefined) return 'remind';
  return undefined;
}

/** Whether an incident's request for approval still waits for a person at `now`. */
export function awaitingApproval(pending: PendingApproval | undefined, now: string): boolean {
  return (
    pending !== undefined &&
    pending.approvedBy === undefined &&
    Date.parse(now) < Date.parse(pending.expiresAt)
  );
}
