import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DRIFT_RULES, diffSnapshots, pairSnapshots } from '../../lib/drift.ts';
import type { Drift, DriftKind, LbSnapshot, Listener, TargetGroup } from '../../lib/types.ts';
import {
  arbSnapshot,
  authenticateOidc,
  fixedResponse,
  forward,
  header,
  host,
  listener,
  outageCurrent,
  outageLastGood,
  path,
  rule,
  ruleArn,
  shopTopology,
  snapshot,
  targetGroup,
} from './fixtures/topologies.ts';

/** Reverses every array and every object's keys: a reordering the API may do. */
function reverseDeep<T>(value: T): T {
  if (Array.isArray(value)) {
    const items = value.map(reverseDeep);
    const positional = items.some(
      (v) => typeof v === 'object' && v !== null && 'type' in v && !('order' in v),
    );
    return (positional ? items : items.reverse()) as T;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseDeep(v)]),
    ) as T;
  }
  return value;
}

const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
const api = targetGroup('api', ['10.0.1.17:31337', '10.0.2.9:9001'], { targetType: 'ip', port: 9001 });

const checkoutRule = rule(80, 10, [host('shop.example.com'), path('/checkout/*')], [forward([webB, 1])]);
const apiRule = rule(80, 20, [path('/api/*')], [forward([api, 1])]);
const base = snapshot(
  [listener(80, [forward([webA, 50], [webB, 50])], [checkoutRule, apiRule])],
  [webA, webB, api],
);

function withListener(s: LbSnapshot, change: (l: Listener) => Listener): LbSnapshot {
  return { ...s, listeners: s.listeners.map((l, i) => (i === 0 ? change(l) : l)) };
}

function withGroup(s: LbSnapshot, arn: string, change: (g: TargetGroup) => TargetGroup): LbSnapshot {
  return { ...s, targetGroups: s.targetGroups.map((g) => (g.arn === arn ? change(g) : g)) };
}

function pick(drifts: readonly Drift[]) {
  return drifts.map((d) => ({
    ruleId: d.ruleId,
    kind: d.kind,
    summary: d.summary,
    remediable: d.remediable,
  }));
}

