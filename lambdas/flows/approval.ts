import {
  approveCommand,
  askApproval,
  decideApproval,
  describeStale,
  dueNudge,
  namesPlan,
  type PendingApproval,
  splitPlan,
} from '../../lib/approval.ts';
import type { ServiceConfig } from '../../lib/config/index.ts';
import { diffSnapshots } from '../../lib/drift.ts';
import type { Incident, TimelineEntry } from '../../lib/incident.ts';
import { approvalNudgeNotification, approvalRequestNotification } from '../../lib/messages.ts';
import { describeStep, type PlanOutcome, planHash } from '../../lib/plan.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import type { Plan, PlanStep } from '../../lib/types.ts';
import type { ApplyOnce } from '../adapters/apply-once.ts';
import type { Now } from '../adapters/clock.ts';
import type { LoadBalancerState, LoadBalancerWriter } from '../adapters/elbv2/ports.ts';
import type { Log } from '../adapters/log.ts';
import type { MetricsSink } from '../adapters/metrics-sink.ts';
import type { Notifier } from '../adapters/notifier.ts';
import type { PlannedSnapshotStore } from '../adapters/state-store/planned-snapshots.ts';
import type { IncidentStore } from '../adapters/state-store/ports.ts';
import type { RemediateRequest } from '../runtime/remediate-events.ts';

// Approve mode inside remediate, under its lock (lib/approval.ts decides): trusted steps run,
// held steps wait on the incident for `lbguard approve`, and an approval is consumed by one
// conditional write, so two runs handed the same approval apply it once.

export interface ApprovalDeps {
  readonly store: IncidentStore;
  readonly planned: PlannedSnapshotStore;
  readonly writer: LoadBalancerWriter;
  readonly notifier: Notifier;
  readonly applyOnce: ApplyOnce;
  readonly metrics: MetricsSink;
  readonly logger: Log;
  readonly now: Now;
}

/** Whether remediate goes on to apply the plan (and verify), or stops here. */
export type ApprovalGate =
  | {
      readonly kind: 'proceed';
      readonly incident: Incident;
      /** What to apply now: the plan given, or what the re-plan after trusted steps left. */
      readonly plan: Plan | undefined;
      readonly notes: readonly string[];
    }
  | {
      readonly kind: 'held';
      readonly planHash: string;
      /** Trusted steps applied by this run. */
      readonly applied: readonly string[];
      /** Set when the run refused to apply (the approval was used by another run). */
      readonly refused?: string;
    };

/**
 * Approve mode's gate before remediate applies `plan`: proceed when nothing is held or the held
 * steps carry an approval that still binds (consumed here); otherwise run the trusted steps, and
 * ask (again) for the rest, saying what changed since an earlier request. `replan` re-reads the
 * live load balancer after trusted steps, so the request binds to what is live once they ran.
 */
