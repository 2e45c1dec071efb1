import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatLintReport, LINT_RULES, type LintReport, lintSnapshot } from '../../lib/lint.ts';
import type { Condition, HealthCheck, LbSnapshot, Rule, TargetGroup, TargetHealth } from '../../lib/types.ts';
import {
  arbSnapshotWithHealth,
  authenticateOidc,
  fixedResponse,
  forward,
  header,
  healthOf,
  host,
  listener,
  outageCurrent,
  outageLastGood,
  path,
  redirectToHttps,
  rule,
  shopTopology,
  snapshot,
  targetGroup,
  tgArn,
} from './fixtures/topologies.ts';

// Local builders: a group the linter has nothing to say about, and ways to spoil one thing.

/** Two or more targets spread over zones a/b/c, a healthy-minimum of 50%, a sane health check. */
function goodGroup(name: string, targets: readonly string[] = [`${name}-1:80`, `${name}-2:80`]): TargetGroup {
  const group = targetGroup(name, targets, {
    unhealthyStateRouting: { minimumHealthyTargetsPercentage: 50 },
  });
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
  return {
    ...group,
    targets: group.targets.map((t, i) => ({
      ...t,
      availabilityZone: zones[i % zones.length] ?? 'eu-west-1a',
    })),
  };
}

function withHealthCheck(group: TargetGroup, healthCheck: HealthCheck): TargetGroup {
  return { ...group, healthCheck: { ...group.healthCheck, ...healthCheck } };
}

function inZones(group: TargetGroup, ...zones: (string | undefined)[]): TargetGroup {
  return {
    ...group,
    targets: group.targets.map((t, i) => {
      const zone = zones[i];
      const { availabilityZone: _, ...bare } = t;
      return zone === undefined ? bare : { ...bare, availabilityZone: zone };
    }),
  };
}

function findingsOf(report: LintReport): string[] {
  return report.findings.map((f) => `${f.ruleId} ${f.resource.name}`);
}

const webA = goodGroup('web-a');
const webB = goodGroup('web-b');
const webC = goodGroup('web-c');
const empty = { ...goodGroup('web-e'), targets: [] };

function oneListener(actions: Parameters<typeof listener>[1], groups: readonly TargetGroup[]): LbSnapshot {
  return snapshot([listener(80, actions)], groups);
}

function rulesSnapshot(...rules: readonly (readonly [number, readonly Condition[]])[]): LbSnapshot {
  return snapshot(
    [
      listener(
        443,
        [forward([webA, 1])],
        rules.map(([priority, conditions]) => rule(443, priority, conditions, [forward([webB, 1])])),
      ),
    ],
    [webA, webB],
  );
}

