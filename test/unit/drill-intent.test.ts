import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intentChecks } from '../../drill/intent-checks.ts';
import type { ScenarioRun } from '../../drill/run-types.ts';
import type { Expectations } from '../../drill/scenarios/types.ts';
import {
  type StoredTransform,
  transformsFromQuery,
  transformsXml,
  withAnomalies,
  withTransforms,
} from '../../drill/world/alb-stand-in.ts';
import {
  DEFAULT_MITIGATION,
  stepMitigation,
  type TargetMitigation,
  type TargetWindow,
} from '../../drill/world/anomaly-mitigation.ts';
import { renderHaproxy, transformLinesOf } from '../../drill/world/haproxy-config.ts';
import type { Incident } from '../../lib/incident.ts';
import type { LbSnapshot } from '../../lib/types.ts';

// The pure parts of the drill's issue-15 world: the anomaly-mitigation steps, the stand-in's
// Query/XML rewriting, the rendering of rule transforms, and the scenarios' new expectations.

const w = (targetId: string, requests: number, errors: number): TargetWindow => ({
  targetId,
  requests,
  errors,
});

/** Runs periods of the same windows and returns each period's levels of `id`. */
function levels(windows: readonly TargetWindow[], periods: number, id: string, mitigate = true): number[] {
  let state = new Map<string, TargetMitigation>();
  const out: number[] = [];
  for (let i = 0; i < periods; i++) {
    state = stepMitigation(state, windows, mitigate);
    out.push(state.get(id)?.level ?? -1);
  }
  return out;
}

describe('stepMitigation', () => {
  const failing = [w('a1', 40, 40), w('a2', 40, 0), w('a3', 40, 1)];

  it('turns an anomalous target down one step per period to the floor, never to zero', () => {
    expect(levels(failing, 5, 'a1')).toEqual([1, 2, 3, 3, 3]);
    expect(DEFAULT_MITIGATION.ladder.at(-1)).toBeGreaterThan(0);
    expect(levels(failing, 5, 'a2')).toEqual([0, 0, 0, 0, 0]);
  });

  it('ramps a recovered target back one step per two calm periods', () => {
    let state = new Map<string, TargetMitigation>();
    for (let i = 0; i < 3; i++) state = stepMitigation(state, failing, true);
    const calm = [w('a1', 3, 0), w('a2', 40, 0), w('a3', 40, 0)];
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      state = stepMitigation(state, calm, true);
      seen.push(state.get('a1')?.level ?? -1);
    }
    expect(seen).toEqual([3, 2, 2, 1, 1, 0]);
    expect(state.get('a1')?.result).toBe('normal');
  });

  it.each([
    { why: 'fewer than three targets', windows: [w('a1', 40, 40), w('a2', 40, 0)] },
    { why: 'every target failing alike', windows: [w('a1', 40, 40), w('a2', 40, 38), w('a3', 40, 40)] },
    { why: 'a rate below the floor', windows: [w('a1', 40, 6), w('a2', 40, 0), w('a3', 40, 0)] },
  ])('detects nothing with $why', ({ windows }) => {
    expect(levels(windows, 3, 'a1')).toEqual([0, 0, 0]);
  });

  it('keeps a verdict on a thin window with errors, and reports without mitigating when mitigation is off', () => {
    let state = stepMitigation(new Map(), failing, true);
    state = stepMitigation(state, [w('a1', 2, 2), w('a2', 40, 0), w('a3', 40, 0)], true);
    expect(state.get('a1')).toMatchObject({ result: 'anomalous', level: 2 });
    const off = stepMitigation(new Map(), failing, false);
    expect(off.get('a1')).toMatchObject({ result: 'anomalous', level: 0 });
  });

  it('never mitigates more than half of a group, nor leaves the ladder (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(60), fc.nat(60)), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 8 }),
        (counts, periods) => {
          const windows = counts.map(([r, e], i) => w(`t${i}`, r, Math.min(r, e)));
          let state = new Map<string, TargetMitigation>();
          for (let i = 0; i < periods; i++) {
            state = stepMitigation(state, windows, true);
            const mitigated = [...state.values()].filter((m) => m.level > 0).length;
            expect(mitigated).toBeLessThanOrEqual(Math.floor(windows.length / 2));
            for (const m of state.values()) {
              expect(m.level).toBeGreaterThanOrEqual(0);
              expect(m.level).toBeLessThan(DEFAULT_MITIGATION.ladder.length);
            }
          }
        },
      ),
    );
  });
});