export async function gateOnApproval(
  input: {
    readonly service: ServiceConfig;
    readonly incident: Incident;
    readonly plan: Plan;
    readonly live: LoadBalancerState;
    readonly replan: () => Promise<{ readonly live: LoadBalancerState; readonly outcome: PlanOutcome }>;
  },
  deps: ApprovalDeps,
): Promise<ApprovalGate> {
  const { service, incident, plan, live } = input;
  const policy = service.remediation.approval;
  const split = splitPlan(plan.steps, policy);
  if (split.held.length === 0) return { kind: 'proceed', incident, plan, notes: [] };
  const held = planHash(split.held);
  const snapshotHash = hashSnapshot(live.snapshot);
  const at = deps.now().toISOString();
  const decision = decideApproval({ pending: incident.approval, planHash: held, snapshotHash, now: at });
  switch (decision.kind) {
    case 'apply': {
      const note = `applying plan ${held}, approved by ${decision.approvedBy}`;
      // The conditional write is the consumption: a second run handed the same approval finds it gone.
      const consumed = await update(deps.store, incident, (i) => {
        const a = i.approval;
        if (a?.approvedBy === undefined || a.planHash !== held || a.snapshotHash !== snapshotHash)
          return undefined;
        const { approval: _used, ...rest } = i;
        return entry(rest, at, `Approval consumed: ${note}`, a.steps);
      });
      if (consumed === undefined) {
        return {
          kind: 'held',
          planHash: held,
          applied: [],
          refused: 'the approval was already used by another run',
        };
      }
      return { kind: 'proceed', incident: consumed, plan, notes: [`approved: ${note}`] };
    }
    case 'wait':
      deps.logger.info('plan awaits approval; asked already', { incidentId: incident.id, planHash: held });
      return { kind: 'held', planHash: held, applied: [] };
    case 'ask':
      break;
  }
  const changes =
    decision.stale === 'snapshot-changed' ? await changedSince(service.name, incident.id, live, deps) : [];
  const applied =
    split.trusted.length === 0 ? [] : await applyTrusted(incident.id, split.trusted, live, deps);
  // Trusted steps moved the load balancer: the request binds to what is live after them.
  const after =
    applied.length === 0 ? { live, outcome: { kind: 'plan', plan } as const } : await input.replan();
  if (after.outcome.kind === 'rejected') {
    const { reason, detail } = after.outcome;
    return {
      kind: 'held',
      planHash: held,
      applied,
      refused: `re-plan after the trusted steps rejected (${reason}): ${detail}`,
    };
  }
  const next = after.outcome.kind === 'plan' ? after.outcome.plan : undefined;
  const now = next === undefined ? [] : splitPlan(next.steps, policy).held;
  if (now.length === 0) {
    // The trusted steps left nothing that needs a person: what is left (if anything) is trusted.
    return {
      kind: 'proceed',
      incident,
      plan: next,
      notes: [`applied without approval: ${applied.join('; ')}`],
    };
  }
  const pending = askApproval({
    service: service.name,
    planHash: planHash(now),
    snapshotHash: hashSnapshot(after.live.snapshot),
    steps: now.map((s) => describeStep(s, after.live.snapshot)),
    at,
    policy,
  });
  await deps.planned.putPlannedSnapshot(service.name, incident.id, after.live.snapshot);
  const why =
    decision.stale === undefined || incident.approval === undefined
      ? undefined
      : describeStale(decision.stale, incident.approval);
  const asked = await update(deps.store, incident, (i) =>
    entry(
      { ...i, approval: pending },
      at,
      `Awaiting approval of plan ${pending.planHash}${why === undefined ? '' : ` (asked again: ${why})`}`,
      [
        ...applied.map((a) => `applied without approval: ${a}`),
        ...changes.map((c) => `changed since the plan: ${c}`),
        ...pending.steps,
      ],
    ),
  );
  await deps.notifier.notify(
    approvalRequestNotification({
      incident: asked ?? incident,
      pending,
      trustedApplied: applied,
      ...(why === undefined ? {} : { stale: { why, changes } }),
    }),
  );
  deps.logger.info('plan awaits approval', {
    incidentId: incident.id,
    planHash: pending.planHash,
    stale: decision.stale,
  });
  return { kind: 'held', planHash: pending.planHash, applied };
}

/** One line per difference between the snapshot the earlier request was planned against and now. */
async function changedSince(
  service: string,
  incidentId: string,
  live: LoadBalancerState,
  deps: ApprovalDeps,
): Promise<string[]> {
  const planned = await deps.planned.getPlannedSnapshot(service, incidentId);
  if (planned === undefined)
    return ['the snapshot the plan was made against was not kept; compare with lbguard diff'];
  const lines = diffSnapshots(live.snapshot, planned).map((d) => d.summary);
  return lines.length === 0 ? ['nothing lbguard models as routing (the snapshot hash still moved)'] : lines;
}

async function applyTrusted(
  incidentId: string,
  steps: readonly PlanStep[],
  live: LoadBalancerState,
  deps: ApprovalDeps,
): Promise<readonly string[]> {
  const record = await deps.applyOnce.run({ incidentId, planHash: planHash(steps) }, async () => {
    const done: string[] = [];
    for (const step of steps) {
      await deps.writer.apply(step);
      done.push(describeStep(step, live.snapshot));
    }
    return { applied: done };
  });
  return record.applied;
}

/**
 * Inspect's scheduled look at a request nobody answered: one reminder, then one escalation, each
 * recorded on the incident before it is sent so a concurrent run never sends it twice.
 */
export async function nudgeApproval(
  service: ServiceConfig,
  incident: Incident,
  at: string,
  deps: Pick<ApprovalDeps, 'store' | 'notifier' | 'metrics' | 'logger'>,
): Promise<void> {
  const pending = incident.approval;
  if (pending === undefined || service.remediation.mode !== 'approve') return;
  const nudge = dueNudge(pending, at, service.remediation.approval);
  if (nudge === undefined) return;
  const mark: Partial<PendingApproval> = nudge === 'remind' ? { remindedAt: at } : { escalatedAt: at };
  const written = await update(deps.store, incident, (i) =>
    i.approval?.planHash === pending.planHash &&
    dueNudge(i.approval, at, service.remediation.approval) === nudge
      ? entry(
          { ...i, approval: { ...i.approval, ...mark } },
          at,
          `Approval ${nudge === 'remind' ? 'reminder' : 'escalation'} sent for plan ${pending.planHash}`,
          [],
        )
      : undefined,
  );
  if (written === undefined) return;
  await deps.notifier.notify(approvalNudgeNotification(written, pending, nudge));
  if (nudge === 'escalate')
    deps.metrics.emit(service.name, [{ name: 'IncidentEscalated', unit: 'Count', value: 1 }]);
  deps.logger.info('approval nudge sent', { incidentId: incident.id, nudge });
}