describe('lintSnapshot on whole load balancers', () => {
  const cases: readonly {
    name: string;
    snapshot: LbSnapshot;
    health?: TargetHealth[];
    expected: string[];
  }[] = [
    {
      name: 'a 50/50 forward over two guarded, zone-spread groups is clean',
      snapshot: oneListener([forward([webA, 50], [webB, 50])], [webA, webB]),
      expected: [],
    },
    {
      name: 'the outage before deregistration (100/0, both groups registered) is an error',
      snapshot: oneListener([forward([webA, 100], [webB, 0])], [webA, webB]),
      expected: ['LBG-L1 listener :80'],
    },
    {
      name: 'the outage itself (100/0, one target left, idle group emptied) warns about both groups',
      snapshot: outageCurrent(),
      expected: ['LBG-L5 target group web-a', 'LBG-L5 target group web-b'],
    },
    {
      name: "the postmortem's last known good lacks only the single-survivor guard",
      snapshot: outageLastGood(),
      expected: ['LBG-L7 target group web-a', 'LBG-L7 target group web-b'],
    },
    {
      name: 'a shop with host, path, auth, ip, lambda and maintenance rules warns only about small and unguarded groups',
      snapshot: shopTopology(),
      expected: [
        'LBG-L5 target group admin',
        'LBG-L5 target group checkout-canary',
        'LBG-L7 target group checkout',
        'LBG-L7 target group web',
      ],
    },
    {
      name: 'a three-way 100/0/0 names the registered idle group and warns about the empty one',
      snapshot: oneListener([forward([webA, 100], [webB, 0], [empty, 0])], [webA, webB, empty]),
      expected: ['LBG-L1 listener :80', 'LBG-L5 target group web-e'],
    },
    {
      name: 'a 50/50/0 canary drain leaves traffic spread and is not concentration',
      snapshot: oneListener([forward([webA, 50], [webB, 50], [webC, 0])], [webA, webB, webC]),
      expected: [],
    },
    {
      name: 'a weighted forward into an empty group is an error (503 for its share)',
      snapshot: oneListener([forward([webA, 60], [empty, 40])], [webA, empty]),
      expected: ['LBG-L2 listener :80', 'LBG-L5 target group web-e'],
    },
    {
      name: 'a rule shadowed by a broader earlier rule is an error on the later rule',
      snapshot: rulesSnapshot([10, [path('/api/*')]], [20, [path('/api/v2/*')]]),
      expected: ['LBG-L3 listener :443 rule 20 (path /api/v2/*)'],
    },
    {
      name: 'a 503 maintenance page as the default action is an error',
      snapshot: snapshot([listener(80, [redirectToHttps()]), listener(443, [fixedResponse('503')], [])], []),
      expected: ['LBG-L4 listener :443'],
    },
    {
      name: 'a 503 maintenance page behind a header rule is fine',
      snapshot: snapshot(
        [
          listener(
            443,
            [forward([webA, 1])],
            [rule(443, 5, [header('X-Maintenance', 'on')], [fixedResponse()])],
          ),
        ],
        [webA],
      ),
      expected: [],
    },
    {
      name: 'a lax and a strict health check each warn',
      snapshot: oneListener(
        [forward([webA, 1], [webB, 1])],
        [
          withHealthCheck(webA, { path: '/', matcher: '200-499' }),
          withHealthCheck(webB, { timeoutSeconds: 30, intervalSeconds: 30 }),
        ],
      ),
      expected: ['LBG-L8 target group web-a', 'LBG-L9 target group web-b'],
    },
    {
      name: 'targets all draining make a weighted group empty in effect',
      snapshot: oneListener([forward([webA, 1], [webB, 1])], [webA, webB]),
      health: healthOf(oneListener([], [webA, webB]), { 'web-b-1:80': 'draining', 'web-b-2:80': 'unused' }),
      expected: ['LBG-L2 listener :80', 'LBG-L5 target group web-b'],
    },
  ];

  it.each(cases)('$name', ({ snapshot: s, health, expected }) => {
    const report = lintSnapshot(s, health);
    expect(findingsOf(report)).toEqual(expected);
    expect(report.errors + report.warnings).toBe(report.findings.length);
    expect(report.outcomes.map((o) => o.ruleId)).toEqual(LINT_RULES.map((r) => r.id));
  });
});

