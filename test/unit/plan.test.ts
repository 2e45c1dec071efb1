import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../lib/drift.ts';
import {
  describeStep,
  knownExistingTargetIds,
  type PlanInput,
  type PlanOutcome,
  planHash,
  planRemediation,
  planRestore,
} from '../../lib/plan.ts';
import { applyPlan, SimulationError, syntheticRuleArn } from '../../lib/simulate.ts';
import { normaliseSnapshot } from '../../lib/snapshot.ts';
import type {
  Action,
  AuthenticateAction,
  FixedResponseAction,
  LbSnapshot,
  Listener,
  Plan,
  PlanStep,
  RedirectAction,
  RemediationPolicy,
  Rule,
  TargetGroup,
  TargetHealth,
  TargetHealthState,
} from '../../lib/types.ts';
import { arbAttachments, attachments, OTHER_LB_ARN, ownAttachments } from './fixtures/attachments.ts';
import {
  arbHealth,
  arbSnapshot,
  authenticateOidc,
  fixedResponse,
  forward,
  header,
  healthOf,
  host,
  LB_ARN,
  listener,
  outageCurrent,
  outageLastGood,
  path,
  redirectToHttps,
  rule,
  ruleArn,
  shopTopology,
  snapshot,
  targetGroup,
  tgArn,
} from './fixtures/topologies.ts';

const policy: RemediationPolicy = {
  mode: 'auto',
  cooldownSeconds: 300,
  maxPerHour: 3,
  maxSteps: 10,
  allowCreateRule: false,
  verifyDeadlineSeconds: 300,
};

/** Plans with every group of `current` used by the guarded load balancer alone, unless told. */
function plan(input: Partial<PlanInput> & Pick<PlanInput, 'current' | 'lastGood'>): PlanOutcome {
  return planRemediation({
    health: healthOf(input.current),
    policy,
    attachments: ownAttachments(input.current),
    ...input,
  });
}

/** The plan of an outcome that must be a plan; fails the test otherwise. */
function planOf(outcome: PlanOutcome): Plan {
  if (outcome.kind !== 'plan') throw new Error(`expected a plan, got ${JSON.stringify(outcome, null, 2)}`);
  return outcome.plan;
}

function lines(p: Plan, s: LbSnapshot): string[] {
  return p.steps.map((step) => describeStep(step, s));
}

function mapListener(s: LbSnapshot, port: number, change: (l: Listener) => Listener): LbSnapshot {
  return { ...s, listeners: s.listeners.map((l) => (l.port === port ? change(l) : l)) };
}

function mapRule(s: LbSnapshot, priority: number, change: (r: Rule) => Rule): LbSnapshot {
  return {
    ...s,
    listeners: s.listeners.map((l) => ({
      ...l,
      rules: l.rules.map((r) => (r.priority === priority ? change(r) : r)),
    })),
  };
}

function mapGroup(s: LbSnapshot, name: string, change: (g: TargetGroup) => TargetGroup): LbSnapshot {
  return { ...s, targetGroups: s.targetGroups.map((g) => (g.name === name ? change(g) : g)) };
}

/** moto refuses a priority that another rule holds at the time of the call, even in a swap. */
function priorityHeldElsewhere(s: LbSnapshot, step: PlanStep): boolean {
  if (step.op !== 'SetRulePriorities') return false;
  // Priorities are unique per listener, not across the load balancer.
  return step.priorities.some(({ ruleArn: arn, priority }) =>
    s.listeners
      .filter((l) => l.rules.some((r) => r.arn === arn))
      .some((l) => l.rules.some((r) => r.arn !== arn && r.priority === priority)),
  );
}

const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
const webC = targetGroup('web-c', []);
const checkoutRule = rule(80, 10, [path('/checkout/*')], [forward([webB, 1])]);
const apiRule = rule(80, 20, [host('api.example.com')], [forward([webA, 1])]);
const shopLastGood = snapshot(
  [listener(80, [forward([webA, 50], [webB, 50])], [checkoutRule, apiRule])],
  [webA, webB],
);

