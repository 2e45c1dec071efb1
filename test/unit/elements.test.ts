import {
  CreateRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type ModifyRuleCommandInput,
  RegisterTargetsCommand,
  type Rule as SdkRule,
  type TargetGroup as SdkTargetGroup,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { toListener } from '../../lambdas/adapters/elbv2/from-sdk.ts';
import type { LoadBalancerState } from '../../lambdas/adapters/elbv2/ports.ts';
import { Elbv2LoadBalancerReader } from '../../lambdas/adapters/elbv2/reader.ts';
import { Elbv2LoadBalancerWriter } from '../../lambdas/adapters/elbv2/writer.ts';
import { diffSnapshots } from '../../lib/drift.ts';
import { planRestore } from '../../lib/plan.ts';
import { findReadOnlyListeners } from '../../lib/read-only.ts';
import { hashSnapshot, normaliseSnapshot } from '../../lib/snapshot.ts';
import { checkStoredSnapshot } from '../../lib/state-integrity.ts';
import type { LbSnapshot, Listener, RemediationPolicy, Rule } from '../../lib/types.ts';
import { arbElementSnapshot, jwtValidation, sdkListener, sdkRules, urlRewrite } from './fixtures/elements.ts';
import {
  forward,
  LB_ARN,
  listener,
  path,
  rule,
  shopTopology,
  snapshot,
  targetGroup,
} from './fixtures/topologies.ts';

const policy: RemediationPolicy = {
  mode: 'auto',
  cooldownSeconds: 0,
  maxPerHour: 10,
  maxSteps: 200,
  allowCreateRule: true,
  verifyDeadlineSeconds: 60,
};

/** The plan inspect and remediate make from what was read live. */
function restore(live: LoadBalancerState, lastGood: LbSnapshot) {
  return planRestore({
    current: live.snapshot,
    health: live.health,
    attachments: live.attachments,
    lastGood,
    policy,
  });
}

const elbv2 = mockClient(ElasticLoadBalancingV2Client);
afterEach(() => elbv2.reset());

/**
 * ELBv2 as far as lbguard reads and writes it, over aws-sdk-client-mock: a load balancer held in
 * SDK shapes, served by the Describe calls and changed by the writer's calls as ALB changes it
 * (ModifyRule keeps transforms unless sent some or ResetTransforms).
 */
function sdkElbv2(start: LbSnapshot, extraRules: ReadonlyMap<string, SdkRule[]> = new Map()) {
  const listeners = start.listeners.map(sdkListener);
  const rules = new Map(
    start.listeners.map((l) => [l.arn, [...sdkRules(l), ...(extraRules.get(l.arn) ?? [])]]),
  );
  const groups: SdkTargetGroup[] = start.targetGroups.map((g) => ({
    TargetGroupArn: g.arn,
    TargetGroupName: g.name,
    TargetType: g.targetType,
    ...(g.protocol === undefined ? {} : { Protocol: g.protocol as SdkTargetGroup['Protocol'] }),
    ...(g.port === undefined ? {} : { Port: g.port }),
    HealthCheckPath: g.healthCheck.path,
    HealthCheckIntervalSeconds: g.healthCheck.intervalSeconds,
    HealthyThresholdCount: g.healthCheck.healthyThreshold,
    UnhealthyThresholdCount: g.healthCheck.unhealthyThreshold,
    LoadBalancerArns: [start.loadBalancerArn],
  }));
  const targets = new Map(start.targetGroups.map((g) => [g.arn, [...g.targets]]));
  const attributes = new Map(
    start.targetGroups.map((g) => [
      g.arn,
      g.unhealthyStateRouting?.minimumHealthyTargetsCount === undefined
        ? []
        : [
            {
              Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count',
              Value: String(g.unhealthyStateRouting.minimumHealthyTargetsCount),
            },
          ],
    ]),
  );
  const ruleByArn = (arn: string | undefined) =>
    [...rules.values()].flat().find((r) => r.RuleArn === arn) ?? expect.fail(`no rule ${arn}`);
  const writes: unknown[] = [];

  elbv2.on(DescribeListenersCommand).resolves({ Listeners: listeners });
  elbv2.on(DescribeRulesCommand).callsFake((i) => ({ Rules: rules.get(i.ListenerArn) ?? [] }));
  elbv2.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: groups });
  elbv2.on(DescribeTargetHealthCommand).callsFake((i) => ({
    TargetHealthDescriptions: (targets.get(i.TargetGroupArn) ?? []).map((t) => ({
      Target: { Id: t.id, Port: t.port, AvailabilityZone: t.availabilityZone },
      TargetHealth: { State: 'healthy' },
    })),
  }));
  elbv2
    .on(DescribeTargetGroupAttributesCommand)
    .callsFake((i) => ({ Attributes: attributes.get(i.TargetGroupArn) ?? [] }));
  elbv2.on(ModifyRuleCommand).callsFake((i: ModifyRuleCommandInput) => {
    writes.push(i);
    const r = ruleByArn(i.RuleArn);
    if (i.Conditions) r.Conditions = i.Conditions;
    if (i.Actions) r.Actions = i.Actions;
    if (i.Transforms) r.Transforms = i.Transforms;
    if (i.ResetTransforms) delete r.Transforms;
    return { Rules: [r] };
  });
  elbv2.on(ModifyListenerCommand).callsFake((i) => {
    writes.push(i);
    const own = rules.get(i.ListenerArn)?.find((r) => r.IsDefault);
    if (own) own.Actions = i.DefaultActions;
    return {};
  });
  elbv2.on(SetRulePrioritiesCommand).callsFake((i) => {
    writes.push(i);
    for (const p of i.RulePriorities ?? []) ruleByArn(p.RuleArn).Priority = String(p.Priority);
    return {};
  });
  elbv2.on(CreateRuleCommand).callsFake((i) => {
    writes.push(i);
    const created: SdkRule = {
      RuleArn: `${String(i.ListenerArn).replace(':listener/', ':listener-rule/')}/new-${i.Priority}`,
      Priority: String(i.Priority),
      IsDefault: false,
      Conditions: i.Conditions,
      Actions: i.Actions,
      ...(i.Transforms === undefined ? {} : { Transforms: i.Transforms }),
    };
    rules.get(i.ListenerArn)?.push(created);
    return { Rules: [created] };
  });
  elbv2.on(RegisterTargetsCommand).callsFake((i) => {
    writes.push(i);
    const list = targets.get(i.TargetGroupArn) ?? [];
    for (const t of i.Targets ?? []) {
      if (!list.some((x) => x.id === t.Id && x.port === t.Port)) {
        list.push({ id: t.Id, ...(t.Port === undefined ? {} : { port: t.Port }) });
      }
    }
    return {};
  });
  const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
  return {
    reader: new Elbv2LoadBalancerReader(client),
    writer: new Elbv2LoadBalancerWriter(client),
    writes,
  };
}