describe('LBG-L1 forward-concentrated', () => {
  it.each([
    { weights: [100, 0], flagged: true },
    { weights: [999, 0], flagged: true },
    { weights: [1, 0], flagged: true },
    { weights: [90, 10], flagged: false },
    { weights: [0, 0], flagged: false },
    { weights: [1, 1], flagged: false },
  ])('weights $weights over two registered groups: flagged $flagged', ({ weights, flagged }) => {
    const s = oneListener([forward([webA, weights[0] ?? 0], [webB, weights[1] ?? 0])], [webA, webB]);
    const ids = lintSnapshot(s).findings.map((f) => f.ruleId);
    expect(ids.includes('LBG-L1')).toBe(flagged);
  });

  it('names the carrying group, the idle group, its targets and the weights', () => {
    const s = snapshot(
      [
        listener(
          443,
          [forward([webA, 1])],
          [rule(443, 10, [host('shop.example.com')], [forward([webA, 100], [webB, 0])])],
        ),
      ],
      [webA, webB],
    );
    const [finding] = lintSnapshot(s).findings;
    expect(finding).toMatchObject({
      ruleId: 'LBG-L1',
      level: 'error',
      resource: { kind: 'rule', name: 'listener :443 rule 10 (host shop.example.com)' },
    });
    expect(finding?.message).toContain('forward web-a/web-b 100/0');
    expect(finding?.message).toContain(
      'web-a carries all traffic while web-b (2 registered targets) get none',
    );
    expect(finding?.fix).toContain('1/1');
  });

  it('is not applicable without a forward over two or more groups', () => {
    const report = lintSnapshot(oneListener([forward([webA, 1])], [webA]));
    expect(report.outcomes.find((o) => o.ruleId === 'LBG-L1')?.outcome).toBe('not-applicable');
  });

  it('does not guess about idle groups whose targets are registered at run time, or groups not in the snapshot', () => {
    const s = oneListener([forward([webA, 100], [webB, 0], [tgArn('gone'), 0])], [webA, webB]);
    expect(lintSnapshot(s, undefined, { unknownTargets: [webB.arn] }).findings).toEqual([]);
  });

  it('does not count idle targets that are draining or unused', () => {
    const s = oneListener([forward([webA, 100], [webB, 0])], [webA, webB]);
    const health = healthOf(s, { 'web-b-1:80': 'draining', 'web-b-2:80': 'unused' });
    expect(findingsOf(lintSnapshot(s, health))).not.toContain('LBG-L1 listener :80');
  });
});

describe('LBG-L2 forward-to-empty-group', () => {
  it('reports a forward to a group that is not in the snapshot', () => {
    const [finding] = lintSnapshot(oneListener([forward([tgArn('ghost'), 1])], [])).findings;
    expect(finding).toMatchObject({ ruleId: 'LBG-L2', level: 'error' });
    expect(finding?.message).toContain('ghost, which is not a target group of this load balancer');
  });

  it('states the share of requests that get 503', () => {
    const [finding] = lintSnapshot(oneListener([forward([webA, 3], [empty, 1])], [webA, empty])).findings;
    expect(finding?.message).toContain('sends 25% of requests to web-e, which has no registered targets');
  });

  it('accepts a lambda group with its function registered', () => {
    const fn = targetGroup('thumbs', ['arn:aws:lambda:eu-west-1:123456789012:function:thumbs'], {
      targetType: 'lambda',
    });
    expect(lintSnapshot(oneListener([forward([fn, 1])], [fn])).findings).toEqual([]);
  });

  it('reports a lambda group with no function registered', () => {
    const fn = targetGroup('thumbs', [], { targetType: 'lambda' });
    expect(findingsOf(lintSnapshot(oneListener([forward([fn, 1])], [fn])))).toEqual(['LBG-L2 listener :80']);
  });

  it('skips groups whose targets are registered at run time', () => {
    const report = lintSnapshot(oneListener([forward([empty, 1])], [empty]), undefined, {
      unknownTargets: [empty.arn],
    });
    expect(report.findings).toEqual([]);
  });

  it('is not applicable to a load balancer that forwards nowhere', () => {
    const report = lintSnapshot(snapshot([listener(80, [redirectToHttps()])], []));
    expect(report.outcomes.find((o) => o.ruleId === 'LBG-L2')?.outcome).toBe('not-applicable');
  });
});