function entry(incident: Incident, at: string, what: string, evidence: readonly string[]): Incident {
  const line: TimelineEntry = { at, from: incident.state, to: incident.state, what, evidence };
  return { ...incident, updatedAt: at, timeline: [...incident.timeline, line] };
}

/**
 * Writes `change(incident)` conditionally on the incident being unchanged since read; on a race,
 * re-applies `change` to what the other writer stored. `change` returning undefined abandons the
 * write (what it needed no longer holds); so does a third lost race.
 */
export async function update(
  store: IncidentStore,
  incident: Incident,
  change: (i: Incident) => Incident | undefined,
): Promise<Incident | undefined> {
  let base = incident;
  for (let attempt = 0; attempt < 3; attempt++) {
    const next = change(base);
    if (next === undefined) return undefined;
    // Two writes in the same millisecond would leave `updatedAt` unchanged and the condition blind.
    const stamped =
      next.updatedAt === base.updatedAt
        ? { ...next, updatedAt: new Date(Date.parse(next.updatedAt) + 1).toISOString() }
        : next;
    const put = await store.putIncident(stamped, { expectUpdatedAt: base.updatedAt });
    if (put.written) return stamped;
    if (put.current === undefined) return undefined;
    base = put.current;
  }
  return undefined;
}

/** What `lbguard approve` did: recorded (or found) the approval to hand off, or refused. */
export type RecordApprovalOutcome =
  | {
      readonly kind: 'recorded';
      readonly incident: Incident;
      readonly request: RemediateRequest;
      /** Set when someone had approved this plan already: who (the hand-off is repeated). */
      readonly alreadyBy?: string;
    }
  | {
      readonly kind: 'refused';
      /** Why, for a caller that answers by kind (the approval endpoint's 409). */
      readonly cause: RefusedCause;
      readonly reason: string;
      readonly hint: string;
    };

/**
 * Nothing waits for approval; the hash names another plan; the request expired; or the request
 * changed while this approval was being written.
 */
export type RefusedCause = 'nothing-pending' | 'other-plan' | 'expired' | 'changed';

/**
 * Records `approver`'s approval of the plan awaiting approval on `service`'s open incident, named
 * by its hash (or a prefix of at least 12 characters), conditionally on the incident being as
 * read; refuses a plan that is not the one asked about, or a request that has expired.
 */
export async function recordApproval(
  input: { readonly service: string; readonly given: string; readonly approver: string; readonly at: string },
  store: IncidentStore,
): Promise<RecordApprovalOutcome> {
  const { service, given, approver, at } = input;
  const open = await store.getOpenIncident(service);
  const pending = open?.approval;
  if (open === undefined || pending === undefined) {
    return {
      kind: 'refused',
      cause: 'nothing-pending',
      reason: `no plan of ${service} awaits approval`,
      hint: `see what lbguard is doing: lbguard incidents --service ${service}`,
    };
  }
  if (!namesPlan(given, pending.planHash)) {
    return {
      kind: 'refused',
      cause: 'other-plan',
      reason: `${given} is not the plan awaiting approval on ${service} (incident ${open.id} waits for plan ${pending.planHash})`,
      hint: `check the plan, then: ${approveCommand(service, pending.planHash)}`,
    };
  }
  if (Date.parse(at) >= Date.parse(pending.expiresAt)) {
    return {
      kind: 'refused',
      cause: 'expired',
      reason: `the request for plan ${pending.planHash} expired at ${pending.expiresAt}`,
      hint: 'lbguard plans again from the live load balancer and asks again at its next inspection',
    };
  }
  const request: RemediateRequest = {
    kind: 'remediate',
    service,
    incidentId: open.id,
    planHash: pending.planHash,
    requestedAt: at,
  };
  if (pending.approvedBy !== undefined) {
    return { kind: 'recorded', incident: open, request, alreadyBy: pending.approvedBy };
  }
  const approved = await update(store, open, (i) =>
    i.approval?.planHash === pending.planHash && i.approval.approvedBy === undefined
      ? entry(
          { ...i, approval: { ...i.approval, approvedBy: approver, approvedAt: at } },
          at,
          `Plan ${pending.planHash} approved by ${approver}`,
          [],
        )
      : undefined,
  );
  if (approved !== undefined) return { kind: 'recorded', incident: approved, request };
  // Lost a race: another approval of the same plan is as good as ours; anything else is news.
  const now = await store.getIncident(service, open.id);
  if (now?.approval?.planHash === pending.planHash && now.approval.approvedBy !== undefined) {
    return { kind: 'recorded', incident: now, request, alreadyBy: now.approval.approvedBy };
  }
  return {
    kind: 'refused',
    cause: 'changed',
    reason: `the request for plan ${pending.planHash} changed while it was being approved`,
    hint: `see what lbguard is doing: lbguard incidents --service ${service}`,
  };
}