describe('diffSnapshots', () => {
  it('finds nothing between a snapshot and itself, for any snapshot', () => {
    fc.assert(
      fc.property(arbSnapshot(), (s) => {
        expect(diffSnapshots(s, s)).toEqual([]);
      }),
    );
  });

  it('finds nothing when only the order the API listed things in differs', () => {
    fc.assert(
      fc.property(arbSnapshot(), (s) => {
        expect(diffSnapshots(reverseDeep(s), s)).toEqual([]);
      }),
    );
  });

  it('reports the outage as skewed weights and three deregistered targets', () => {
    expect(pick(diffSnapshots(outageCurrent(), outageLastGood()))).toEqual([
      {
        ruleId: 'LBG-D3',
        kind: 'weights-changed',
        summary: 'listener :80 default action weights web-a/web-b 50/50 → 100/0',
        remediable: true,
      },
      {
        ruleId: 'LBG-D11',
        kind: 'targets-deregistered',
        summary:
          'target group web-a: 1 target(s) deregistered (i-0b:80); 1 of 2 last-known-good targets remain',
        remediable: true,
      },
      {
        ruleId: 'LBG-D11',
        kind: 'targets-deregistered',
        summary:
          'target group web-b: 2 target(s) deregistered (i-0c:80, i-0d:80); 0 of 2 last-known-good targets remain',
        remediable: true,
      },
    ]);
  });

  const cases: readonly [string, LbSnapshot, readonly [DriftKind, string, boolean][]][] = [
    [
      'a default action now answering a fixed 503',
      withListener(base, (l) => ({ ...l, defaultActions: [fixedResponse('503')] })),
      [
        [
          'default-action-changed',
          'listener :80 default action forward web-a/web-b 50/50 → fixed-response 503',
          true,
        ],
      ],
    ],
    [
      'a default action forwarding to one group only',
      withListener(base, (l) => ({ ...l, defaultActions: [forward([webA, 1])] })),
      [
        [
          'default-action-changed',
          'listener :80 default action forward web-a/web-b 50/50 → forward web-a',
          true,
        ],
      ],
    ],
    [
      'a rule flipped to another group',
      withListener(base, (l) => ({
        ...l,
        rules: l.rules.map((r) => (r.arn === checkoutRule.arn ? { ...r, actions: [forward([api, 1])] } : r)),
      })),
      [
        [
          'rule-actions-changed',
          'listener :80 rule 10 (host shop.example.com and path /checkout/*) actions forward web-b → forward api',
          true,
        ],
      ],
    ],
    [
      'three-way weights in a rule',
      withListener(base, (l) => ({
        ...l,
        rules: l.rules.map((r) =>
          r.arn === apiRule.arn ? { ...r, actions: [forward([api, 2], [webA, 0], [webB, 0])] } : r,
        ),
      })),
      [
        [
          'rule-actions-changed',
          'listener :80 rule 20 (path /api/*) actions forward api → forward api/web-a/web-b 2/0/0',
          true,
        ],
      ],
    ],
    [
      'changed conditions',
      withListener(base, (l) => ({
        ...l,
        rules: l.rules.map((r) => (r.arn === apiRule.arn ? { ...r, conditions: [path('/v2/*')] } : r)),
      })),
      [
        [
          'rule-conditions-changed',
          'listener :80 rule 20 (path /api/*) conditions path /api/* → path /v2/*',
          true,
        ],
      ],
    ],
    [
      'a rule left with no conditions',
      withListener(base, (l) => ({
        ...l,
        rules: l.rules.map((r) => (r.arn === apiRule.arn ? { ...r, conditions: [] } : r)),
      })),
      [['rule-conditions-changed', 'listener :80 rule 20 (path /api/*) conditions path /api/* → none', true]],
    ],
    [
      'a changed priority',
      withListener(base, (l) => ({
        ...l,
        rules: l.rules.map((r) => (r.arn === apiRule.arn ? { ...r, priority: 5 } : r)),
      })),
      [['rule-priority-changed', 'listener :80 rule 20 (path /api/*) priority 20 → 5', true]],
    ],
    [
      'a removed rule',
      withListener(base, (l) => ({ ...l, rules: l.rules.filter((r) => r.arn !== apiRule.arn) })),
      [['rule-removed', 'listener :80 rule 20 (path /api/*) removed (was forward api)', true]],
    ],
    [
      'an added rule',
      withListener(base, (l) => ({
        ...l,
        rules: [...l.rules, rule(80, 5, [header('X-Maintenance', 'on')], [fixedResponse('503')])],
      })),
      [['rule-added', 'listener :80 rule 5 (header X-Maintenance: on) added (fixed-response 503)', false]],
    ],
    [
      'a removed listener',
      { ...base, listeners: [] },
      [
        [
          'listener-removed',
          'listener :80 HTTP removed (last known good had it with 2 rule(s), default forward web-a/web-b 50/50)',
          false,
        ],
      ],
    ],
    [
      'an added listener',
      { ...base, listeners: [...base.listeners, listener(8080, [fixedResponse('404')])] },
      [['listener-added', 'listener :8080 HTTP added (default fixed-response 404)', false]],
    ],
    [
      'a listener whose protocol changed',
      withListener(base, (l) => ({ ...l, protocol: 'HTTPS' })),
      [
        [
          'listener-removed',
          'listener :80 HTTP removed (last known good had it with 2 rule(s), default forward web-a/web-b 50/50)',
          false,
        ],
        ['listener-added', 'listener :80 HTTPS added (default forward web-a/web-b 50/50)', false],
      ],
    ],
    [
      'a target group no longer attached',
      {
        ...withListener(base, (l) => ({
          ...l,
          rules: [checkoutRule, { ...apiRule, actions: [forward([webA, 1])] }],
        })),
        targetGroups: [webA, webB],
      },
      [
        [
          'rule-actions-changed',
          'listener :80 rule 20 (path /api/*) actions forward api → forward web-a',
          true,
        ],
        [
          'target-group-removed',
          'target group api is no longer attached to the load balancer (deleted, or nothing forwards to it)',
          false,
        ],
      ],
    ],
    [
      'a registered target',
      withGroup(base, api.arn, (g) => ({ ...g, targets: [...g.targets, { id: '10.0.3.3', port: 65535 }] })),
      [['targets-registered', 'target group api: 1 target(s) registered (10.0.3.3:65535)', false]],
    ],
    [
      'a deregistered IP target on an odd port',
      withGroup(base, api.arn, (g) => ({ ...g, targets: g.targets.slice(1) })),
      [
        [
          'targets-deregistered',
          'target group api: 1 target(s) deregistered (10.0.1.17:31337); 1 of 2 last-known-good targets remain',
          true,
        ],
      ],
    ],
    [
      'a target moved to another port',
      withGroup(base, api.arn, (g) => ({
        ...g,
        targets: [{ id: '10.0.1.17', port: 31338 }, ...g.targets.slice(1)],
      })),
      [
        [
          'targets-deregistered',
          'target group api: 1 target(s) deregistered (10.0.1.17:31337); 1 of 2 last-known-good targets remain',
          true,
        ],
        ['targets-registered', 'target group api: 1 target(s) registered (10.0.1.17:31338)', false],
      ],
    ],
    [
      'a changed health check',
      withGroup(base, webA.arn, (g) => ({
        ...g,
        healthCheck: { ...g.healthCheck, path: '/healthz', matcher: '200' },
      })),
      [
        [
          'health-check-changed',
          'target group web-a: healthCheck.matcher unset → "200", healthCheck.path "/health" → "/healthz"',
          false,
        ],
      ],
    ],
    [
      'a changed load-balancing algorithm',
      withGroup(base, webB.arn, (g) => ({ ...g, loadBalancingAlgorithm: 'least_outstanding_requests' })),
      [
        [
          'health-check-changed',
          'target group web-b: loadBalancingAlgorithm unset → "least_outstanding_requests"',
          false,
        ],
      ],
    ],
  ];

  it.each(cases)('reports %s', (_what, current, expected) => {
    const drifts = diffSnapshots(current, base);
    expect(drifts.map((d) => [d.kind, d.summary, d.remediable])).toEqual(expected);
  });

  it('reports a removed unhealthy-state routing guard', () => {
    const guarded = withGroup(base, webA.arn, (g) => ({
      ...g,
      unhealthyStateRouting: { minimumHealthyTargetsCount: 2 },
    }));
    expect(pick(diffSnapshots(base, guarded))).toEqual([
      {
        ruleId: 'LBG-D13',
        kind: 'health-check-changed',
        summary: 'target group web-a: unhealthyStateRouting.minimumHealthyTargetsCount 2 → unset',
        remediable: false,
      },
    ]);
  });

  it('names the rule, listener and group each drift is about, using current ARNs', () => {
    const moved = withListener(base, (l) => ({
      ...l,
      arn: `${l.arn}-recreated`,
      rules: l.rules.map((r) => (r.arn === apiRule.arn ? { ...r, priority: 30 } : r)),
    }));
    const [drift] = diffSnapshots(moved, base);
    expect(drift).toMatchObject({
      listenerArn: `${base.listeners[0]?.arn}-recreated`,
      ruleArn: apiRule.arn,
      before: 20,
      after: 30,
    });
  });

  it('does not report a listener or rule recreated with new ARNs but the same routing', () => {
    const recreated = withListener(base, (l) => ({
      ...l,
      arn: `${l.arn}-new`,
      rules: l.rules.map((r) => ({ ...r, arn: `${r.arn}-new` })),
    }));
    expect(diffSnapshots(recreated, base)).toEqual([]);
  });

  it('pairs a recreated rule by its conditions, so a new priority reads as a priority change', () => {
    const recreated = withListener(base, (l) => ({
      ...l,
      rules: l.rules.map((r) =>
        r.arn === apiRule.arn ? { ...r, arn: ruleArn(80, 'api-again'), priority: 7 } : r,
      ),
    }));
    expect(pick(diffSnapshots(recreated, base))).toEqual([
      {
        ruleId: 'LBG-D7',
        kind: 'rule-priority-changed',
        summary: 'listener :80 rule 20 (path /api/*) priority 20 → 7',
        remediable: true,
      },
    ]);
  });

  it('reads only weights as weights, keeping authenticate actions in place', () => {
    const authed = withListener(base, (l) => ({
      ...l,
      defaultActions: [authenticateOidc(1), { ...forward([webA, 50], [webB, 50]), order: 2 }],
    }));
    const skewed = withListener(base, (l) => ({
      ...l,
      defaultActions: [authenticateOidc(1), { ...forward([webA, 100], [webB, 0]), order: 2 }],
    }));
    expect(pick(diffSnapshots(skewed, authed))).toEqual([
      {
        ruleId: 'LBG-D3',
        kind: 'weights-changed',
        summary: 'listener :80 default action weights web-a/web-b 50/50 → 100/0',
        remediable: true,
      },
    ]);
  });

  it('reports weights changed inside a rule with the rule named', () => {
    const lastGood = shopTopology();
    const current = {
      ...lastGood,
      listeners: lastGood.listeners.map((l) => ({
        ...l,
        rules: l.rules.map((r) =>
          r.priority === 10
            ? {
                ...r,
                actions: r.actions.map((a) =>
                  a.type === 'forward'
                    ? {
                        ...a,
                        targetGroups: a.targetGroups.map((g) => ({ ...g, weight: g.weight === 2 ? 1 : 0 })),
                      }
                    : a,
                ),
              }
            : r,
        ),
      })),
    };
    expect(pick(diffSnapshots(current, lastGood))).toEqual([
      {
        ruleId: 'LBG-D3',
        kind: 'weights-changed',
        summary:
          'listener :443 rule 10 (host shop.example.com and path /checkout/*) weights checkout-canary/checkout/web 1/1/2 → 0/0/1',
        remediable: true,
      },
    ]);
  });
});

