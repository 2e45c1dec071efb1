import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  askApproval,
  awaitingApproval,
  decideApproval,
  dueNudge,
  namesPlan,
  type PendingApproval,
  splitPlan,
} from '../../lib/approval.ts';
import type { PlanStep } from '../../lib/types.ts';

const T0 = Date.parse('2026-11-02T14:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const PLAN = 'a'.repeat(64);
const SNAP = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);

const register: PlanStep = {
  op: 'RegisterTargets',
  targetGroupArn: 'tg-a',
  targets: [{ id: 'i-1', port: 80 }],
};
const listener: PlanStep = { op: 'ModifyListener', listenerArn: 'l-1', defaultActions: [] };
const rule: PlanStep = { op: 'ModifyRule', ruleArn: 'r-1', conditions: [], actions: [] };
const priorities: PlanStep = { op: 'SetRulePriorities', priorities: [] };

/** Asked at minute 0, expiring at minute 60. */
function pending(more: Partial<PendingApproval> = {}): PendingApproval {
  return {
    ...askApproval({
      service: 'shop',
      planHash: PLAN,
      snapshotHash: SNAP,
      steps: ['ModifyListener'],
      at: at(0),
      policy: { expiresAfterMinutes: 60 },
    }),
    ...more,
  };
}

describe('splitPlan', () => {
  it.each([
    { trusted: [], steps: [register, listener], run: [], held: [register, listener] },
    {
      trusted: ['RegisterTargets'],
      steps: [register, register, listener],
      run: [register, register],
      held: [listener],
    },
    {
      trusted: ['RegisterTargets', 'ModifyListener'],
      steps: [register, listener],
      run: [register, listener],
      held: [],
    },
    // A trusted step after a held one may rely on it: held too.
    {
      trusted: ['ModifyListener'],
      steps: [register, rule, listener],
      run: [],
      held: [register, rule, listener],
    },
    {
      trusted: ['RegisterTargets', 'ModifyListener'],
      steps: [register, rule, listener],
      run: [register],
      held: [rule, listener],
    },
    { trusted: ['RegisterTargets'], steps: [], run: [], held: [] },
  ] as const)(
    'trusting $trusted runs $run.length step(s) and holds $held.length',
    ({ trusted, steps, run, held }) => {
      expect(splitPlan(steps, { trustedSteps: trusted })).toEqual({ trusted: run, held });
    },
  );

  it('keeps every step exactly once, in order, trusted ones first, and holds from the first untrusted step', () => {
    const ops = [
      'RegisterTargets',
      'ModifyRule',
      'SetRulePriorities',
      'ModifyListener',
      'CreateRule',
    ] as const;
    const step = fc.constantFrom(register, listener, rule, priorities);
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), fc.subarray([...ops]), (steps, trusted) => {
        const split = splitPlan(steps, { trustedSteps: trusted });
        expect([...split.trusted, ...split.held]).toEqual(steps);
        expect(split.trusted.every((s) => trusted.includes(s.op))).toBe(true);
        if (split.held.length > 0) expect(trusted).not.toContain(split.held[0]?.op);
      }),
    );
  });
});

