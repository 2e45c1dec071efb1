import { afterEach, describe, expect, it } from 'vitest';
import { recordApproval } from '../../lambdas/flows/approval.ts';
import type { RemediateRequest } from '../../lambdas/runtime/events.ts';
import type { LbGuardConfigInput } from '../../lib/config/index.ts';
import { outageShop } from '../support/elbv2-fixtures.ts';
import { createMotoWorld, type MotoWorld } from '../support/moto-lambdas.ts';
import { confirmedSeedOutage } from '../support/moto-outage.ts';

// Approve mode against moto: the held steps of a plan wait on the incident until `lbguard approve`
// records an approval (recordApproval, the command's flow), and remediate applies only an
// approval that is unexpired, for the same plan, against the same live load balancer.

const ANA = 'arn:aws:sts::123456789012:assumed-role/oncall/ana';
const BO = 'arn:aws:sts::123456789012:assumed-role/oncall/bo';

let w: MotoWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

type Approval = NonNullable<NonNullable<LbGuardConfigInput['services'][number]['remediation']>['approval']>;

async function approveWorld(approval: Approval = {}): Promise<MotoWorld> {
  return createMotoWorld(outageShop, () => ({
    remediation: { mode: 'approve', verifyDeadlineSeconds: 30, approval },
  }));
}

/** Remediate asked for approval: the plan hash it asks about. */
async function asked(world: MotoWorld, request: RemediateRequest): Promise<string> {
  const out = await world.remediate(request);
  if (out.outcome !== 'awaiting-approval') throw new Error(`expected awaiting-approval, got ${out.outcome}`);
  return out.planHash;
}

async function approveAs(world: MotoWorld, approver: string, planHash: string) {
  const at = world.clock.now().toISOString();
  return recordApproval({ service: 'shop', given: planHash, approver, at }, world.runtime.store);
}