describe('DRIFT_RULES', () => {
  it('has one rule per drift kind, each with a distinct LBG-D id and a description', () => {
    const ids = DRIFT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^LBG-D\d+$/.test(id))).toBe(true);
    expect(new Set(DRIFT_RULES.map((r) => r.kind)).size).toBe(DRIFT_RULES.length);
    expect(DRIFT_RULES.every((r) => r.description.length > 10)).toBe(true);
  });

  it('raises only its own kind under its own id, for any pair of snapshots', () => {
    fc.assert(
      fc.property(arbSnapshot(), arbSnapshot(), (current, lastGood) => {
        for (const r of DRIFT_RULES) {
          for (const d of r.check(current, lastGood)) expect([d.ruleId, d.kind]).toEqual([r.id, r.kind]);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('lets the remediable flag follow the kind', () => {
    const remediable = new Set<DriftKind>([
      'weights-changed',
      'default-action-changed',
      'rule-actions-changed',
      'rule-conditions-changed',
      'rule-priority-changed',
      'rule-removed',
      'targets-deregistered',
    ]);
    fc.assert(
      fc.property(arbSnapshot(), arbSnapshot(), (current, lastGood) => {
        for (const d of diffSnapshots(current, lastGood)) expect(d.remediable).toBe(remediable.has(d.kind));
      }),
      { numRuns: 50 },
    );
  });
});

describe('pairSnapshots', () => {
  it('pairs two rules with the same conditions one to one, in priority order', () => {
    const a = rule(80, 1, [path('/x')], [fixedResponse('500')]);
    const b = rule(80, 2, [path('/x')], [fixedResponse('501')]);
    const lastGood = snapshot([listener(80, [fixedResponse()], [a, b])], []);
    const current = snapshot(
      [
        listener(
          80,
          [fixedResponse()],
          [
            { ...a, arn: 'arn:new-1' },
            { ...b, arn: 'arn:new-2' },
          ],
        ),
      ],
      [],
    );
    const p = pairSnapshots(current, lastGood);
    expect(p.rules.map((r) => [r.lastGood.arn, r.current.arn])).toEqual([
      [a.arn, 'arn:new-1'],
      [b.arn, 'arn:new-2'],
    ]);
    expect([p.removedRules, p.addedRules]).toEqual([[], []]);
  });
});