describe('LBG-L3 rule-shadowed', () => {
  const cases: readonly { name: string; rules: (readonly [number, Condition[]])[]; shadowed: number[] }[] = [
    {
      name: 'identical conditions',
      rules: [
        [10, [path('/a')]],
        [20, [path('/a')]],
      ],
      shadowed: [20],
    },
    {
      name: 'a prefix wildcard covering a longer path',
      rules: [
        [10, [path('/api/*')]],
        [20, [path('/api/v2/*')]],
      ],
      shadowed: [20],
    },
    {
      name: 'the specific rule first',
      rules: [
        [10, [path('/api/v2/*')]],
        [20, [path('/api/*')]],
      ],
      shadowed: [],
    },
    {
      name: 'a catch-all path',
      rules: [
        [1, [path('*')]],
        [2, [path('/x'), host('a.example.com')]],
      ],
      shadowed: [2],
    },
    {
      name: 'host names in another case',
      rules: [
        [10, [host('Shop.Example.com')]],
        [20, [host('shop.example.com')]],
      ],
      shadowed: [20],
    },
    {
      name: 'paths in another case',
      rules: [
        [10, [path('/API/*')]],
        [20, [path('/api/x')]],
      ],
      shadowed: [],
    },
    {
      name: 'a suffix wildcard host',
      rules: [
        [10, [host('*.example.com')]],
        [20, [host('*.shop.example.com')]],
      ],
      shadowed: [20],
    },
    {
      name: 'a suffix host that does not cover',
      rules: [
        [10, [host('*.example.com')]],
        [20, [host('*.example.org')]],
      ],
      shadowed: [],
    },
    {
      name: 'a literal against a ? pattern',
      rules: [
        [10, [path('/v?/x')]],
        [20, [path('/v1/x')]],
      ],
      shadowed: [20],
    },
    {
      name: 'wildcard against wildcard of a shape not decided',
      rules: [
        [10, [path('/a*b')]],
        [20, [path('/a*b')]],
      ],
      shadowed: [20],
    },
    {
      name: 'an infix wildcard not decided',
      rules: [
        [10, [path('/a*b')]],
        [20, [path('/a*xb')]],
      ],
      shadowed: [],
    },
    {
      name: 'two wildcards not decided',
      rules: [
        [10, [path('/a*/*')]],
        [20, [path('/a*/x*')]],
      ],
      shadowed: [],
    },
    {
      name: 'a ? in the broad pattern',
      rules: [
        [10, [path('/a?*')]],
        [20, [path('/ab*')]],
      ],
      shadowed: [],
    },
    {
      name: 'a prefix that does not cover',
      rules: [
        [10, [path('/api/*')]],
        [20, [path('/ap*')]],
      ],
      shadowed: [],
    },
    {
      name: 'one value of several covered',
      rules: [
        [10, [path('/a', '/b')]],
        [20, [path('/b', '/c')]],
      ],
      shadowed: [],
    },
    {
      name: 'every value covered',
      rules: [
        [10, [path('/a', '/b', '/c')]],
        [20, [path('/b', '/c')]],
      ],
      shadowed: [20],
    },
    {
      name: 'an extra condition on the later rule',
      rules: [
        [10, [host('a.example.com')]],
        [20, [host('a.example.com'), path('/x')]],
      ],
      shadowed: [20],
    },
    {
      name: 'an extra condition on the earlier rule',
      rules: [
        [10, [host('a.example.com'), path('/x')]],
        [20, [host('a.example.com')]],
      ],
      shadowed: [],
    },
    {
      name: 'different header names',
      rules: [
        [10, [header('X-A', 'on')]],
        [20, [header('X-B', 'on')]],
      ],
      shadowed: [],
    },
    {
      name: 'the same header in another case',
      rules: [
        [10, [header('x-env', 'CANARY')]],
        [20, [header('X-Env', 'canary')]],
      ],
      shadowed: [20],
    },
    {
      name: 'methods compared literally',
      rules: [
        [10, [{ field: 'http-request-method', values: ['GET', 'POST'] }]],
        [20, [{ field: 'http-request-method', values: ['POST'] }]],
        [30, [{ field: 'http-request-method', values: ['P*'] }]],
      ],
      shadowed: [20],
    },
    {
      name: 'source ranges compared literally',
      rules: [
        [10, [{ field: 'source-ip', values: ['10.0.0.0/8'] }]],
        [20, [{ field: 'source-ip', values: ['10.1.0.0/16'] }]],
        [30, [{ field: 'source-ip', values: ['10.0.0.0/8'] }]],
      ],
      shadowed: [30],
    },
    {
      name: 'query strings in another case',
      rules: [
        [10, [{ field: 'query-string', values: ['Version=*'] }]],
        [20, [{ field: 'query-string', values: ['version=2'] }]],
      ],
      shadowed: [20],
    },
    {
      name: 'header conditions without a header name',
      rules: [
        [10, [{ field: 'http-header', values: ['on'] }]],
        [20, [{ field: 'http-header', values: ['on'] }]],
      ],
      shadowed: [20],
    },
    {
      name: 'a later rule with an empty condition',
      rules: [
        [10, [path('/a')]],
        [20, [path()]],
      ],
      shadowed: [],
    },
    {
      name: 'regex characters taken literally',
      rules: [
        [10, [path('/a.b')]],
        [20, [path('/aXb')]],
      ],
      shadowed: [],
    },
  ];

  it.each(cases)('$name', ({ rules, shadowed }) => {
    const report = lintSnapshot(rulesSnapshot(...rules));
    const found = report.findings.filter((f) => f.ruleId === 'LBG-L3').map((f) => f.resource.arn);
    const expected = shadowed
      .map((p) => rules.findIndex(([q]) => q === p))
      .map((i) => rule(443, rules[i]?.[0] ?? 0, [], []).arn);
    expect(found).toEqual(expected);
  });

  it('says whether the conditions are the same or only covered, and how to fix each', () => {
    const same = lintSnapshot(rulesSnapshot([10, [path('/a')]], [20, [path('/a')]])).findings[0];
    expect(same?.message).toContain(
      'rule 20 (path /a) is unreachable: rule 10 (path /a) comes first and has the same conditions',
    );
    expect(same?.fix).toContain('Delete rule 20');
    const covered = lintSnapshot(rulesSnapshot([10, [path('/*')]], [20, [path('/a')]])).findings[0];
    expect(covered?.message).toContain('matches every request it would');
    expect(covered?.fix).toContain('a priority number below 10');
  });

  it('is not applicable to listeners with fewer than two rules', () => {
    const report = lintSnapshot(rulesSnapshot([10, [path('/a')]]));
    expect(report.outcomes.find((o) => o.ruleId === 'LBG-L3')?.outcome).toBe('not-applicable');
  });

  it('reads rules in priority order whatever order they are listed in', () => {
    const s = rulesSnapshot([20, [path('/api/v2/*')]], [10, [path('/api/*')]]);
    expect(findingsOf(lintSnapshot(s))).toEqual(['LBG-L3 listener :443 rule 20 (path /api/v2/*)']);
  });
});