/** Every rule without its transforms and regex conditions, as a deployment tool unaware of them leaves it. */
function stripped(s: LbSnapshot): LbSnapshot {
  const strip = (r: Rule): Rule => {
    const { transforms: _t, ...rest } = r;
    return { ...rest, conditions: r.conditions.filter((c) => c.regexValues === undefined) };
  };
  return { ...s, listeners: s.listeners.map((l) => ({ ...l, rules: l.rules.map(strip) })) };
}

describe('every element lbguard represents', () => {
  it('survives SDK → snapshot → SDK → snapshot unchanged (the writer writes back what the reader read)', () => {
    fc.assert(
      fc.property(arbElementSnapshot(), (s) => {
        const read = s.listeners.map((l) => toListener(sdkListener(l), sdkRules(l)));
        const again = { ...s, listeners: read };
        expect(normaliseSnapshot(again)).toEqual(normaliseSnapshot(s));
        expect(hashSnapshot(again)).toBe(hashSnapshot(s));
        // What lbguard reads, it can store and read back.
        expect(checkStoredSnapshot(normaliseSnapshot(again), hashSnapshot(s), 'test')).toEqual(
          normaliseSnapshot(s),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('is restored by read → plan → write → read: last known good comes back whole', async () => {
    await fc.assert(
      fc.asyncProperty(arbElementSnapshot(), async (lastGood) => {
        elbv2.reset();
        const elb = sdkElbv2(stripped(lastGood));
        const live = await elb.reader.readSnapshot(LB_ARN);
        const outcome = restore(live, lastGood);
        if (hashSnapshot(live.snapshot) === hashSnapshot(lastGood)) {
          expect(outcome.kind).toBe('nothing-to-do');
          return;
        }
        if (outcome.kind !== 'plan') return expect.fail(`expected a plan, got ${JSON.stringify(outcome)}`);
        for (const step of outcome.plan.steps) await elb.writer.apply(step);
        const after = await elb.reader.readSnapshot(LB_ARN);
        expect(hashSnapshot(after.snapshot)).toBe(hashSnapshot(lastGood));
      }),
      { numRuns: 60 },
    );
  });

  it('leaves the hash of a snapshot without any of them as it was before they existed', () => {
    // Computed by the code before issue 15 (commit 43d15ea) for the same topology.
    expect(hashSnapshot(shopTopology())).toBe(SHOP_HASH_BEFORE_ISSUE_15);
    const read = shopTopology().listeners.map((l) => toListener(sdkListener(l), sdkRules(l)));
    for (const l of read) {
      expect(Object.keys(l)).toEqual(['arn', 'port', 'protocol', 'defaultActions', 'rules']);
      for (const r of l.rules) expect(Object.keys(r)).toEqual(['arn', 'priority', 'conditions', 'actions']);
      for (const c of l.rules.flatMap((r) => r.conditions)) expect(c).not.toHaveProperty('regexValues');
    }
  });
});

const SHOP_HASH_BEFORE_ISSUE_15 = '041c66f91b7a746aa4fa343e05c18135049bd8d3b00835ce0f85c86efc374dbf';

// A listener whose rule uses an action type newer than this code, beside a listener lbguard knows.
const web = targetGroup('web', ['10.0.1.5:8081', '10.0.2.6:9443', '10.0.3.7:31337'], { targetType: 'ip' });
const canary = targetGroup('canary', ['10.0.4.8:8081']);
const geoBlock: SdkRule = {
  RuleArn: `${listener(8443, []).arn.replace(':listener/', ':listener-rule/')}/geo`,
  Priority: '5',
  IsDefault: false,
  Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/eu/*'] } }],
  Actions: [
    { Type: 'geo-block' as 'forward', Order: 1 },
    { Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: web.arn, Weight: 1 }] } },
  ],
};

function twoListeners(weights: readonly [number, number, number], rewrite = urlRewrite): LbSnapshot {
  const api: Rule = {
    ...rule(443, 10, [path('/api/*')], [jwtValidation(1), { ...forward([web, 1]), order: 2 }]),
    transforms: [rewrite],
  };
  return snapshot(
    [
      listener(443, [forward([web, weights[0]], [canary, weights[1]])], [api]),
      listener(8443, [forward([web, weights[2]], [canary, 1])]),
    ],
    [web, canary],
  );
}

describe('reader → snapshot → drift → plan → writer over the SDK', () => {
  it('reads transforms, jwt-validation and an unknown action type without failing', async () => {
    const elb = sdkElbv2(twoListeners([50, 50, 1]), new Map([[listener(8443, []).arn, [geoBlock]]]));
    const { snapshot: s } = await elb.reader.readSnapshot(LB_ARN);
    const [https, other] = s.listeners as [Listener, Listener];
    expect(https.rules[0]).toMatchObject({ transforms: [urlRewrite], actions: [jwtValidation(1), {}] });
    expect(https).not.toHaveProperty('unrepresented');
    expect(other.rules[0]?.unrepresented).toEqual([
      { element: 'action type geo-block', raw: '{"Order":1,"Type":"geo-block"}' },
    ]);
    expect(findReadOnlyListeners(s)).toEqual([
      {
        listenerArn: other.arn,
        port: 8443,
        elements: ['rule 5 (path /eu/*): action type geo-block'],
      },
    ]);
  });

  it('names a changed url-rewrite, restores it through ModifyRule and leaves the read-only listener alone', async () => {
    const geo = new Map([[listener(8443, []).arn, [geoBlock]]]);
    const lastGood = (await sdkElbv2(twoListeners([50, 50, 1]), geo).reader.readSnapshot(LB_ARN)).snapshot;
    elbv2.reset();
    const changed = { type: 'url-rewrite' as const, rewrites: [{ regex: '^/v1/(.*)$', replace: '/$1' }] };
    const elb = sdkElbv2(
      twoListeners([100, 0, 0], changed),
      new Map([[listener(8443, []).arn, [{ ...geoBlock }]]]),
    );
    const live = await elb.reader.readSnapshot(LB_ARN);

    const summaries = diffSnapshots(live.snapshot, lastGood).map((d) => d.summary);
    expect(summaries).toContain(
      'listener :443 rule 10 (path /api/*): url-rewrite changed from ^/api/(.*)$ → /$1 to ^/v1/(.*)$ → /$1',
    );
    expect(summaries).toContainEqual(expect.stringMatching(/^listener :8443 default action weights/));
    const outcome = restore(live, lastGood);
    if (outcome.kind !== 'plan') return expect.fail(`expected a plan, got ${outcome.kind}`);
    expect(outcome.plan.leftAlone.map((l) => l.why)).toEqual([
      expect.stringContaining('listener :8443 is guarded read-only'),
    ]);
    for (const step of outcome.plan.steps) await elb.writer.apply(step);
    expect(elb.writes).toEqual([
      expect.objectContaining({
        RuleArn: lastGood.listeners[0]?.rules[0]?.arn,
        Transforms: [
          { Type: 'url-rewrite', UrlRewriteConfig: { Rewrites: [{ Regex: '^/api/(.*)$', Replace: '/$1' }] } },
        ],
      }),
      expect.objectContaining({ ListenerArn: lastGood.listeners[0]?.arn }),
    ]);
    const after = await elb.reader.readSnapshot(LB_ARN);
    expect(after.snapshot.listeners[0]).toEqual(lastGood.listeners[0]);
    expect(after.snapshot.listeners[1]).toEqual(live.snapshot.listeners[1]);
  });

  it('removes transforms last known good did not have with ResetTransforms', async () => {
    const withRewrite = twoListeners([50, 50, 1]);
    const lastGood = {
      ...withRewrite,
      listeners: withRewrite.listeners.map((l) => ({
        ...l,
        rules: l.rules.map(({ transforms: _t, ...r }) => r),
      })),
    };
    const elb = sdkElbv2(withRewrite);
    const live = await elb.reader.readSnapshot(LB_ARN);
    const outcome = restore(live, lastGood);
    if (outcome.kind !== 'plan') return expect.fail(`expected a plan, got ${outcome.kind}`);
    for (const step of outcome.plan.steps) await elb.writer.apply(step);
    expect(elb.writes).toEqual([expect.objectContaining({ ResetTransforms: true })]);
    expect(elb.writes[0]).not.toHaveProperty('Transforms');
    expect(hashSnapshot((await elb.reader.readSnapshot(LB_ARN)).snapshot)).toBe(hashSnapshot(lastGood));
  });

  it('refuses a plan that would write a read-only listener, whatever last known good says', async () => {
    const elb = sdkElbv2(twoListeners([50, 50, 0]), new Map([[listener(8443, []).arn, [geoBlock]]]));
    const live = await elb.reader.readSnapshot(LB_ARN);
    // A last known good without the element (taken before it existed, or tampered with).
    const lastGood = normaliseSnapshot(twoListeners([50, 50, 1]));
    const outcome = restore(live, lastGood);
    expect(outcome.kind).toBe('nothing-to-do');
    if (outcome.kind !== 'nothing-to-do') return;
    expect(outcome.leftAlone.map((l) => `${l.drift.summary}: ${l.why}`)).toEqual([
      expect.stringMatching(/^listener :8443 default action weights .*: listener :8443 is guarded read-only/),
      'listener :8443 rule 5 (path /eu/*) added (forward web): lbguard never deletes rules; remove it by hand if it should not be there',
    ]);
  });
});