describe('planRemediation', () => {
  it('plans the outage as RegisterTargets first, then ModifyListener back to 50/50', () => {
    const current = outageCurrent();
    const p = planOf(plan({ current, lastGood: outageLastGood() }));
    expect(lines(p, current)).toEqual([
      'RegisterTargets web-a: i-0b:80',
      'RegisterTargets web-b: i-0c:80, i-0d:80',
      'ModifyListener :80 default action → forward web-a/web-b 50/50',
    ]);
    expect(p.fixes.map((d) => d.kind)).toEqual([
      'targets-deregistered',
      'targets-deregistered',
      'weights-changed',
    ]);
    expect(p.leftAlone).toEqual([]);
    expect(p.hash).toBe(planHash(p.steps));
  });

  it('still plans the outage when the lone survivor has crashed', () => {
    const current = outageCurrent();
    const health = healthOf(current, { 'i-0a:80': 'unhealthy' });
    expect(plan({ current, lastGood: outageLastGood(), health }).kind).toBe('plan');
  });

  it('does not re-register a target whose instance no longer exists, and says why', () => {
    const current = outageCurrent();
    const p = planOf(
      plan({ current, lastGood: outageLastGood(), existingTargetIds: new Set(['i-0a', 'i-0b', 'i-0c']) }),
    );
    expect(lines(p, current)).toEqual([
      'RegisterTargets web-a: i-0b:80',
      'RegisterTargets web-b: i-0c:80',
      'ModifyListener :80 default action → forward web-a/web-b 50/50',
    ]);
    expect(p.leftAlone.map((l) => [l.drift.summary, l.why])).toEqual([
      [
        'target group web-b: i-0d:80 deregistered (1 of 2 targets gone since last known good)',
        'i-0d:80 no longer exist (not among the targets known to exist); lbguard re-registers only targets that still exist',
      ],
    ]);
    expect(p.fixes.map((d) => d.summary)).toContain(
      'target group web-b: i-0c:80 deregistered (1 of 2 targets gone since last known good)',
    );
  });

  it('leaves the weights alone when the group they would send traffic to has no target left', () => {
    const current = outageCurrent();
    const p = planOf(
      plan({ current, lastGood: outageLastGood(), existingTargetIds: new Set(['i-0a', 'i-0b']) }),
    );
    expect(lines(p, current)).toEqual(['RegisterTargets web-a: i-0b:80']);
    expect(p.leftAlone.map((l) => [l.drift.kind, l.why])).toEqual([
      ['targets-deregistered', expect.stringContaining('i-0c:80, i-0d:80 no longer exist')],
      ['weights-changed', expect.stringContaining('web-b would have no registered target')],
    ]);
  });

  it('restores only a /checkout/* rule flipped to a group with no targets, leaving the default action alone', () => {
    const current = {
      ...mapRule(shopLastGood, 10, (r) => ({ ...r, actions: [forward([webC, 1])] })),
      targetGroups: [webA, webB, webC],
    };
    const p = planOf(plan({ current, lastGood: shopLastGood }));
    expect(lines(p, current)).toEqual([
      'ModifyRule :80 rule 10 (path /checkout/*) → path /checkout/*: forward web-b',
    ]);
    expect(p.steps).toEqual([
      {
        op: 'ModifyRule',
        ruleArn: checkoutRule.arn,
        conditions: checkoutRule.conditions,
        actions: checkoutRule.actions,
      },
    ]);
  });

  it('restores a flipped rule and re-registers the targets of the group it points back at', () => {
    const current = mapGroup(
      mapRule(shopLastGood, 10, (r) => ({ ...r, actions: [forward([webA, 1])] })),
      'web-b',
      (g) => ({ ...g, targets: [] }),
    );
    const p = planOf(plan({ current, lastGood: shopLastGood }));
    expect(p.steps.map((s) => s.op)).toEqual(['RegisterTargets', 'ModifyRule']);
  });

  it('restores a host-header rule sending images to a lambda target', () => {
    const lastGood = shopTopology();
    const current = mapRule(lastGood, 30, (r) => ({ ...r, actions: [forward([tgArn('web'), 1])] }));
    const p = planOf(plan({ current, lastGood }));
    expect(lines(p, current)).toEqual([
      'ModifyRule :443 rule 30 (host img.example.com) → host img.example.com: forward thumbs',
    ]);
  });

  it('re-registers IP targets on odd ports in the group they left', () => {
    const lastGood = shopTopology();
    const current = mapGroup(lastGood, 'checkout', (g) => ({ ...g, targets: g.targets.slice(1) }));
    const p = planOf(plan({ current, lastGood }));
    expect(lines(p, current)).toEqual(['RegisterTargets checkout: 10.0.1.17:31337']);
    expect(p.steps).toEqual([
      {
        op: 'RegisterTargets',
        targetGroupArn: tgArn('checkout'),
        targets: [{ id: '10.0.1.17', port: 31337 }],
      },
    ]);
  });

  it('restores three-way weights in a rule, keeping an authenticate action in front', () => {
    const lastGood = mapRule(shopTopology(), 10, (r) => ({
      ...r,
      actions: [
        authenticateOidc(1),
        { ...forward([tgArn('checkout'), 1], [tgArn('checkout-canary'), 1], [tgArn('web'), 2]), order: 2 },
      ],
    }));
    const current = mapRule(lastGood, 10, (r) => ({
      ...r,
      actions: [
        authenticateOidc(1),
        { ...forward([tgArn('checkout'), 0], [tgArn('checkout-canary'), 0], [tgArn('web'), 1]), order: 2 },
      ],
    }));
    const p = planOf(plan({ current, lastGood }));
    expect(lines(p, current)).toEqual([
      'ModifyRule :443 rule 10 (host shop.example.com and path /checkout/*) → host shop.example.com and path /checkout/*: authenticate-oidc + forward checkout-canary/checkout/web 1/1/2',
    ]);
    expect(p.fixes.map((d) => d.kind)).toEqual(['weights-changed']);
  });

  it('restores changed conditions and actions of one rule in a single ModifyRule', () => {
    const current = mapRule(shopLastGood, 10, (r) => ({
      ...r,
      conditions: [path('/checkout/*', '/cart/*')],
      actions: [fixedResponse('503')],
    }));
    const p = planOf(plan({ current, lastGood: shopLastGood }));
    expect(p.steps).toHaveLength(1);
    expect(p.fixes.map((d) => d.kind).sort()).toEqual(['rule-actions-changed', 'rule-conditions-changed']);
  });

  it('swaps two rule priorities through a free priority, never asking for one in use', () => {
    const current = mapListener(shopLastGood, 80, (l) => ({
      ...l,
      rules: l.rules.map((r) => ({ ...r, priority: r.priority === 10 ? 20 : 10 })),
    }));
    const p = planOf(plan({ current, lastGood: shopLastGood }));
    expect(p.steps).toEqual([
      { op: 'SetRulePriorities', priorities: [{ ruleArn: checkoutRule.arn, priority: 50_000 }] },
      { op: 'SetRulePriorities', priorities: [{ ruleArn: apiRule.arn, priority: 20 }] },
      { op: 'SetRulePriorities', priorities: [{ ruleArn: checkoutRule.arn, priority: 10 }] },
    ]);
    let s = current;
    for (const step of p.steps) {
      expect(priorityHeldElsewhere(s, step)).toBe(false);
      s = applyPlan(s, [step]);
    }
    expect(diffSnapshots(s, shopLastGood)).toEqual([]);
  });

  it('parks a rule below a rule already sitting at the highest priority', () => {
    const top = rule(80, 50_000, [path('/last')], [forward([webA, 1])]);
    const lastGood = mapListener(shopLastGood, 80, (l) => ({ ...l, rules: [...l.rules, top] }));
    const current = mapListener(lastGood, 80, (l) => ({
      ...l,
      rules: l.rules.map((r) =>
        r.priority === 50_000 ? r : { ...r, priority: r.priority === 10 ? 20 : 10 },
      ),
    }));
    const p = planOf(plan({ current, lastGood }));
    expect(p.steps[0]).toEqual({
      op: 'SetRulePriorities',
      priorities: [{ ruleArn: checkoutRule.arn, priority: 49_999 }],
    });
  });

  it('moves a chain of rules in order, each to a priority already vacated', () => {
    const c = rule(80, 30, [path('/c')], [forward([webA, 1])]);
    const lastGood = mapListener(shopLastGood, 80, (l) => ({ ...l, rules: [...l.rules, c] }));
    // Each rule one slot further on: 10 at 20, 20 at 30, 30 at 40.
    const current = mapListener(lastGood, 80, (l) => ({
      ...l,
      rules: l.rules.map((r) => ({ ...r, priority: r.priority === 10 ? 20 : r.priority === 20 ? 30 : 40 })),
    }));
    const p = planOf(plan({ current, lastGood }));
    let s = current;
    for (const step of p.steps) {
      expect(priorityHeldElsewhere(s, step)).toBe(false);
      s = applyPlan(s, [step]);
    }
    expect(diffSnapshots(s, lastGood)).toEqual([]);
    expect(p.steps).toHaveLength(3);
  });

  it('leaves a priority alone when a rule added since last known good holds it', () => {
    const intruder = rule(80, 20, [path('/new/*')], [forward([webA, 1])]);
    const current = mapListener(shopLastGood, 80, (l) => ({
      ...l,
      rules: [
        ...l.rules.map((r) => (r.priority === 20 ? { ...r, priority: 25 } : r)),
        { ...intruder, arn: ruleArn(80, 'intruder') },
      ],
    }));
    const outcome = plan({ current, lastGood: shopLastGood });
    expect(outcome.kind).toBe('nothing-to-do');
    expect(outcome.kind === 'nothing-to-do' && outcome.leftAlone.map((l) => [l.drift.kind, l.why])).toEqual([
      ['rule-added', expect.stringContaining('never deletes rules')],
      ['rule-priority-changed', expect.stringContaining('priority 20 is held by rule 20 (path /new/*)')],
    ]);
  });

  it('leaves a recreation of a deleted rule to people unless the policy allows it', () => {
    const current = mapListener(shopLastGood, 80, (l) => ({
      ...l,
      rules: l.rules.filter((r) => r.priority !== 10),
    }));
    const outcome = plan({ current, lastGood: shopLastGood });
    expect(outcome).toEqual({
      kind: 'nothing-to-do',
      leftAlone: [
        {
          drift: expect.objectContaining({ kind: 'rule-removed' }),
          why: expect.stringContaining('allowCreateRule'),
        },
      ],
    });
  });

  it('recreates a deleted rule when the policy allows it', () => {
    const current = mapListener(shopLastGood, 80, (l) => ({
      ...l,
      rules: l.rules.filter((r) => r.priority !== 10),
    }));
    const p = planOf(plan({ current, lastGood: shopLastGood, policy: { ...policy, allowCreateRule: true } }));
    expect(lines(p, current)).toEqual(['CreateRule :80 rule 10 (path /checkout/*): forward web-b']);
    const after = applyPlan(current, p.steps);
    expect(after.listeners[0]?.rules.map((r) => r.arn)).toContain(
      syntheticRuleArn(current.listeners[0]?.arn ?? '', 10),
    );
    expect(diffSnapshots(after, shopLastGood)).toEqual([]);
  });

  it('does not recreate a deleted rule whose priority another rule now holds', () => {
    const current = mapListener(shopLastGood, 80, (l) => ({
      ...l,
      rules: [l.rules[1] as Rule, rule(80, 10, [path('/promo/*')], [forward([webA, 1])])].map((r, i) =>
        i === 1 ? { ...r, arn: ruleArn(80, 'promo') } : r,
      ),
    }));
    const outcome = plan({ current, lastGood: shopLastGood, policy: { ...policy, allowCreateRule: true } });
    expect(outcome.kind === 'nothing-to-do' && outcome.leftAlone.map((l) => [l.drift.kind, l.why])).toEqual([
      ['rule-added', expect.any(String)],
      ['rule-removed', 'priority 10 is now held by another rule, which lbguard does not move or delete'],
    ]);
  });

  it('does not recreate a deleted rule that forwards to a group no longer attached', () => {
    const current = {
      ...mapListener(shopLastGood, 80, (l) => ({
        ...l,
        defaultActions: [forward([webA, 1])],
        rules: [apiRule],
      })),
      targetGroups: [webA],
    };
    const outcome = plan({ current, lastGood: shopLastGood, policy: { ...policy, allowCreateRule: true } });
    expect(outcome.kind === 'nothing-to-do' && outcome.leftAlone.map((l) => [l.drift.kind, l.why])).toEqual([
      ['target-group-removed', 'lbguard does not create target groups'],
      ['default-action-changed', expect.stringContaining('web-b, which is no longer attached')],
      ['rule-removed', expect.stringContaining('web-b, which is no longer attached')],
    ]);
  });

  it('does not point a rule back at a group no longer attached', () => {
    const current = {
      ...mapRule(shopLastGood, 10, (r) => ({ ...r, actions: [forward([webA, 1])] })),
      targetGroups: [webA],
      listeners: mapRule(shopLastGood, 10, (r) => ({ ...r, actions: [forward([webA, 1])] })).listeners.map(
        (l) => ({
          ...l,
          defaultActions: [forward([webA, 1])],
        }),
      ),
    };
    const outcome = plan({ current, lastGood: shopLastGood });
    expect(outcome.kind === 'nothing-to-do' && outcome.leftAlone.map((l) => [l.drift.kind, l.why])).toEqual([
      ['target-group-removed', expect.any(String)],
      ['rule-actions-changed', expect.stringContaining('web-b, which is no longer attached')],
      ['default-action-changed', expect.stringContaining('web-b, which is no longer attached')],
    ]);
  });

  it('leaves what no plan may restore alone, saying why, and has nothing to do', () => {
    const current = {
      ...mapGroup(
        mapListener(shopLastGood, 80, (l) => ({
          ...l,
          rules: [...l.rules, rule(80, 5, [header('X-Debug', '1')], [fixedResponse('418')])],
        })),
        'web-a',
        (g) => ({
          ...g,
          targets: [...g.targets, { id: 'i-0e', port: 80 }],
          healthCheck: { ...g.healthCheck, path: '/ping' },
        }),
      ),
      listeners: [
        ...mapListener(shopLastGood, 80, (l) => ({
          ...l,
          rules: [...l.rules, rule(80, 5, [header('X-Debug', '1')], [fixedResponse('418')])],
        })).listeners,
        listener(8080, [forward([webA, 1])]),
      ],
    };
    const lastGood = {
      ...shopLastGood,
      listeners: [...shopLastGood.listeners, listener(443, [forward([webA, 1])])],
    };
    const outcome = plan({ current, lastGood });
    expect(outcome.kind).toBe('nothing-to-do');
    expect(outcome.kind === 'nothing-to-do' && outcome.leftAlone.map((l) => l.drift.kind)).toEqual([
      'listener-removed',
      'listener-added',
      'rule-added',
      'targets-registered',
      'health-check-changed',
    ]);
    expect(outcome.kind === 'nothing-to-do' && outcome.leftAlone.every((l) => l.why.length > 20)).toBe(true);
  });

  it('has nothing to do when the snapshot already equals last known good', () => {
    expect(plan({ current: shopTopology(), lastGood: shopTopology() })).toEqual({
      kind: 'nothing-to-do',
      leftAlone: [],
    });
  });

  it('rejects a plan that needs more calls than the policy allows', () => {
    const outcome = plan({
      current: outageCurrent(),
      lastGood: outageLastGood(),
      policy: { ...policy, maxSteps: 2 },
    });
    expect(outcome).toMatchObject({
      kind: 'rejected',
      reason: 'exceeds-max-steps',
      detail: 'the plan needs 3 calls; the policy allows at most 2',
    });
  });

  it('rejects a plan whose restored rule is shadowed by a rule added before it with the same conditions', () => {
    const shadow = {
      ...rule(80, 5, [path('/checkout/*')], [fixedResponse('503')]),
      arn: ruleArn(80, 'shadow'),
    };
    const current = mapListener(
      mapRule(shopLastGood, 10, (r) => ({ ...r, actions: [forward([webA, 1])] })),
      80,
      (l) => ({ ...l, rules: [shadow, ...l.rules] }),
    );
    const outcome = plan({ current, lastGood: shopLastGood });
    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'would-not-fix' });
    expect(outcome.kind === 'rejected' && outcome.detail).toContain('listener :80 rule 5 (path /checkout/*)');
    expect(outcome.kind === 'rejected' && outcome.plan.steps.map((s) => s.op)).toEqual(['ModifyRule']);
  });

  it('plans the outage while target health still reports a deregistered target as unused', () => {
    const current = outageCurrent();
    const health = [
      ...healthOf(current),
      {
        targetGroupArn: tgArn('web-b'),
        targetId: 'i-0c',
        port: 80,
        state: 'unused' as const,
        reason: 'Target.NotRegistered',
      },
    ];
    expect(plan({ current, lastGood: outageLastGood(), health }).kind).toBe('plan');
  });
});