describe('LBG-L4 default-fixed-5xx', () => {
  it.each([
    { actions: [fixedResponse('503')], flagged: true },
    { actions: [fixedResponse('500')], flagged: true },
    { actions: [authenticateOidc(1), { ...fixedResponse('502'), order: 2 }], flagged: true },
    { actions: [fixedResponse('404')], flagged: false },
    { actions: [fixedResponse('200')], flagged: false },
    { actions: [redirectToHttps()], flagged: false },
    { actions: [], flagged: false },
  ])('default action $actions.0.type $actions.0.statusCode: flagged $flagged', ({ actions, flagged }) => {
    const ids = lintSnapshot(snapshot([listener(80, actions)], [])).findings.map((f) => f.ruleId);
    expect(ids).toEqual(flagged ? ['LBG-L4'] : []);
  });

  it('is not applicable to a snapshot without listeners', () => {
    const report = lintSnapshot(snapshot([], []));
    expect(report.outcomes.every((o) => o.outcome === 'not-applicable')).toBe(true);
  });
});

describe('LBG-L5 too-few-targets and LBG-L6 single-zone', () => {
  it.each([
    { zones: ['eu-west-1a', 'eu-west-1a'], flagged: true },
    { zones: ['eu-west-1a', 'eu-west-1b'], flagged: false },
    { zones: ['eu-west-1a', undefined], flagged: false },
    { zones: ['all', 'all'], flagged: false },
  ])('targets in zones $zones: single-zone flagged $flagged', ({ zones, flagged }) => {
    const group = inZones(webA, ...zones);
    const ids = lintSnapshot(oneListener([forward([group, 1])], [group])).findings.map((f) => f.ruleId);
    expect(ids).toEqual(flagged ? ['LBG-L6'] : []);
  });

  it('names the zone and the single target', () => {
    const one = goodGroup('solo', ['i-0a:8080']);
    const zoned = inZones(webA, 'eu-west-1c', 'eu-west-1c');
    const report = lintSnapshot(oneListener([forward([one, 1], [zoned, 1])], [one, zoned]));
    expect(report.findings.map((f) => f.message)).toEqual([
      'target group solo has a single target in service (i-0a:8080): nothing to fail over to',
      'target group web-a: all 2 targets are in eu-west-1c',
    ]);
  });

  it('leaves lambda groups and groups registered at run time alone', () => {
    const fn = targetGroup('fn', ['arn:aws:lambda:eu-west-1:123456789012:function:fn'], {
      targetType: 'lambda',
    });
    const report = lintSnapshot(oneListener([forward([fn, 1], [empty, 1])], [fn, empty]), undefined, {
      unknownTargets: [empty.arn],
    });
    expect(report.findings).toEqual([]);
    expect(report.outcomes.find((o) => o.ruleId === 'LBG-L5')?.outcome).toBe('not-applicable');
    expect(report.outcomes.find((o) => o.ruleId === 'LBG-L6')?.outcome).toBe('not-applicable');
  });
});