const URL_REWRITE: StoredTransform = {
  type: 'url-rewrite',
  rewrites: [{ regex: '^/shop/(.*)$', replace: '/$1' }],
};
const HOST_REWRITE: StoredTransform = {
  type: 'host-header-rewrite',
  rewrites: [{ regex: '^legacy\\.(.*)$', replace: 'www.$1' }],
};

describe('the control-plane stand-in', () => {
  it('reads transforms from Query parameters as the SDK writes them', () => {
    const params = new URLSearchParams({
      Action: 'CreateRule',
      'Transforms.member.1.Type': 'url-rewrite',
      'Transforms.member.1.UrlRewriteConfig.Rewrites.member.1.Regex': '^/shop/(.*)$',
      'Transforms.member.1.UrlRewriteConfig.Rewrites.member.1.Replace': '/$1',
      'Transforms.member.2.Type': 'host-header-rewrite',
      'Transforms.member.2.HostHeaderRewriteConfig.Rewrites.member.1.Regex': '^legacy\\.(.*)$',
      'Transforms.member.2.HostHeaderRewriteConfig.Rewrites.member.1.Replace': 'www.$1',
    });
    expect(transformsFromQuery(params)).toEqual([URL_REWRITE, HOST_REWRITE]);
    expect(transformsFromQuery(new URLSearchParams({ Action: 'CreateRule' }))).toBeUndefined();
  });

  it('writes transforms after the rule ARN that has them, XML-escaped', () => {
    const xml =
      '<member><RuleArn>arn:r1</RuleArn><Priority>5</Priority></member><member><RuleArn>arn:r2</RuleArn></member>';
    const rewrite: StoredTransform = {
      type: 'url-rewrite',
      rewrites: [{ regex: '^/a&b<c>$', replace: '/x' }],
    };
    const out = withTransforms(xml, (arn) => (arn === 'arn:r1' ? [rewrite] : undefined));
    expect(out).toContain(`<RuleArn>arn:r1</RuleArn>${transformsXml([rewrite])}<Priority>`);
    expect(out).toContain('<Regex>^/a&#38;b&#60;c&#62;$</Regex>');
    expect(out).toContain('<RuleArn>arn:r2</RuleArn></member>');
  });

  it('adds AnomalyDetection to the targets it has a result for', () => {
    const xml =
      '<member><Target><Id>i-1</Id><Port>80</Port></Target><TargetHealth><State>healthy</State></TargetHealth></member>' +
      '<member><Target><Id>i-2</Id><Port>80</Port></Target></member>';
    const out = withAnomalies(xml, (id) =>
      id === 'i-1' ? { result: 'anomalous', mitigationInEffect: true } : undefined,
    );
    expect(out).toContain(
      '</Target><AnomalyDetection><Result>anomalous</Result><MitigationInEffect>yes</MitigationInEffect></AnomalyDetection><TargetHealth>',
    );
    expect(out).toContain('<Id>i-2</Id><Port>80</Port></Target></member>');
  });
});

describe('rule transforms on HAProxy', () => {
  const tg = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';
  const forward = { type: 'forward' as const, targetGroups: [{ targetGroupArn: tg, weight: 1 }] };
  const snapshot: LbSnapshot = {
    loadBalancerArn: 'lb',
    targetGroups: [
      {
        arn: tg,
        name: 'web',
        port: 80,
        targetType: 'instance',
        healthCheck: {},
        targets: [{ id: 'i-1', port: 80 }],
      },
    ],
    listeners: [
      {
        arn: 'l80',
        port: 80,
        protocol: 'HTTP',
        defaultActions: [forward],
        rules: [
          {
            arn: 'r-api',
            priority: 3,
            conditions: [{ field: 'path-pattern', values: ['/api/*'] }],
            actions: [forward],
          },
          {
            arn: 'r-shop',
            priority: 5,
            conditions: [{ field: 'path-pattern', values: ['/shop/*'] }],
            actions: [forward],
          },
        ],
      },
    ],
  };
  const render = (ruleTransforms?: ReadonlyMap<string, readonly StoredTransform[]>) =>
    renderHaproxy({
      snapshot,
      health: [],
      listenerBinds: new Map([[80, 40080]]),
      resolve: () => ({ host: '127.0.0.1', port: 41001 }),
      dir: '/tmp/drill',
      ...(ruleTransforms === undefined ? {} : { ruleTransforms }),
    }).config;

  it('writes ALB capture groups as HAProxy back-references, guarded by the matched rule', () => {
    expect(transformLinesOf(URL_REWRITE, '80_5')).toEqual([
      "  http-request replace-pathq '^/shop/(.*)$' '/\\1' if { var(txn.rule) -m str 80_5 }",
    ]);
    expect(transformLinesOf(HOST_REWRITE, '80_5')).toEqual([
      "  http-request replace-header host '^legacy\\.(.*)$' 'www.\\1' if { var(txn.rule) -m str 80_5 }",
    ]);
  });

  it('names the first matching rule before any routing, and rewrites in the backends after it', () => {
    const config = render(new Map([['r-shop', [URL_REWRITE, HOST_REWRITE]]]));
    const lines = config.split('\n').map((l) => l.trim());
    const setVars = lines.filter((l) => l.startsWith('http-request set-var(txn.rule)'));
    expect(setVars).toEqual([
      'http-request set-var(txn.rule) str(80_3) if !{ var(txn.rule) -m found } rule_3_0',
      'http-request set-var(txn.rule) str(80_5) if !{ var(txn.rule) -m found } rule_5_0',
      'http-request set-var(txn.rule) str(80_default) if !{ var(txn.rule) -m found }',
    ]);
    const firstUse = lines.findIndex((l) => l.startsWith('use_backend'));
    expect(firstUse).toBeGreaterThan(lines.lastIndexOf(setVars.at(-1) ?? ''));
    const backend = config.slice(config.indexOf('backend tg_web'));
    expect(backend).toContain("replace-pathq '^/shop/(.*)$' '/\\1' if { var(txn.rule) -m str 80_5 }");
    expect(backend).toContain(
      "replace-header host '^legacy\\.(.*)$' 'www.\\1' if { var(txn.rule) -m str 80_5 }",
    );
  });

  it('renders a listener without transforms exactly as before', () => {
    expect(render()).not.toContain('txn.rule');
    expect(render(new Map())).toBe(render());
  });
});