describe('planRemediation refuses writes beyond the guarded load balancer', () => {
  // Another team's group in the same account, used by its own load balancer. A tampered last
  // known good names it, and readServiceState then describes it by ARN, so it is in `current`.
  const billing = targetGroup('billing', ['i-0b1:80', 'i-0b2:80']);
  const withGroup = (s: LbSnapshot, g: TargetGroup = billing): LbSnapshot => ({
    ...s,
    targetGroups: [...s.targetGroups, g],
  });
  const onlyWebA = snapshot([listener(80, [forward([webA, 1])])], [webA]);
  const outside = 'login.shop-payments.example.net';
  const outsideRedirect: RedirectAction = {
    type: 'redirect',
    statusCode: 'HTTP_302',
    protocol: 'HTTPS',
    host: outside,
    port: '443',
  };
  const phishingPage: FixedResponseAction = {
    type: 'fixed-response',
    statusCode: '200',
    contentType: 'text/html',
    messageBody: `<a href="https://${outside}">Sign in again</a>`,
  };
  const attackerIdp: AuthenticateAction = {
    ...authenticateOidc(1),
    config: { issuer: `https://${outside}`, clientId: 'lbguard' },
  };
  const billingLb = 'load balancer app/billing/7f3a9c1e0b2d4e6f';

  interface Tampered {
    readonly lastGood: LbSnapshot;
    readonly current: LbSnapshot;
    readonly attachments?: ReadonlyMap<string, readonly string[]>;
    readonly allowCreateRule?: boolean;
    readonly reason: string;
    /** What the detail must name: the step and the foreign thing. */
    readonly names: readonly string[];
  }

  it.each<[string, Tampered]>([
    [
      'registers targets in a group another load balancer uses',
      {
        current: withGroup(onlyWebA),
        lastGood: withGroup(onlyWebA, targetGroup('billing', ['i-0b1:80', 'i-0b2:80', 'i-0a:80'])),
        attachments: attachments(withGroup(onlyWebA), { [billing.arn]: [OTHER_LB_ARN] }),
        reason: 'foreign-target-group',
        names: ['RegisterTargets billing: i-0a:80', `target group billing`, billingLb],
      },
    ],
    [
      'points the listener at a group another load balancer uses',
      {
        current: withGroup(onlyWebA),
        lastGood: withGroup(snapshot([listener(80, [forward([webA, 50], [billing, 50])])], [webA])),
        attachments: attachments(withGroup(onlyWebA), { [billing.arn]: [OTHER_LB_ARN] }),
        reason: 'foreign-target-group',
        names: ['ModifyListener :80 default action → forward', 'forwards to target group billing', billingLb],
      },
    ],
    [
      'registers targets in a group the guarded load balancer shares with another',
      {
        current: outageCurrent(),
        lastGood: outageLastGood(),
        attachments: attachments(outageCurrent(), { [tgArn('web-b')]: [LB_ARN, OTHER_LB_ARN] }),
        reason: 'foreign-target-group',
        names: ['RegisterTargets web-b: i-0c:80, i-0d:80', 'target group web-b', billingLb],
      },
    ],
    [
      'touches a group whose load balancers were not read',
      {
        current: outageCurrent(),
        lastGood: outageLastGood(),
        attachments: attachments(outageCurrent(), { [tgArn('web-b')]: undefined }),
        reason: 'foreign-target-group',
        names: ['RegisterTargets web-b: i-0c:80, i-0d:80', 'not known'],
      },
    ],
    [
      'points the listener at an outside redirect host',
      {
        current: shopTopology(),
        lastGood: mapListener(shopTopology(), 443, (l) => ({ ...l, defaultActions: [outsideRedirect] })),
        reason: 'new-redirect',
        names: ['ModifyListener :443 default action → redirect 302', `HTTPS://${outside}:443`],
      },
    ],
    [
      'sends the live HTTP → HTTPS redirect to an outside host',
      {
        current: shopTopology(),
        lastGood: mapListener(shopTopology(), 80, (l) => ({
          ...l,
          defaultActions: [{ ...redirectToHttps(), host: outside }],
        })),
        reason: 'new-redirect',
        names: ['ModifyListener :80 default action', `HTTPS://${outside}:443`],
      },
    ],
    [
      'answers every request with a fixed response',
      {
        current: shopTopology(),
        lastGood: mapListener(shopTopology(), 443, (l) => ({ ...l, defaultActions: [phishingPage] })),
        reason: 'new-fixed-response',
        names: ['ModifyListener :443 default action → fixed-response 200', 'a fixed response 200 text/html'],
      },
    ],
    [
      'rewrites the body of the live maintenance page',
      {
        current: shopTopology(),
        lastGood: mapRule(shopTopology(), 40, (r) => ({
          ...r,
          actions: [
            { ...fixedResponse('503'), messageBody: `Down. Pay at https://${outside} ${'.'.repeat(200)}` },
          ],
        })),
        reason: 'new-fixed-response',
        names: ['ModifyRule :443 rule 40 (header X-Maintenance: on)', outside],
      },
    ],
    [
      'answers a bare 404 on a rule that forwards',
      {
        current: shopTopology(),
        lastGood: mapRule(shopTopology(), 30, (r) => ({
          ...r,
          actions: [{ type: 'fixed-response', statusCode: '404' }],
        })),
        reason: 'new-fixed-response',
        names: [
          'ModifyRule :443 rule 30 (host img.example.com)',
          'writes a fixed response 404, which the live rule',
        ],
      },
    ],
    [
      'registers targets in a group two other load balancers use',
      {
        current: outageCurrent(),
        lastGood: outageLastGood(),
        attachments: attachments(outageCurrent(), {
          [tgArn('web-b')]: [OTHER_LB_ARN, OTHER_LB_ARN.replace('billing', 'payroll')],
        }),
        reason: 'foreign-target-group',
        names: [
          'load balancers app/billing/7f3a9c1e0b2d4e6f, app/payroll/7f3a9c1e0b2d4e6f use:',
          'RegisterTargets web-b',
        ],
      },
    ],
    [
      'puts an authentication the rule never had in front of it',
      {
        current: shopTopology(),
        lastGood: mapRule(shopTopology(), 30, (r) => ({
          ...r,
          actions: [attackerIdp, { ...forward([tgArn('thumbs'), 1]), order: 2 }],
        })),
        reason: 'new-action',
        names: ['ModifyRule :443 rule 30 (host img.example.com)', 'authenticate-oidc', outside],
      },
    ],
    [
      'swaps the identity provider of the live authentication',
      {
        current: shopTopology(),
        lastGood: mapRule(shopTopology(), 20, (r) => ({
          ...r,
          actions: [attackerIdp, { ...forward([tgArn('admin'), 1]), order: 2 }],
        })),
        reason: 'new-action',
        names: ['ModifyRule :443 rule 20 (path /admin/*)', 'authenticate-oidc', outside],
      },
    ],
    [
      'recreates a rule redirecting to an outside host',
      {
        current: shopTopology(),
        lastGood: mapListener(shopTopology(), 443, (l) => ({
          ...l,
          rules: [...l.rules, rule(443, 5, [path('/account/*')], [outsideRedirect])],
        })),
        allowCreateRule: true,
        reason: 'new-redirect',
        names: ['CreateRule :443 rule 5 (path /account/*)', `HTTPS://${outside}:443`],
      },
    ],
  ])('rejects a tampered last known good that %s, naming it', (_, c) => {
    const outcome = plan({
      current: c.current,
      lastGood: c.lastGood,
      policy: { ...policy, allowCreateRule: c.allowCreateRule ?? false },
      ...(c.attachments === undefined ? {} : { attachments: c.attachments }),
    });
    expect(outcome).toMatchObject({ kind: 'rejected', reason: c.reason });
    const detail = outcome.kind === 'rejected' ? outcome.detail : '';
    for (const name of c.names) expect(detail).toContain(name);
  });

  const withRedirectRule = mapListener(shopTopology(), 80, (l) => ({
    ...l,
    rules: [rule(80, 15, [host('old.example.com')], [{ ...redirectToHttps(), host: 'shop.example.com' }])],
  }));
  const withPathRedirect = (to: string) =>
    mapListener(shopTopology(), 80, (l) => ({
      ...l,
      rules: [rule(80, 15, [path('/old/*')], [{ type: 'redirect', statusCode: 'HTTP_301', path: to }])],
    }));
  const threeWay = mapRule(shopTopology(), 10, (r) => ({
    ...r,
    actions: [
      authenticateOidc(1),
      { ...forward([tgArn('checkout'), 1], [tgArn('checkout-canary'), 1], [tgArn('web'), 2]), order: 2 },
    ],
  }));

  it.each<[string, LbSnapshot, LbSnapshot, ReadonlyMap<string, readonly string[]> | undefined, string[]]>([
    [
      'points traffic back at a detached group of last known good that no load balancer uses',
      snapshot([listener(80, [forward([webA, 1])])], [webA, webB]),
      snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]),
      attachments(snapshot([], [webA, webB]), { [webB.arn]: [] }),
      ['ModifyListener :80 default action → forward web-a/web-b 50/50'],
    ],
    [
      'keeps a redirect that last known good and the live rule both have',
      mapRule(withRedirectRule, 15, (r) => ({
        ...r,
        conditions: [host('old.example.com', 'www.old.example.com')],
      })),
      withRedirectRule,
      undefined,
      [
        'ModifyRule :80 rule 15 (host old.example.com or www.old.example.com) → host old.example.com: redirect 301 (protocol HTTPS, host shop.example.com, port 443)',
      ],
    ],
    [
      'puts back the path of a redirect that stays on the same host',
      withPathRedirect('/newer'),
      withPathRedirect('/new'),
      undefined,
      ['ModifyRule :80 rule 15 (path /old/*) → path /old/*: redirect 301 (path /new)'],
    ],
    [
      'keeps the live maintenance page while putting its conditions back',
      mapRule(shopTopology(), 40, (r) => ({ ...r, conditions: [header('X-Maintenance', 'yes')] })),
      shopTopology(),
      undefined,
      ['ModifyRule :443 rule 40 (header X-Maintenance: yes) → header X-Maintenance: on: fixed-response 503'],
    ],
    [
      'restores three-way weights behind the live authentication',
      mapRule(threeWay, 10, (r) => ({
        ...r,
        actions: [
          authenticateOidc(1),
          { ...forward([tgArn('checkout'), 0], [tgArn('checkout-canary'), 0], [tgArn('web'), 1]), order: 2 },
        ],
      })),
      threeWay,
      undefined,
      [
        'ModifyRule :443 rule 10 (host shop.example.com and path /checkout/*) → host shop.example.com and path /checkout/*: authenticate-oidc + forward checkout-canary/checkout/web 1/1/2',
      ],
    ],
    [
      're-registers IP targets on odd ports',
      mapGroup(shopTopology(), 'checkout', (g) => ({ ...g, targets: [] })),
      shopTopology(),
      undefined,
      ['RegisterTargets checkout: 10.0.1.17:31337, 10.0.2.9:8443'],
    ],
  ])('still plans when it %s', (_, current, lastGood, given, steps) => {
    const p = planOf(plan({ current, lastGood, ...(given === undefined ? {} : { attachments: given }) }));
    expect(lines(p, current)).toEqual(steps);
  });
});