describe('decideApproval', () => {
  it.each([
    { name: 'nothing asked yet: ask', p: undefined, plan: PLAN, snap: SNAP, now: 1, want: { kind: 'ask' } },
    { name: 'asked, unanswered: wait', p: pending(), plan: PLAN, snap: SNAP, now: 1, want: { kind: 'wait' } },
    {
      name: 'approved, same plan and snapshot, in time: apply',
      p: pending({ approvedBy: 'arn:aws:iam::1:user/ana', approvedAt: at(5) }),
      plan: PLAN,
      snap: SNAP,
      now: 10,
      want: { kind: 'apply', approvedBy: 'arn:aws:iam::1:user/ana' },
    },
    {
      name: 'approved but expired: ask again',
      p: pending({ approvedBy: 'ana' }),
      plan: PLAN,
      snap: SNAP,
      now: 60,
      want: { kind: 'ask', stale: 'expired' },
    },
    {
      name: 'approved but the load balancer moved: ask again',
      p: pending({ approvedBy: 'ana' }),
      plan: PLAN,
      snap: OTHER,
      now: 10,
      want: { kind: 'ask', stale: 'snapshot-changed' },
    },
    {
      name: 'approved but the plan is another: ask again',
      p: pending({ approvedBy: 'ana' }),
      plan: OTHER,
      snap: SNAP,
      now: 10,
      want: { kind: 'ask', stale: 'plan-changed' },
    },
    {
      name: 'expiry is judged before the snapshot',
      p: pending({ approvedBy: 'ana' }),
      plan: OTHER,
      snap: OTHER,
      now: 61,
      want: { kind: 'ask', stale: 'expired' },
    },
  ])('$name', ({ p, plan, snap, now, want }) => {
    expect(decideApproval({ pending: p, planHash: plan, snapshotHash: snap, now: at(now) })).toEqual(want);
  });

  it('applies only an approval of exactly this plan against exactly this snapshot, before it expires', () => {
    const hash = fc.constantFrom(PLAN, SNAP, OTHER);
    fc.assert(
      fc.property(
        hash,
        hash,
        fc.integer({ min: 0, max: 120 }),
        fc.boolean(),
        (plan, snap, minute, approved) => {
          const p = pending(approved ? { approvedBy: 'ana' } : {});
          const d = decideApproval({ pending: p, planHash: plan, snapshotHash: snap, now: at(minute) });
          expect(d.kind === 'apply').toBe(approved && plan === PLAN && snap === SNAP && minute < 60);
        },
      ),
    );
  });
});

describe('dueNudge', () => {
  const policy = { remindAfterMinutes: 15, escalateAfterMinutes: 30 };
  it.each([
    { minute: 14, p: pending(), want: undefined },
    { minute: 15, p: pending(), want: 'remind' },
    { minute: 20, p: pending({ remindedAt: at(15) }), want: undefined },
    { minute: 30, p: pending({ remindedAt: at(15) }), want: 'escalate' },
    // The escalation supersedes a reminder that was never sent.
    { minute: 31, p: pending(), want: 'escalate' },
    { minute: 45, p: pending({ remindedAt: at(15), escalatedAt: at(30) }), want: undefined },
    { minute: 20, p: pending({ approvedBy: 'ana' }), want: undefined },
    { minute: 60, p: pending(), want: undefined },
  ] as const)('at minute $minute: $want', ({ minute, p, want }) => {
    expect(dueNudge(p, at(minute), policy)).toBe(want);
  });

  it('sends each nudge at most once however often inspect looks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 90 }), { maxLength: 40 }), (looks) => {
        let p = pending();
        const sent: string[] = [];
        for (const minute of [...looks].sort((a, b) => a - b)) {
          const nudge = dueNudge(p, at(minute), policy);
          if (nudge === 'remind') p = { ...p, remindedAt: at(minute) };
          if (nudge === 'escalate') p = { ...p, escalatedAt: at(minute) };
          if (nudge !== undefined) sent.push(nudge);
        }
        expect(sent.filter((n) => n === 'remind').length).toBeLessThanOrEqual(1);
        expect(sent.filter((n) => n === 'escalate').length).toBeLessThanOrEqual(1);
        expect(
          sent.indexOf('escalate') === -1 ||
            sent.indexOf('remind') < sent.indexOf('escalate') ||
            !sent.includes('remind'),
        ).toBe(true);
      }),
    );
  });
});

describe('namesPlan and awaitingApproval', () => {
  it.each([
    [PLAN, true],
    [PLAN.slice(0, 12), true],
    [PLAN.slice(0, 11), false],
    [OTHER, false],
    [PLAN.toUpperCase(), false],
  ])('%s names the plan: %s', (given, want) => {
    expect(namesPlan(given, PLAN)).toBe(want);
  });

  it('waits only while unanswered and unexpired', () => {
    expect(awaitingApproval(undefined, at(1))).toBe(false);
    expect(awaitingApproval(pending(), at(59))).toBe(true);
    expect(awaitingApproval(pending(), at(60))).toBe(false);
    expect(awaitingApproval(pending({ approvedBy: 'ana' }), at(1))).toBe(false);
  });
});