describe('the issue-15 expectations', () => {
  const base: ScenarioRun = {
    scenario: 's',
    guarded: true,
    clock: { factor: 60, realStartMs: 0, awsStartMs: 0 },
    loadStartedAt: 0,
    faultAt: 1_000,
    endedAt: 20_000,
    ratePerSecond: 100,
    records: [],
    marks: [],
    writes: [],
    inspections: [],
    remediations: [],
    notifications: [],
    lastGood: [],
    incidents: [],
    targets: {},
    fleetEvents: [],
    errors: [],
  };
  const figures = { requestsAfterFault: 1_000, failedAfterFault: 30 };
  const expect_ = (e: Partial<Expectations>): Expectations => ({
    incident: 'any',
    writes: 'none',
    recovered: true,
    ...e,
  });
  const check = (run: ScenarioRun, e: Partial<Expectations>) => intentChecks(run, figures, expect_(e));

  it('fails a routing-skew page after the fault, but not a suspicion or one before it', () => {
    const inspection = (startedAt: number, incidentState: Incident['state']) => ({
      startedAt,
      endedAt: startedAt + 10,
      trigger: 'schedule',
      kind: 'inspected' as const,
      cause: 'routing-skew' as const,
      incidentState,
    });
    const quiet = { ...base, inspections: [inspection(500, 'confirmed'), inspection(2_000, 'suspected')] };
    expect(check(quiet, { neverCauses: ['routing-skew'] })).toMatchObject([{ ok: true }]);
    const paged = { ...base, inspections: [inspection(2_000, 'confirmed')] };
    expect(check(paged, { neverCauses: ['routing-skew'] })).toMatchObject([
      { ok: false, detail: 'routing-skew (confirmed)' },
    ]);
  });

  it('bounds the customers’ failure share after the fault', () => {
    expect(check(base, { maxFailureRate: 0.05 })).toMatchObject([{ ok: true }]);
    expect(check(base, { maxFailureRate: 0.02 })).toMatchObject([{ ok: false }]);
  });

  it('fails a write before the owner settled, and a run where it never settled', () => {
    const settled = { at: 5_000, kind: 'settled' as const, what: 'd-1 stopped' };
    const write = (at: number) => ({ at, op: 'ModifyListener', detail: '' });
    const e = { noWritesBefore: 'settled' as const };
    expect(check({ ...base, marks: [settled], writes: [write(6_000)] }, e)).toMatchObject([{ ok: true }]);
    expect(check({ ...base, marks: [settled], writes: [write(4_000), write(6_000)] }, e)).toMatchObject([
      { ok: false, detail: '1 made in flight: ModifyListener' },
    ]);
    expect(check({ ...base, writes: [] }, e)).toMatchObject([{ ok: false }]);
  });

  it('appends the scenario’s own checks', () => {
    const own = { name: 'rewrite still served', ok: false, detail: '0 of 20' };
    expect(check({ ...base, scenarioChecks: [own] }, {})).toEqual([own]);
  });
});