describe('planRemediation properties', () => {
  type Mutation = {
    kind: 'weights' | 'deregister' | 'default-action' | 'rule-actions' | 'rule-priority' | 'rule-conditions';
    a: number;
    b: number;
    c: number;
  };

  const arbMutation: fc.Arbitrary<Mutation> = fc.record({
    kind: fc.constantFrom(
      'weights',
      'deregister',
      'default-action',
      'rule-actions',
      'rule-priority',
      'rule-conditions',
    ),
    a: fc.nat(),
    b: fc.nat(),
    c: fc.nat(),
  });

  /** A change a deployment could make that a plan may restore. */
  function mutate(s: LbSnapshot, m: Mutation): LbSnapshot {
    const groups = s.targetGroups.map((g) => g.arn);
    const otherAction = (n: number): Action[] =>
      n % 3 === 0 ? [fixedResponse('503')] : [forward([groups[n % groups.length] ?? tgArn('x'), 1])];
    const li = m.a % s.listeners.length;
    const mapL = (change: (l: Listener) => Listener) => ({
      ...s,
      listeners: s.listeners.map((l, i) => (i === li ? change(l) : l)),
    });
    switch (m.kind) {
      case 'weights':
        return mapL((l) => ({
          ...l,
          defaultActions: l.defaultActions.map((a) =>
            a.type === 'forward'
              ? {
                  ...a,
                  targetGroups: a.targetGroups.map((g, i) => ({
                    ...g,
                    weight: i === m.b % a.targetGroups.length ? 100 : 0,
                  })),
                }
              : a,
          ),
        }));
      case 'deregister': {
        const gi = m.b % s.targetGroups.length;
        return {
          ...s,
          targetGroups: s.targetGroups.map((g, i) =>
            i === gi ? { ...g, targets: g.targets.filter((_, j) => (m.c >> j) & 1) } : g,
          ),
        };
      }
      case 'default-action':
        return mapL((l) => ({ ...l, defaultActions: otherAction(m.b) }));
      case 'rule-actions':
        return mapL((l) => ({
          ...l,
          rules: l.rules.map((r, i) =>
            i === m.b % l.rules.length ? { ...r, actions: otherAction(m.c) } : r,
          ),
        }));
      case 'rule-conditions':
        return mapL((l) => ({
          ...l,
          rules: l.rules.map((r, i) =>
            i === m.b % l.rules.length ? { ...r, conditions: [path(`/moved-${m.c % 5}/*`)] } : r,
          ),
        }));
      case 'rule-priority':
        return mapL((l) => {
          const x = l.rules[m.b % Math.max(1, l.rules.length)];
          const y = l.rules[m.c % Math.max(1, l.rules.length)];
          if (x === undefined || y === undefined) return l;
          if (x === y) {
            const used = new Set(l.rules.map((r) => r.priority));
            let p = 1 + (m.c % 49_999);
            while (used.has(p)) p = (p % 49_999) + 1;
            return { ...l, rules: l.rules.map((r) => (r === x ? { ...r, priority: p } : r)) };
          }
          return {
            ...l,
            rules: l.rules.map((r) =>
              r === x ? { ...r, priority: y.priority } : r === y ? { ...r, priority: x.priority } : r,
            ),
          };
        });
    }
  }

  const arbCase = fc
    .record({
      lastGood: arbSnapshot().filter((s) => s.targetGroups.length > 0),
      mutations: fc.array(arbMutation, { minLength: 1, maxLength: 4 }),
      maxSteps: fc.integer({ min: 1, max: 12 }),
      allowCreateRule: fc.boolean(),
    })
    .chain((c) =>
      arbHealth(c.lastGood).map((health) => ({
        ...c,
        current: c.mutations.reduce(mutate, c.lastGood),
        health,
      })),
    );

  const remediable = (s: LbSnapshot, lastGood: LbSnapshot) =>
    diffSnapshots(s, lastGood).filter((d) => d.remediable);

  it('restores every remediable part of last known good, unless the plan needs too many calls', () => {
    fc.assert(
      fc.property(arbCase, ({ lastGood, current, health, maxSteps, allowCreateRule }) => {
        const outcome = planRemediation({
          current,
          lastGood,
          health,
          attachments: ownAttachments(current),
          policy: { ...policy, maxSteps, allowCreateRule },
        });
        switch (outcome.kind) {
          case 'nothing-to-do':
            expect(remediable(current, lastGood)).toEqual([]);
            break;
          case 'plan':
            expect(remediable(applyPlan(current, outcome.plan.steps), lastGood)).toEqual([]);
            break;
          case 'rejected':
            // Restoring a redirect, fixed response or authentication the live rule no longer has
            // is refused (see lib/plan/reach.ts); the refused plan would still restore it all.
            expect(['exceeds-max-steps', 'new-redirect', 'new-fixed-response', 'new-action']).toContain(
              outcome.reason,
            );
            expect(remediable(applyPlan(current, outcome.plan.steps), lastGood)).toEqual([]);
            break;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never deregisters, deletes or exceeds its cap, and moto would accept every priority change', () => {
    const allowed = new Set([
      'RegisterTargets',
      'ModifyListener',
      'ModifyRule',
      'SetRulePriorities',
      'CreateRule',
    ]);
    fc.assert(
      fc.property(arbCase, ({ lastGood, current, health, maxSteps }) => {
        const outcome = planRemediation({
          current,
          lastGood,
          health,
          attachments: ownAttachments(current),
          policy: { ...policy, maxSteps },
        });
        if (outcome.kind === 'nothing-to-do') return;
        expect(outcome.plan.steps.every((s) => allowed.has(s.op))).toBe(true);
        if (outcome.kind === 'plan') expect(outcome.plan.steps.length).toBeLessThanOrEqual(maxSteps);
        let s = current;
        for (const step of outcome.plan.steps) {
          expect(priorityHeldElsewhere(s, step)).toBe(false);
          s = applyPlan(s, [step]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('converges: planning again after applying the plan has nothing to do', () => {
    fc.assert(
      fc.property(arbCase, ({ lastGood, current, health }) => {
        const attached = ownAttachments(current);
        const first = planRemediation({
          current,
          lastGood,
          health,
          attachments: attached,
          policy: { ...policy, maxSteps: 100 },
        });
        if (first.kind !== 'plan') return;
        const applied = applyPlan(current, first.plan.steps);
        const second = planRemediation({
          current: applied,
          lastGood,
          health,
          attachments: attached,
          policy: { ...policy, maxSteps: 100 },
        });
        expect(second.kind).toBe('nothing-to-do');
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same plan and hash whatever order the API listed things in', () => {
    fc.assert(
      fc.property(arbCase, ({ lastGood, current, health }) => {
        const a = planRemediation({
          current,
          lastGood,
          health,
          attachments: ownAttachments(current),
          policy,
        });
        const b = planRemediation({
          current: normaliseSnapshot(current),
          lastGood: normaliseSnapshot(lastGood),
          health,
          attachments: ownAttachments(current),
          policy,
        });
        expect(b).toEqual(a);
      }),
      { numRuns: 100 },
    );
  });

  /** Target groups a step registers targets in or forwards to. */
  const touchedGroups = (step: PlanStep): string[] => {
    switch (step.op) {
      case 'RegisterTargets':
        return [step.targetGroupArn];
      case 'SetRulePriorities':
        return [];
      case 'ModifyListener':
        return step.defaultActions.flatMap((a) =>
          a.type === 'forward' ? a.targetGroups.map((g) => g.targetGroupArn) : [],
        );
      case 'ModifyRule':
      case 'CreateRule':
        return step.actions.flatMap((a) =>
          a.type === 'forward' ? a.targetGroups.map((g) => g.targetGroupArn) : [],
        );
    }
  };

  it('never plans a step touching a group another load balancer uses, and refuses every plan that would', () => {
    const arbAttached = arbCase.chain((c) =>
      arbAttachments(c.current).map((attached) => ({ ...c, attached })),
    );
    fc.assert(
      fc.property(arbAttached, ({ lastGood, current, health, attached, allowCreateRule }) => {
        const outcome = planRemediation({
          current,
          lastGood,
          health,
          attachments: attached,
          policy: { ...policy, maxSteps: 100, allowCreateRule },
        });
        if (outcome.kind === 'nothing-to-do') return;
        // Attached elsewhere (alone or besides the guarded one), or not known to be attached nowhere.
        const beyond = outcome.plan.steps
          .flatMap(touchedGroups)
          .filter((arn) => (attached.get(arn) ?? [OTHER_LB_ARN]).some((lb) => lb !== LB_ARN));
        if (beyond.length === 0) expect(outcome).not.toMatchObject({ reason: 'foreign-target-group' });
        else expect(outcome).toMatchObject({ kind: 'rejected', reason: 'foreign-target-group' });
      }),
      { numRuns: 300 },
    );
  });
});

/** One health record for a target of `group`, as ELBv2 reports it. */
function record(group: string, key: string, state: TargetHealthState, reason?: string): TargetHealth {
  const [targetId = key, port] = key.split(':');
  return {
    targetGroupArn: tgArn(group),
    targetId,
    port: Number(port),
    state,
    ...(reason === undefined ? {} : { reason }),
  };
}

describe('knownExistingTargetIds', () => {
  const everyTarget = ['i-0a', 'i-0b', 'i-0c', 'i-0d'];

  it.each<[string, TargetHealth[], string[]]>([
    [
      'keeps every target of both snapshots when health shows none gone',
      healthOf(outageCurrent()),
      everyTarget,
    ],
    ['keeps deregistered targets that have no health record at all', [], everyTarget],
    [
      'drops a registered target whose instance is stopped (unused, Target.InvalidState)',
      [record('web-a', 'i-0a:80', 'unused', 'Target.InvalidState')],
      ['i-0b', 'i-0c', 'i-0d'],
    ],
    [
      'drops a deregistered target whose instance is reported stopped',
      [record('web-b', 'i-0d:80', 'unused', 'Target.InvalidState')],
      ['i-0a', 'i-0b', 'i-0c'],
    ],
    [
      'keeps a target reported unused only because it is not registered',
      [record('web-b', 'i-0c:80', 'unused', 'Target.NotRegistered')],
      everyTarget,
    ],
    [
      'keeps a target failing its health checks: failing is not gone',
      [record('web-a', 'i-0a:80', 'unhealthy', 'Target.FailedHealthChecks')],
      everyTarget,
    ],
    [
      'keeps a draining target',
      [record('web-a', 'i-0a:80', 'draining', 'Target.DeregistrationInProgress')],
      everyTarget,
    ],
  ])('%s', (_, health, ids) => {
    expect([...knownExistingTargetIds(outageCurrent(), outageLastGood(), health)].sort()).toEqual(ids);
  });

  it('keeps targets of last known good and drops those whose instance is stopped', () => {
    const current = outageCurrent();
    const health = healthOf(current, { 'i-0a:80': 'unused' }).map((h) =>
      h.state === 'unused' ? { ...h, reason: 'Target.InvalidState' } : h,
    );
    expect([...knownExistingTargetIds(current, outageLastGood(), health)].sort()).toEqual([
      'i-0b',
      'i-0c',
      'i-0d',
    ]);
  });

  it('keeps targets registered since last known good', () => {
    const current = mapGroup(outageCurrent(), 'web-a', (g) =>
      targetGroup('web-a', [...g.targets.map((t) => `${t.id}:${t.port}`), 'i-0e:80']),
    );
    expect([...knownExistingTargetIds(current, outageLastGood(), healthOf(current))].sort()).toEqual([
      ...everyTarget,
      'i-0e',
    ]);
  });
});

describe('planRestore', () => {
  const outageSteps = [
    'RegisterTargets web-a: i-0b:80',
    'RegisterTargets web-b: i-0c:80, i-0d:80',
    'ModifyListener :80 default action → forward web-a/web-b 50/50',
  ];

  it.each<[string, TargetHealth[], string[], string[]]>([
    ['restores the outage when every instance still runs', healthOf(outageCurrent()), outageSteps, []],
    ['re-registers deregistered targets that have no health record', [], outageSteps, []],
    [
      're-registers a target reported unused only because it is not registered',
      [...healthOf(outageCurrent()), record('web-b', 'i-0c:80', 'unused', 'Target.NotRegistered')],
      outageSteps,
      [],
    ],
    [
      'does not re-register a stopped instance, and says why',
      [...healthOf(outageCurrent()), record('web-b', 'i-0d:80', 'unused', 'Target.InvalidState')],
      [
        'RegisterTargets web-a: i-0b:80',
        'RegisterTargets web-b: i-0c:80',
        'ModifyListener :80 default action → forward web-a/web-b 50/50',
      ],
      ['i-0d:80 no longer exist'],
    ],
    [
      'leaves the weights alone when every instance of the group they favour is stopped',
      [
        ...healthOf(outageCurrent()),
        record('web-b', 'i-0c:80', 'unused', 'Target.InvalidState'),
        record('web-b', 'i-0d:80', 'unused', 'Target.InvalidState'),
      ],
      ['RegisterTargets web-a: i-0b:80'],
      ['i-0c:80, i-0d:80 no longer exist', 'web-b would have no registered target'],
    ],
  ])('%s', (_, health, steps, leftAlone) => {
    const current = outageCurrent();
    const p = planOf(
      planRestore({
        current,
        lastGood: outageLastGood(),
        health,
        attachments: ownAttachments(current),
        policy,
      }),
    );
    expect(lines(p, current)).toEqual(steps);
    expect(p.leftAlone.map((l) => l.why)).toEqual(leftAlone.map((why) => expect.stringContaining(why)));
  });

  it('has nothing to do when the snapshot already equals last known good', () => {
    const lastGood = outageLastGood();
    expect(
      planRestore({
        current: lastGood,
        lastGood,
        health: healthOf(lastGood),
        attachments: ownAttachments(lastGood),
        policy,
      }),
    ).toEqual({
      kind: 'nothing-to-do',
      leftAlone: [],
    });
  });

  it("refuses, as inspect and remediate plan it, a last known good reaching into another load balancer's group", () => {
    const current = outageCurrent();
    const outcome = planRestore({
      current,
      lastGood: outageLastGood(),
      health: healthOf(current),
      attachments: attachments(current, { [tgArn('web-b')]: [OTHER_LB_ARN] }),
      policy,
    });
    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'foreign-target-group' });
  });

  const arbRestore = arbSnapshot()
    .filter((s) => s.targetGroups.length > 0)
    .chain((lastGood) =>
      fc
        .record({
          kept: fc.array(fc.nat(), {
            minLength: lastGood.targetGroups.length,
            maxLength: lastGood.targetGroups.length,
          }),
          health: arbHealth(lastGood),
          stopped: fc.nat(),
        })
        .map(({ kept, health, stopped }) => ({
          lastGood,
          // A deployment that deregistered some targets of each group.
          current: {
            ...lastGood,
            targetGroups: lastGood.targetGroups.map((g, i) => ({
              ...g,
              targets: g.targets.filter((_, j) => ((kept[i] ?? 0) >> j) & 1),
            })),
          },
          health: health.map((h, i) =>
            h.state === 'unused' && (stopped >> (i % 30)) & 1 ? { ...h, reason: 'Target.InvalidState' } : h,
          ),
        })),
    );

  it('never re-registers a stopped instance, and plans as planRemediation when none is stopped', () => {
    fc.assert(
      fc.property(arbRestore, ({ lastGood, current, health }) => {
        const input = {
          current,
          lastGood,
          health,
          attachments: ownAttachments(current),
          policy: { ...policy, maxSteps: 100 },
        };
        const outcome = planRestore(input);
        const stopped = new Set(
          health
            .filter((h) => h.state === 'unused' && h.reason === 'Target.InvalidState')
            .map((h) => h.targetId),
        );
        const registered =
          outcome.kind === 'nothing-to-do'
            ? []
            : outcome.plan.steps.flatMap((s) =>
                s.op === 'RegisterTargets' ? s.targets.map((t) => t.id) : [],
              );
        expect(registered.filter((id) => stopped.has(id))).toEqual([]);
        if (stopped.size === 0) expect(outcome).toEqual(planRemediation(input));
      }),
      { numRuns: 200 },
    );
  });
});

describe('planHash', () => {
  const steps: PlanStep[] = [
    { op: 'RegisterTargets', targetGroupArn: webA.arn, targets: [{ id: 'i-0a', port: 80 }] },
  ];

  it('is stable across key order and a sha256 hex digest', () => {
    const reordered = [
      { targets: [{ port: 80, id: 'i-0a' }], targetGroupArn: webA.arn, op: 'RegisterTargets' },
    ] as PlanStep[];
    expect(planHash(reordered)).toBe(planHash(steps));
    expect(planHash(steps)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when a step changes', () => {
    expect(planHash([{ ...steps[0], targets: [{ id: 'i-0a', port: 81 }] } as PlanStep])).not.toBe(
      planHash(steps),
    );
  });
});

describe('describeStep', () => {
  const s = shopLastGood;
  it.each<[PlanStep, string]>([
    [
      {
        op: 'RegisterTargets',
        targetGroupArn: webB.arn,
        targets: [
          { id: 'i-0c', port: 80 },
          { id: 'i-0b', port: 80 },
        ],
      },
      'RegisterTargets web-b: i-0b:80, i-0c:80',
    ],
    [
      { op: 'RegisterTargets', targetGroupArn: tgArn('gone'), targets: [{ id: 'fn' }] },
      'RegisterTargets gone: fn',
    ],
    [
      { op: 'ModifyListener', listenerArn: 'arn:unknown', defaultActions: [fixedResponse()] },
      'ModifyListener arn:unknown default action → fixed-response 503',
    ],
    [
      { op: 'ModifyRule', ruleArn: 'arn:rule', conditions: [path('/x')], actions: [forward([webA, 1])] },
      'ModifyRule arn:rule → path /x: forward web-a',
    ],
    [
      {
        op: 'SetRulePriorities',
        priorities: [
          { ruleArn: apiRule.arn, priority: 5 },
          { ruleArn: checkoutRule.arn, priority: 6 },
        ],
      },
      'SetRulePriorities :80 rule 20 (host api.example.com) → 5, :80 rule 10 (path /checkout/*) → 6',
    ],
    [
      {
        op: 'CreateRule',
        listenerArn: s.listeners[0]?.arn ?? '',
        priority: 3,
        conditions: [host('a.example.com')],
        actions: [fixedResponse('404')],
      },
      'CreateRule :80 rule 3 (host a.example.com): fixed-response 404',
    ],
  ])('describes %j in one line', (step, expected) => {
    expect(describeStep(step, s)).toBe(expected);
  });
});

describe('applyPlan', () => {
  const l80 = shopLastGood.listeners[0]?.arn ?? '';

  it('registers targets idempotently, by id and port', () => {
    const after = applyPlan(shopLastGood, [
      {
        op: 'RegisterTargets',
        targetGroupArn: webA.arn,
        targets: [
          { id: 'i-0a', port: 80 },
          { id: 'i-0a', port: 8080 },
          { id: 'i-0a', port: 8080 },
        ],
      },
    ]);
    expect(after.targetGroups.find((g) => g.arn === webA.arn)?.targets).toEqual([
      { id: 'i-0a', port: 80 },
      { id: 'i-0a', port: 8080 },
      { id: 'i-0b', port: 80 },
    ]);
  });

  it('replaces default actions and rule contents, keeping what ModifyRule is not sent', () => {
    const after = applyPlan(shopLastGood, [
      { op: 'ModifyListener', listenerArn: l80, defaultActions: [fixedResponse()] },
      { op: 'ModifyRule', ruleArn: apiRule.arn, conditions: [], actions: [fixedResponse('404')] },
      { op: 'ModifyRule', ruleArn: checkoutRule.arn, conditions: [path('/pay/*')], actions: [] },
    ]);
    const l = after.listeners[0];
    expect(l?.defaultActions).toEqual([fixedResponse()]);
    expect(l?.rules.map((r) => [r.conditions, r.actions])).toEqual([
      [[path('/pay/*')], checkoutRule.actions],
      [apiRule.conditions, [fixedResponse('404')]],
    ]);
  });

  it('swaps priorities in one call as AWS allows', () => {
    const after = applyPlan(shopLastGood, [
      {
        op: 'SetRulePriorities',
        priorities: [
          { ruleArn: checkoutRule.arn, priority: 20 },
          { ruleArn: apiRule.arn, priority: 10 },
        ],
      },
    ]);
    expect(after.listeners[0]?.rules.map((r) => r.arn)).toEqual([apiRule.arn, checkoutRule.arn]);
  });

  it('leaves listeners a call does not touch as they were', () => {
    const two = {
      ...shopLastGood,
      listeners: [
        ...shopLastGood.listeners,
        listener(8080, [forward([webA, 1])], [rule(8080, 10, [path('/x')], [fixedResponse()])]),
      ],
    };
    const after = applyPlan(two, [
      { op: 'ModifyRule', ruleArn: apiRule.arn, conditions: [], actions: [fixedResponse('404')] },
    ]);
    expect(after.listeners[1]).toEqual(normaliseSnapshot(two).listeners[1]);
  });

  it.each<[string, PlanStep, string]>([
    [
      'an unknown target group',
      { op: 'RegisterTargets', targetGroupArn: tgArn('nope'), targets: [] },
      'TargetGroupNotFound',
    ],
    [
      'an unknown listener',
      { op: 'ModifyListener', listenerArn: 'arn:nope', defaultActions: [] },
      'ListenerNotFound',
    ],
    [
      'an unknown rule',
      { op: 'SetRulePriorities', priorities: [{ ruleArn: 'arn:nope', priority: 1 }] },
      'RuleNotFound',
    ],
    [
      'a priority in use',
      { op: 'SetRulePriorities', priorities: [{ ruleArn: apiRule.arn, priority: 10 }] },
      'PriorityInUse',
    ],
    [
      'a new rule on a priority in use',
      {
        op: 'CreateRule',
        listenerArn: l80,
        priority: 20,
        conditions: [path('/y')],
        actions: [fixedResponse()],
      },
      'PriorityInUse',
    ],
  ])('refuses %s as ELBv2 would', (_what, step, error) => {
    expect(() => applyPlan(shopLastGood, [step])).toThrow(SimulationError);
    expect(() => applyPlan(shopLastGood, [step])).toThrow(error);
  });

  it('derives a created rule ARN from its listener and priority', () => {
    expect(syntheticRuleArn('arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/shop/1/2', 7)).toBe(
      'arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/shop/1/2/lbguard-p7',
    );
  });
});