describe('LBG-L7 no-minimum-healthy-targets', () => {
  it.each([
    { routing: undefined, flagged: true },
    { routing: { minimumHealthyTargetsCount: 1 }, flagged: true },
    { routing: { minimumHealthyTargetsPercentage: 0 }, flagged: true },
    { routing: { minimumHealthyTargetsCount: 2 }, flagged: false },
    { routing: { minimumHealthyTargetsPercentage: 50 }, flagged: false },
  ])('unhealthy-state routing $routing: flagged $flagged', ({ routing, flagged }) => {
    const base = targetGroup('web', ['i-0a:80', 'i-0b:80', 'i-0c:80']);
    const group = routing === undefined ? base : { ...base, unhealthyStateRouting: routing };
    const findings = lintSnapshot(oneListener([forward([group, 1])], [group])).findings;
    expect(findings.some((f) => f.ruleId === 'LBG-L7')).toBe(flagged);
  });

  it('explains the single survivor and suggests half the targets', () => {
    const group = targetGroup('web', ['i-0a:80', 'i-0b:80', 'i-0c:80']);
    const [finding] = lintSnapshot(oneListener([forward([group, 1])], [group])).findings;
    expect(finding?.message).toBe(
      'target group web (3 targets) sets no minimum of healthy targets: if 2 fail their health checks, the last one takes all traffic',
    );
    expect(finding?.fix).toContain('.count to 2');
  });
});

describe('LBG-L8 health-check-too-lax and LBG-L9 health-check-too-strict', () => {
  it.each([
    {
      hc: { path: '/', matcher: '200-499' },
      ids: ['LBG-L8'],
      text: 'accepts 404, so any web server answering at all passes',
    },
    {
      hc: { path: '/health', matcher: '200,404' },
      ids: ['LBG-L8'],
      text: 'matcher 200,404 on path /health accepts 404',
    },
    { hc: { matcher: '200-599' }, ids: ['LBG-L8'], text: 'accepts 404' },
    { hc: { matcher: '200,503' }, ids: ['LBG-L8'], text: 'accepts 503' },
    {
      hc: { unhealthyThreshold: 10, intervalSeconds: 60, timeoutSeconds: 5 },
      ids: ['LBG-L8'],
      text: 'keeps traffic for 600 s',
    },
    {
      hc: { timeoutSeconds: 30, intervalSeconds: 30 },
      ids: ['LBG-L9'],
      text: 'timeout 30 s is not shorter than interval 30 s',
    },
    { hc: { healthyThreshold: 10, intervalSeconds: 35 }, ids: ['LBG-L9'], text: 'a new target waits 350 s' },
    { hc: { matcher: '200-399', intervalSeconds: 10, timeoutSeconds: 5 }, ids: [], text: '' },
    { hc: { matcher: '0-99' }, ids: [], text: '' },
  ])('health check $hc gives $ids', ({ hc, ids, text }) => {
    const group = withHealthCheck(webA, hc);
    const report = lintSnapshot(oneListener([forward([group, 1])], [group]));
    expect(report.findings.map((f) => f.ruleId)).toEqual(ids);
    if (text !== '') expect(report.findings.map((f) => f.message).join('\n')).toContain(text);
  });

  it("fills unset fields with ALB's defaults (a bare check on / is fine)", () => {
    const bare = { ...webA, healthCheck: {} };
    expect(lintSnapshot(oneListener([forward([bare, 1])], [bare])).findings).toEqual([]);
  });

  it('leaves lambda groups alone', () => {
    const fn = targetGroup('fn', ['arn:aws:lambda:eu-west-1:123456789012:function:fn'], {
      targetType: 'lambda',
    });
    const lax = withHealthCheck(fn, { matcher: '200-499' });
    const report = lintSnapshot(oneListener([forward([lax, 1])], [lax]));
    expect(report.findings).toEqual([]);
    expect(report.outcomes.find((o) => o.ruleId === 'LBG-L8')?.outcome).toBe('not-applicable');
  });
});