async function messageContaining(world: MotoWorld, text: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const found = world.deliveries.find((d) => d.Message.includes(text));
    if (found) return found.Message;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no notification contains ${text}`);
}

/** The seed outage confirmed; the hand-off is forgotten, so each test counts only its own. */
async function confirmedOutage(world: MotoWorld): Promise<RemediateRequest> {
  const request = await confirmedSeedOutage(world);
  world.invoker.requests.length = 0;
  return request;
}

describe('approve mode against moto', () => {
  it('holds every step until approved, then applies the plan and verifies', async () => {
    w = await approveWorld();
    const request = await confirmedOutage(w);
    const lastGood = await w.lastGoodHash();
    const planHash = await asked(w, request);
    expect(w.elbv2Writes()).toEqual([]);
    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.state).toBe('confirmed');
    expect(incident?.approval?.planHash).toBe(planHash);
    expect(incident?.approval?.snapshotHash).toBe(await w.liveHash());
    const ask = await messageContaining(w, `lbguard approve shop ${planHash}`);
    expect(ask).toContain(`planned against snapshot ${incident?.approval?.snapshotHash}`);
    expect(ask).toContain(`expires at ${incident?.approval?.expiresAt}`);

    const recorded = await approveAs(w, ANA, planHash.slice(0, 12));
    expect(recorded.kind).toBe('recorded');
    if (recorded.kind !== 'recorded') return;
    const out = await w.remediate(recorded.request);
    expect(out.outcome).toBe('resolved');
    expect(w.elbv2Writes().sort()).toEqual(['ModifyListener', 'RegisterTargets', 'RegisterTargets']);
    expect(await w.liveHash()).toBe(lastGood);
    const done = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(done?.state).toBe('resolved');
    expect(done?.approval).toBeUndefined();
    expect(done?.timeline.some((e) => e.what === `Plan ${planHash} approved by ${ANA}`)).toBe(true);
    expect(done?.timeline.some((e) => e.what.startsWith('Approval consumed') && e.what.includes(ANA))).toBe(
      true,
    );
  });

  it('refuses an approval when the load balancer changed after it, and asks again listing the change', async () => {
    w = await approveWorld();
    const request = await confirmedOutage(w);
    const planHash = await asked(w, request);
    const recorded = await approveAs(w, ANA, planHash);
    if (recorded.kind !== 'recorded') throw new Error(recorded.reason);
    // Someone edits the listener after the approval and before remediate acts on it.
    await w.modifyListener({ forward: { 'web-a': 90, 'web-b': 10 } });
    const out = await w.remediate(recorded.request);
    expect(out.outcome).toBe('awaiting-approval');
    expect(w.elbv2Writes()).toEqual([]);
    const again = await messageContaining(w, 'Asking again: the load balancer changed since plan');
    expect(again).toMatch(/changed since the plan: .*weight/i);
    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.approval?.approvedBy).toBeUndefined();
    expect(incident?.approval?.snapshotHash).toBe(await w.liveHash());
    expect(incident?.timeline.at(-1)?.evidence.some((e) => e.startsWith('changed since the plan: '))).toBe(
      true,
    );
  });

  it('refuses an approval that expired before remediate acted on it, and asks again', async () => {
    w = await approveWorld({ expiresAfterMinutes: 30, remindAfterMinutes: 10, escalateAfterMinutes: 20 });
    const request = await confirmedOutage(w);
    const planHash = await asked(w, request);
    const recorded = await approveAs(w, ANA, planHash);
    if (recorded.kind !== 'recorded') throw new Error(recorded.reason);
    w.clock.advance(31 * 60_000);
    const out = await w.remediate(recorded.request);
    expect(out.outcome).toBe('awaiting-approval');
    expect(w.elbv2Writes()).toEqual([]);
    await messageContaining(w, `Asking again: the request for plan ${planHash.slice(0, 12)} expired`);
    // An approval given after expiry is refused outright.
    w.clock.advance(31 * 60_000);
    const late = await approveAs(w, BO, planHash);
    expect(late).toMatchObject({ kind: 'refused', reason: expect.stringContaining('expired') });
  });

  it('applies trusted steps at once and holds the rest until approved', async () => {
    w = await approveWorld({ trustedSteps: ['RegisterTargets'] });
    const request = await confirmedOutage(w);
    const out = await w.remediate(request);
    expect(out.outcome).toBe('awaiting-approval');
    expect(w.elbv2Writes()).toEqual(['RegisterTargets', 'RegisterTargets']);
    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.approval?.steps).toHaveLength(1);
    expect(incident?.approval?.steps[0]).toMatch(/^ModifyListener/);
    // The request binds to the load balancer as the trusted steps left it.
    expect(incident?.approval?.snapshotHash).toBe(await w.liveHash());
    await messageContaining(w, 'Applied without approval (trusted): RegisterTargets');

    const planHash = incident?.approval?.planHash ?? '';
    const recorded = await approveAs(w, ANA, planHash);
    if (recorded.kind !== 'recorded') throw new Error(recorded.reason);
    w.elbv2Calls.length = 0;
    expect((await w.remediate(recorded.request)).outcome).toBe('resolved');
    expect(w.elbv2Writes()).toEqual(['ModifyListener']);
  });

  it('lets exactly one of two concurrent approvals apply', async () => {
    w = await approveWorld();
    const request = await confirmedOutage(w);
    const planHash = await asked(w, request);
    w.clock.tickOnRead = 1;
    const [a, b] = await Promise.all([approveAs(w, ANA, planHash), approveAs(w, BO, planHash)]);
    expect([a.kind, b.kind]).toEqual(['recorded', 'recorded']);
    if (a.kind !== 'recorded' || b.kind !== 'recorded') return;
    // One approval is recorded (the other run finds it, or loses the conditional write).
    const approvedEntries = async () =>
      (await w?.runtime.store.getIncident('shop', request.incidentId))?.timeline.filter((e) =>
        e.what.startsWith(`Plan ${planHash} approved by`),
      );
    expect(await approvedEntries()).toHaveLength(1);
    const outcomes = await Promise.all([w.remediate(a.request, 'req-a'), w.remediate(b.request, 'req-b')]);
    const kinds = outcomes.map((o) => o.outcome).sort();
    expect(kinds.filter((k) => k === 'resolved')).toHaveLength(1);
    expect(w.elbv2Writes().filter((c) => c === 'ModifyListener')).toHaveLength(1);
    // A third hand-off of the same approval (SNS or the CLI repeating itself) applies nothing.
    w.elbv2Calls.length = 0;
    expect((await w.remediate(a.request, 'req-c')).outcome).toBe('stale');
    expect(w.elbv2Writes()).toEqual([]);
  });

  it('consumes an approval once even when two runs hold the lock (a retry racing its original)', async () => {
    w = await approveWorld();
    const request = await confirmedOutage(w);
    const planHash = await asked(w, request);
    const recorded = await approveAs(w, ANA, planHash);
    if (recorded.kind !== 'recorded') throw new Error(recorded.reason);
    w.clock.tickOnRead = 1;
    // The same lock owner re-acquires the lock (an async retry of one invocation): only the
    // conditional write that consumes the approval stands between the two runs and a second apply.
    const outcomes = await Promise.all([
      w.remediate(recorded.request, 'req-retried'),
      w.remediate(recorded.request, 'req-retried'),
    ]);
    const kinds = outcomes.map((o) => o.outcome);
    expect(kinds.filter((k) => k === 'resolved')).toHaveLength(1);
    expect(kinds).toContainEqual(expect.stringMatching(/^(refused|stale)$/));
    expect(w.elbv2Writes().filter((c) => c === 'ModifyListener')).toHaveLength(1);
  });

  it('reminds once, then escalates once, when nobody approves', async () => {
    w = await approveWorld({ expiresAfterMinutes: 60, remindAfterMinutes: 15, escalateAfterMinutes: 30 });
    const request = await confirmedOutage(w);
    const planHash = await asked(w, request);
    const looks = async (minutes: number) => {
      for (let i = 0; i < minutes; i++) {
        await w?.tick(60_000);
        for (const r of w?.invoker.requests.splice(0) ?? []) await w?.remediate(r);
      }
    };
    await looks(14);
    expect(w.deliveries.some((d) => d.Message.includes('reminder: approve'))).toBe(false);
    await looks(14);
    await messageContaining(w, `reminder: approve plan ${planHash.slice(0, 12)}`);
    await looks(6);
    const escalation = await messageContaining(w, 'ESCALATION: nobody approved');
    expect(escalation).toContain(`lbguard approve shop ${planHash}`);
    await looks(10);
    const count = (text: string) => w?.deliveries.filter((d) => d.Message.includes(text)).length;
    expect(count('reminder: approve')).toBe(1);
    expect(count('ESCALATION: nobody approved')).toBe(1);
    expect(w.metrics.values('shop', 'IncidentEscalated')).toEqual([1]);
    expect(w.elbv2Writes()).toEqual([]);
  });
});