describe('formatLintReport', () => {
  it('prints each finding with level, id, resource, message and fix, then the counts', () => {
    const text = formatLintReport(
      lintSnapshot(oneListener([forward([webA, 100], [empty, 0])], [webA, empty])),
    );
    expect(text).toBe(
      [
        'warning LBG-L5  target group web-e',
        '        target group web-e has no registered targets in service',
        '        fix: Register at least two targets in web-e, in different Availability Zones (or raise the minimum size of what registers them).',
        '0 errors, 1 warning',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to report', () => {
    expect(formatLintReport(lintSnapshot(oneListener([forward([webA, 1])], [webA])))).toBe('No findings.');
  });

  it('counts errors and warnings in the plural', () => {
    const s = oneListener([forward([webA, 100], [webB, 0])], [webA, webB, empty]);
    expect(formatLintReport(lintSnapshot(s)).split('\n').at(-1)).toBe('1 error, 1 warning');
    const twice = snapshot(
      [listener(80, [fixedResponse('503')]), listener(8080, [fixedResponse('503')])],
      [],
    );
    expect(formatLintReport(lintSnapshot(twice)).split('\n').at(-1)).toBe('2 errors, 0 warnings');
  });
});

describe('LINT_RULES', () => {
  it('have unique ids LBG-L1… in order, each with what, why and fix', () => {
    expect(LINT_RULES.map((r) => r.id)).toEqual(LINT_RULES.map((_, i) => `LBG-L${i + 1}`));
    for (const r of LINT_RULES) {
      expect(r.what.length).toBeGreaterThan(20);
      expect(r.why.length).toBeGreaterThan(20);
      expect(r.fix.length).toBeGreaterThan(20);
    }
  });

  it('are all in the rules table of docs/lint-rules.md', () => {
    const doc = readFileSync('docs/lint-rules.md', 'utf8');
    for (const r of LINT_RULES) expect(doc).toContain(`| ${r.id} |`);
  });
});

describe('lintSnapshot properties', () => {
  /** The same routing listed in another order, as a second API call might return it. */
  function reversed(s: LbSnapshot): LbSnapshot {
    return {
      ...s,
      listeners: [...s.listeners].reverse().map((l) => ({
        ...l,
        rules: [...l.rules].reverse().map((r) => ({ ...r, conditions: [...r.conditions].reverse() })),
      })),
      targetGroups: [...s.targetGroups].reverse().map((g) => ({ ...g, targets: [...g.targets].reverse() })),
    };
  }

  it('never throws, is deterministic and ignores listing order on any plausible snapshot', () => {
    fc.assert(
      fc.property(arbSnapshotWithHealth(), fc.boolean(), ({ snapshot: s, health }, withHealth) => {
        const h = withHealth ? health : undefined;
        const report = lintSnapshot(s, h);
        expect(lintSnapshot(s, h)).toEqual(report);
        expect(lintSnapshot(reversed(s), h && [...h].reverse())).toEqual(report);
      }),
      { numRuns: 300 },
    );
  });

  it('gives each finding the level of the rule that raised it, and counts them right', () => {
    const levels = new Map(LINT_RULES.map((r) => [r.id, r.level]));
    fc.assert(
      fc.property(arbSnapshotWithHealth(), ({ snapshot: s, health }) => {
        const report = lintSnapshot(s, health);
        for (const f of report.findings) expect(f.level).toBe(levels.get(f.ruleId));
        expect(report.errors).toBe(report.findings.filter((f) => f.level === 'error').length);
        expect(report.warnings).toBe(report.findings.length - report.errors);
        for (const o of report.outcomes) {
          expect(o.outcome === 'non-compliant').toBe(report.findings.some((f) => f.ruleId === o.ruleId));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('LBG-L12 rewrite-can-fail', () => {
  const web = goodGroup('web');
  function withTransform(conditions: readonly Condition[], transforms: Rule['transforms']): LbSnapshot {
    const r = { ...rule(443, 10, conditions, [forward([web, 1])]), ...(transforms ? { transforms } : {}) };
    return snapshot([listener(443, [forward([web, 1])], [r])], [web]);
  }
  const messages = (s: LbSnapshot) =>
    lintSnapshot(s)
      .findings.filter((f) => f.ruleId === 'LBG-L12')
      .map((f) => f.message);

  it('flags a url-rewrite whose regex misses paths the path-pattern admits', () => {
    const s = withTransform(
      [path('/api/*', '/v2/*')],
      [{ type: 'url-rewrite', rewrites: [{ regex: '^/api/(.*)$', replace: '/$1' }] }],
    );
    expect(messages(s)).toEqual([
      'listener :443 rule 10 (path /api/* or /v2/*) url-rewrite ^/api/(.*)$ → /$1 does not match the path /v2/x, which the rule admits: such requests reach the target un-rewritten',
    ]);
  });

  it('flags a url-rewrite whose result is not a path, and a host rewrite into no host', () => {
    expect(
      messages(
        withTransform(
          [path('/api/*')],
          [{ type: 'url-rewrite', rewrites: [{ regex: '^/api/(.*)$', replace: '$1' }] }],
        ),
      ),
    ).toEqual([
      'listener :443 rule 10 (path /api/*) url-rewrite ^/api/(.*)$ → $1 rewrites the path /api/x to "x", not a path (it must start with /)',
    ]);
    expect(
      messages(
        withTransform(
          [host('*.shop.example.com')],
          [
            {
              type: 'host-header-rewrite',
              rewrites: [{ regex: '^(.*)\\.shop\\.example\\.com$', replace: '' }],
            },
          ],
        ),
      ),
    ).toHaveLength(1);
  });

  it('flags a host-header-rewrite whose regex misses hosts the host condition admits', () => {
    const s = withTransform(
      [host('shop.example.com', 'www.shop.example.com')],
      [{ type: 'host-header-rewrite', rewrites: [{ regex: '^www\\.(.*)$', replace: '$1' }] }],
    );
    expect(messages(s)).toEqual([
      'listener :443 rule 10 (host shop.example.com or www.shop.example.com) host-header-rewrite ^www\\.(.*)$ → $1 does not match the host shop.example.com, which the rule admits: such requests reach the target un-rewritten',
    ]);
  });

  it.each([
    ['a regex covering the pattern', [path('/api/*')], '^/api/(.*)$', '/v1/$1'],
    ['an RE2 named group', [path('/api/*')], '^/api/(?P<rest>.*)$', '/$1'],
    ['no condition on the path (cannot judge)', [host('shop.example.com')], '^/api/(.*)$', '/$1'],
    ['a regex JavaScript cannot read (cannot judge)', [path('/api/*')], '^/api/(?i:x', '/$1'],
  ])('passes %s', (_what, conditions, regex, replace) => {
    const s = withTransform(conditions, [{ type: 'url-rewrite', rewrites: [{ regex, replace }] }]);
    expect(messages(s)).toEqual([]);
    expect(lintSnapshot(s).outcomes.find((o) => o.ruleId === 'LBG-L12')?.outcome).toBe('compliant');
  });

  it('is not applicable without transforms', () => {
    const outcome = lintSnapshot(withTransform([path('/api/*')], undefined)).outcomes.find(
      (o) => o.ruleId === 'LBG-L12',
    );
    expect(outcome?.outcome).toBe('not-applicable');
  });
});
