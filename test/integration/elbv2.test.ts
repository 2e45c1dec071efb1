import {
  CreateListenerCommand,
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { Elbv2LoadBalancerReader } from '../../lambdas/adapters/elbv2/reader.ts';
import { Elbv2LoadBalancerWriter } from '../../lambdas/adapters/elbv2/writer.ts';
import { knownAttributesOf, readServiceState } from '../../lambdas/flows/read-service.ts';
import { AwsApiError } from '../../lib/errors.ts';
import { planRestore } from '../../lib/plan.ts';
import { hashSnapshot, normaliseSnapshot } from '../../lib/snapshot.ts';
import type { Action, LbSnapshot, PlanStep, TargetGroup } from '../../lib/types.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import {
  createShop,
  deregisterTargets,
  motoEc2,
  type Shop,
  type ShopGroup,
  standardShop,
} from '../support/elbv2-fixtures.ts';

const clients: AwsClients = createAwsClients(motoClientConfig());
afterAll(() => destroyAwsClients(clients));

let counters = 0;

/** Records the operation name of every ELBv2 request the client sends, retries excluded. */
function countOperations(client: ElasticLoadBalancingV2Client): { ops: string[]; inputs: unknown[] } {
  const seen = { ops: [] as string[], inputs: [] as unknown[] };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      seen.ops.push(String(context.commandName).replace(/Command$/, ''));
      seen.inputs.push(args.input);
      return next(args);
    },
    { step: 'initialize', name: `count-${++counters}` },
  );
  return seen;
}

function forward(weights: readonly [ShopGroup, number][]): Action {
  return { type: 'forward', targetGroups: weights.map(([g, weight]) => ({ targetGroupArn: g.arn, weight })) };
}

function group(shop: Shop, name: string): ShopGroup {
  const g = shop.groups[name];
  if (!g) throw new Error(`no group ${name}`);
  return g;
}

function expectedGroup(g: ShopGroup, extra: Partial<TargetGroup> = {}): TargetGroup {
  return {
    arn: g.arn,
    name: g.name,
    protocol: 'HTTP',
    port: g.port,
    targetType: g.targetType,
    healthCheck: {
      protocol: 'HTTP',
      port: 'traffic-port',
      path: '/health',
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      matcher: '200',
    },
    targets: g.targets.map((t) => ({ id: t.id, port: t.port })),
    ...extra,
  };
}

/** With `attributes`, as read when DescribeTargetGroupAttributes is on (moto reports round_robin). */
function expectedShopSnapshot(shop: Shop, attributes = false): LbSnapshot {
  const extra: Partial<TargetGroup> = attributes ? { loadBalancingAlgorithm: 'round_robin' } : {};
  const [webA, webB, api] = [group(shop, 'web-a'), group(shop, 'web-b'), group(shop, 'api')];
  return normaliseSnapshot({
    loadBalancerArn: shop.loadBalancerArn,
    listeners: [
      {
        arn: shop.listenerArn,
        port: 80,
        protocol: 'HTTP',
        defaultActions: [
          forward([
            [webA, 50],
            [webB, 50],
          ]),
        ],
        rules: [
          {
            arn: shop.ruleArns['api-host'] ?? '',
            priority: 10,
            conditions: [{ field: 'host-header', values: ['api.example.com'] }],
            actions: [forward([[api, 1]])],
          },
          {
            arn: shop.ruleArns['static-path'] ?? '',
            priority: 20,
            conditions: [{ field: 'path-pattern', values: ['/static/*'] }],
            actions: [
              forward([
                [webA, 1],
                [webB, 3],
              ]),
            ],
          },
        ],
      },
    ],
    targetGroups: [expectedGroup(webA, extra), expectedGroup(webB, extra), expectedGroup(api, extra)],
  });
}

describe('Elbv2LoadBalancerReader against moto', () => {
  let shop: Shop;
  beforeEach(async () => {
    await resetMoto();
    shop = await createShop(clients, standardShop);
  });

  it('reads weighted, plain and rule forwards, host and path rules, instance and IP targets into a snapshot', async () => {
    const { snapshot, health } = await new Elbv2LoadBalancerReader(clients.elbv2).readSnapshot(
      shop.loadBalancerArn,
    );
    expect(snapshot).toEqual(expectedShopSnapshot(shop, true));
    expect(health).toHaveLength(6);
    expect(new Set(health.map((h) => h.state))).toEqual(new Set(['healthy']));
    expect(health).toContainEqual({
      targetGroupArn: group(shop, 'api').arn,
      targetId: '10.20.2.12',
      port: 9443,
      state: 'healthy',
    });
  });

  it('makes one call per listener and per target group per cycle, never one per target', async () => {
    const client = createAwsClients(motoClientConfig()).elbv2;
    const seen = countOperations(client);
    await new Elbv2LoadBalancerReader(client).readSnapshot(shop.loadBalancerArn);
    const counts = Object.fromEntries(
      [...new Set(seen.ops)].map((op) => [op, seen.ops.filter((o) => o === op).length]),
    );
    expect(counts).toEqual({
      DescribeListeners: 1,
      DescribeRules: 1,
      DescribeTargetGroups: 1,
      DescribeTargetHealth: 3,
      DescribeTargetGroupAttributes: 3,
    });
    for (const input of seen.inputs) expect(input).not.toHaveProperty('Targets');
    client.destroy();
  });

  it('skips target group attributes when told to, leaving only the calls routing needs', async () => {
    const client = createAwsClients(motoClientConfig()).elbv2;
    const seen = countOperations(client);
    await new Elbv2LoadBalancerReader(client, { readAttributes: false, concurrency: 1 }).readSnapshot(
      shop.loadBalancerArn,
    );
    expect(seen.ops.filter((o) => o === 'DescribeTargetGroupAttributes')).toEqual([]);
    expect(seen.ops).toHaveLength(6);
    client.destroy();
  });

  it('reads the single-survivor guard and the algorithm from target group attributes', async () => {
    await clients.elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: group(shop, 'web-a').arn,
        Attributes: [
          { Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', Value: '2' },
          {
            Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage',
            Value: '50',
          },
          { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
        ],
      }),
    );
    const { snapshot } = await new Elbv2LoadBalancerReader(clients.elbv2).readSnapshot(shop.loadBalancerArn);
    const webA = snapshot.targetGroups.find((g) => g.name === 'web-a');
    expect(webA?.unhealthyStateRouting).toEqual({
      minimumHealthyTargetsCount: 2,
      minimumHealthyTargetsPercentage: 50,
    });
    expect(webA?.loadBalancingAlgorithm).toBe('least_outstanding_requests');
  });

  it("reads the load balancer's intent that moto holds: anomaly mitigation, slow start, stickiness, DNS failover", async () => {
    await clients.elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: group(shop, 'web-a').arn,
        Attributes: [
          { Key: 'load_balancing.algorithm.type', Value: 'weighted_random' },
          { Key: 'load_balancing.algorithm.anomaly_mitigation', Value: 'on' },
          { Key: 'slow_start.duration_seconds', Value: '60' },
          { Key: 'stickiness.enabled', Value: 'true' },
          { Key: 'stickiness.type', Value: 'lb_cookie' },
          { Key: 'stickiness.lb_cookie.duration_seconds', Value: '300' },
          { Key: 'target_group_health.dns_failover.minimum_healthy_targets.count', Value: '2' },
        ],
      }),
    );
    const { snapshot, health } = await new Elbv2LoadBalancerReader(clients.elbv2).readSnapshot(
      shop.loadBalancerArn,
    );
    const webA = snapshot.targetGroups.find((g) => g.name === 'web-a');
    expect(webA).toMatchObject({
      loadBalancingAlgorithm: 'weighted_random',
      anomalyMitigation: true,
      slowStartSeconds: 60,
      stickiness: { type: 'lb_cookie', durationSeconds: 300 },
      dnsFailover: { minimumHealthyTargetsCount: 2 },
    });
    // moto answers DescribeTargetHealth without anomaly results (test/unit/elbv2-intent.test.ts
    // covers them through the SDK mock); the other groups keep ALB's defaults, so no new field.
    expect(health.some((h) => h.anomaly !== undefined)).toBe(false);
    const webB = snapshot.targetGroups.find((g) => g.name === 'web-b');
    for (const field of ['anomalyMitigation', 'slowStartSeconds', 'stickiness', 'dnsFailover']) {
      expect(webB).not.toHaveProperty(field);
    }
  });

  it('reuses known attributes instead of describing them, and reads them only for groups it does not know', async () => {
    await clients.elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: group(shop, 'web-a').arn,
        Attributes: [
          { Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', Value: '2' },
          { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
        ],
      }),
    );
    const full = await new Elbv2LoadBalancerReader(clients.elbv2).readSnapshot(shop.loadBalancerArn);
    const client = createAwsClients(motoClientConfig()).elbv2;
    const seen = countOperations(client);
    const reader = new Elbv2LoadBalancerReader(client);

    const reused = await reader.readSnapshot(shop.loadBalancerArn, undefined, {
      knownAttributes: knownAttributesOf(full.snapshot),
    });
    expect(seen.ops.filter((o) => o === 'DescribeTargetGroupAttributes')).toEqual([]);
    expect(seen.ops).toHaveLength(6);
    expect(reused.snapshot).toEqual(full.snapshot);
    expect(hashSnapshot(reused.snapshot)).toBe(hashSnapshot(full.snapshot));

    seen.ops.length = 0;
    seen.inputs.length = 0;
    const api = group(shop, 'api').arn;
    const partlyKnown = new Map([...knownAttributesOf(full.snapshot)].filter(([arn]) => arn !== api));
    const partly = await reader.readSnapshot(shop.loadBalancerArn, undefined, {
      knownAttributes: partlyKnown,
    });
    expect(seen.ops.filter((o) => o === 'DescribeTargetGroupAttributes')).toEqual([
      'DescribeTargetGroupAttributes',
    ]);
    expect(seen.inputs).toContainEqual({ TargetGroupArn: api });
    expect(hashSnapshot(partly.snapshot)).toBe(hashSnapshot(full.snapshot));
    client.destroy();
  });

  it('reports the known attributes, not the live ones, until told to read them again', async () => {
    const before = await new Elbv2LoadBalancerReader(clients.elbv2).readSnapshot(shop.loadBalancerArn);
    const webA = group(shop, 'web-a').arn;
    await clients.elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: webA,
        Attributes: [
          { Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', Value: '3' },
        ],
      }),
    );
    const reader = new Elbv2LoadBalancerReader(clients.elbv2);
    const reused = await reader.readSnapshot(shop.loadBalancerArn, undefined, {
      knownAttributes: knownAttributesOf(before.snapshot),
    });
    expect(hashSnapshot(reused.snapshot)).toBe(hashSnapshot(before.snapshot));
    const reread = await reader.readSnapshot(shop.loadBalancerArn);
    expect(reread.snapshot.targetGroups.find((g) => g.arn === webA)?.unhealthyStateRouting).toEqual({
      minimumHealthyTargetsCount: 3,
    });
    expect(hashSnapshot(reread.snapshot)).not.toBe(hashSnapshot(before.snapshot));
  });

  it('keeps a stopped instance registered and reports it unused with Target.InvalidState', async () => {
    const stopped = shop.instanceIds['web-a']?.[0] ?? '';
    await motoEc2().stopInstances([stopped]);
    const { snapshot, health } = await new Elbv2LoadBalancerReader(clients.elbv2).readSnapshot(
      shop.loadBalancerArn,
    );
    expect(snapshot.targetGroups.find((g) => g.name === 'web-a')?.targets.map((t) => t.id)).toContain(
      stopped,
    );
    expect(health.find((h) => h.targetId === stopped)).toMatchObject({
      state: 'unused',
      reason: 'Target.InvalidState',
    });
  });

  it('drops a deregistered target from the snapshot', async () => {
    const webB = group(shop, 'web-b');
    const [gone, kept] = webB.targets;
    await deregisterTargets(clients, webB.arn, [{ id: gone?.id ?? '', port: 80 }]);
    const { snapshot, health } = await new Elbv2LoadBalancerReader(clients.elbv2).readSnapshot(
      shop.loadBalancerArn,
    );
    expect(snapshot.targetGroups.find((g) => g.arn === webB.arn)?.targets).toEqual([
      { id: kept?.id, port: 80 },
    ]);
    expect(health.filter((h) => h.targetId === gone?.id && h.state === 'healthy')).toEqual([]);
  });

  it('narrows the snapshot to the listeners asked for and the groups they use', async () => {
    const api = group(shop, 'api');
    const admin = await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: shop.loadBalancerArn,
        Port: 8443,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: api.arn }],
      }),
    );
    const adminArn = admin.Listeners?.[0]?.ListenerArn ?? '';
    const reader = new Elbv2LoadBalancerReader(clients.elbv2);
    const narrowed = await reader.readSnapshot(shop.loadBalancerArn, [adminArn]);
    expect(narrowed.snapshot.listeners.map((l) => l.port)).toEqual([8443]);
    expect(narrowed.snapshot.targetGroups.map((g) => g.name)).toEqual(['api']);
    expect(narrowed.health.map((h) => h.targetGroupArn)).toEqual([api.arn, api.arn]);
    const all = await reader.readSnapshot(shop.loadBalancerArn);
    expect(all.snapshot.listeners.map((l) => l.port)).toEqual([80, 8443]);
  });

  it("describes groups by ARN (last good's) like readSnapshot does and skips ones since deleted", async () => {
    const webA = group(shop, 'web-a');
    const deleted = webA.arn.replace(/\/[0-9a-f]+$/, '/00000000deadbeef');
    const reader = new Elbv2LoadBalancerReader(clients.elbv2);
    const full = await reader.readSnapshot(shop.loadBalancerArn);
    const described = await reader.describeTargetGroups([webA.arn, deleted]);
    expect(described.groups).toEqual(full.snapshot.targetGroups.filter((g) => g.arn === webA.arn));
    expect(described.health).toEqual(full.health.filter((h) => h.targetGroupArn === webA.arn));
    expect(described.health).toHaveLength(webA.targets.length);
  });

  it('wraps API failures in AwsApiError naming the operation', async () => {
    const missing = shop.loadBalancerArn.replace(/\/[0-9a-f]+$/, '/0000000000000000');
    const err = await new Elbv2LoadBalancerReader(clients.elbv2)
      .readSnapshot(missing)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsApiError);
    expect((err as AwsApiError).operation).toBe('DescribeListeners');
  });
});

describe('Elbv2LoadBalancerWriter against moto', () => {
  let shop: Shop;
  beforeEach(async () => {
    await resetMoto();
    shop = await createShop(clients, standardShop);
  });

  const read = async () =>
    (
      await new Elbv2LoadBalancerReader(clients.elbv2, { readAttributes: false }).readSnapshot(
        shop.loadBalancerArn,
      )
    ).snapshot;

  it('registers the live targets of a group even when one was terminated since, and names the one refused', async () => {
    const webA = group(shop, 'web-a');
    const [live, dead] = webA.targets;
    if (!live || !dead) throw new Error('web-a needs two targets');
    await deregisterTargets(clients, webA.arn, [live, dead]);
    await motoEc2().terminateInstances([dead.id]);
    const result = await new Elbv2LoadBalancerWriter(clients.elbv2).apply({
      op: 'RegisterTargets',
      targetGroupArn: webA.arn,
      targets: [live, dead],
    });
    expect(result.skippedTargets?.map((t) => t.id)).toEqual([dead.id]);
    const after = (await read()).targetGroups.find((g) => g.arn === webA.arn);
    expect(after?.targets.map((t) => t.id)).toEqual([live.id]);
  });

  it('re-registers deregistered targets so the snapshot matches the original again', async () => {
    const before = await read();
    const webA = group(shop, 'web-a');
    await deregisterTargets(
      clients,
      webA.arn,
      webA.targets.map((t) => ({ id: t.id, port: t.port })),
    );
    expect((await read()).targetGroups.find((g) => g.arn === webA.arn)?.targets).toEqual([]);
    const step: PlanStep = {
      op: 'RegisterTargets',
      targetGroupArn: webA.arn,
      targets: webA.targets.map((t) => ({ id: t.id, port: t.port })),
    };
    expect(await new Elbv2LoadBalancerWriter(clients.elbv2).apply(step)).toEqual({ op: 'RegisterTargets' });
    expect(await read()).toEqual(before);
  });

  it('restores listener default weights with ModifyListener, stickiness included', async () => {
    const [webA, webB] = [group(shop, 'web-a'), group(shop, 'web-b')];
    const writer = new Elbv2LoadBalancerWriter(clients.elbv2);
    const skewed: Action = {
      type: 'forward',
      targetGroups: [
        { targetGroupArn: webA.arn, weight: 100 },
        { targetGroupArn: webB.arn, weight: 0 },
      ],
      stickiness: { enabled: true, durationSeconds: 300 },
    };
    await writer.apply({ op: 'ModifyListener', listenerArn: shop.listenerArn, defaultActions: [skewed] });
    expect((await read()).listeners[0]?.defaultActions).toEqual([skewed]);
    await writer.apply({
      op: 'ModifyListener',
      listenerArn: shop.listenerArn,
      defaultActions: [
        forward([
          [webA, 50],
          [webB, 50],
        ]),
      ],
    });
    expect(await read()).toEqual(expectedShopSnapshot(shop));
  });

  it('rewrites a rule with header, method, query and source-ip conditions and a fixed response', async () => {
    const ruleArn = shop.ruleArns['static-path'] ?? '';
    const conditions = [
      { field: 'http-header', headerName: 'X-Canary', values: ['1', 'yes'] },
      { field: 'http-request-method', values: ['GET', 'HEAD'] },
      { field: 'path-pattern', values: ['/static/*'] },
      { field: 'query-string', values: ['=preview', 'lang=en'] },
      { field: 'source-ip', values: ['10.0.0.0/8'] },
    ] as const;
    const actions: Action[] = [
      { type: 'fixed-response', statusCode: '503', contentType: 'text/plain', messageBody: 'maintenance' },
    ];
    await new Elbv2LoadBalancerWriter(clients.elbv2).apply({
      op: 'ModifyRule',
      ruleArn,
      conditions,
      actions,
    });
    const rule = (await read()).listeners[0]?.rules.find((r) => r.arn === ruleArn);
    expect(rule).toEqual({ arn: ruleArn, priority: 20, conditions, actions });
  });

  it('moves a rule to a free priority with SetRulePriorities', async () => {
    const ruleArn = shop.ruleArns['api-host'] ?? '';
    await new Elbv2LoadBalancerWriter(clients.elbv2).apply({
      op: 'SetRulePriorities',
      priorities: [{ ruleArn, priority: 15 }],
    });
    const rules = (await read()).listeners[0]?.rules ?? [];
    expect(rules.map((r) => [r.arn, r.priority])).toEqual([
      [ruleArn, 15],
      [shop.ruleArns['static-path'], 20],
    ]);
  });

  it('creates a rule and returns its ARN, with a redirect and a three-way weighted forward', async () => {
    const writer = new Elbv2LoadBalancerWriter(clients.elbv2);
    const [webA, webB, api] = [group(shop, 'web-a'), group(shop, 'web-b'), group(shop, 'api')];
    const weighted = forward([
      [webA, 20],
      [webB, 30],
      [api, 50],
    ]);
    const created = await writer.apply({
      op: 'CreateRule',
      listenerArn: shop.listenerArn,
      priority: 5,
      conditions: [{ field: 'host-header', values: ['shop.example.com', 'www.example.com'] }],
      actions: [weighted],
    });
    expect(created.op).toBe('CreateRule');
    const redirect: Action = { type: 'redirect', statusCode: 'HTTP_301', protocol: 'HTTPS', port: '443' };
    const second = await writer.apply({
      op: 'CreateRule',
      listenerArn: shop.listenerArn,
      priority: 30,
      conditions: [{ field: 'path-pattern', values: ['/old/*'] }],
      actions: [redirect],
    });
    const rules = (await read()).listeners[0]?.rules ?? [];
    expect(rules.find((r) => r.arn === created.ruleArn)).toEqual({
      arn: created.ruleArn,
      priority: 5,
      conditions: [{ field: 'host-header', values: ['shop.example.com', 'www.example.com'] }],
      actions: normaliseSnapshot({
        loadBalancerArn: '',
        targetGroups: [],
        listeners: [{ arn: '', port: 1, protocol: 'HTTP', defaultActions: [weighted], rules: [] }],
      }).listeners[0]?.defaultActions,
    });
    expect(rules.find((r) => r.arn === second.ruleArn)?.actions).toEqual([redirect]);
  });

  it('wraps a refused write in AwsApiError naming the operation', async () => {
    const err = await new Elbv2LoadBalancerWriter(clients.elbv2)
      .apply({
        op: 'CreateRule',
        listenerArn: shop.listenerArn,
        priority: 10,
        conditions: [{ field: 'path-pattern', values: ['/dup'] }],
        actions: [forward([[group(shop, 'web-a'), 1]])],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsApiError);
    expect((err as AwsApiError).operation).toBe('CreateRule');
  });
});

describe('Which load balancers use each target group, against moto', () => {
  let shop: Shop;
  let billing: Shop;
  beforeEach(async () => {
    await resetMoto();
    shop = await createShop(clients, standardShop);
    // Another team's load balancer in the same account, which also sends some traffic to api.
    // moto records who uses a group on CreateListener and CreateRule only (not ModifyListener).
    billing = await createShop(clients, { name: 'billing', groups: [{ name: 'billing-web', instances: 1 }] });
    await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: billing.loadBalancerArn,
        Port: 8080,
        Protocol: 'HTTP',
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: group(billing, 'billing-web').arn, Weight: 9 },
                { TargetGroupArn: group(shop, 'api').arn, Weight: 1 },
              ],
            },
          },
        ],
      }),
    );
  });

  it("reports LoadBalancerArns beside the snapshot: ours alone, shared, another's, and none", async () => {
    const reader = new Elbv2LoadBalancerReader(clients.elbv2, { readAttributes: false });
    const state = await reader.readSnapshot(shop.loadBalancerArn);
    expect(state.attachments.get(group(shop, 'web-a').arn)).toEqual([shop.loadBalancerArn]);
    expect([...(state.attachments.get(group(shop, 'api').arn) ?? [])].sort()).toEqual(
      [shop.loadBalancerArn, billing.loadBalancerArn].sort(),
    );
    expect([...state.attachments.keys()].sort()).toEqual(
      state.snapshot.targetGroups.map((g) => g.arn).sort(),
    );

    const spare = await clients.elbv2.send(
      new CreateTargetGroupCommand({ Name: 'spare', Protocol: 'HTTP', Port: 80, VpcId: shop.vpcId }),
    );
    const spareArn = spare.TargetGroups?.[0]?.TargetGroupArn ?? '';
    const described = await reader.describeTargetGroups([group(billing, 'billing-web').arn, spareArn]);
    expect(described.attachments).toEqual(
      new Map([
        [group(billing, 'billing-web').arn, [billing.loadBalancerArn]],
        [spareArn, []],
      ]),
    );
  });

  it("refuses the security review's tampered last known good, read as the flows read it", async () => {
    const reader = new Elbv2LoadBalancerReader(clients.elbv2, { readAttributes: false });
    const live = await reader.readSnapshot(shop.loadBalancerArn);
    const billingWeb = group(billing, 'billing-web');
    // Last known good, edited: billing's group joins the default action, with one of our targets.
    const ours = group(shop, 'web-a').targets[0];
    if (ours === undefined) throw new Error('web-a needs a target');
    const tampered: LbSnapshot = {
      ...live.snapshot,
      listeners: live.snapshot.listeners.map((l) => ({
        ...l,
        defaultActions: [
          forward([
            [group(shop, 'web-a'), 50],
            [billingWeb, 50],
          ]),
        ],
      })),
      targetGroups: [
        ...live.snapshot.targetGroups,
        {
          ...expectedGroup(billingWeb),
          targets: [...billingWeb.targets, ours].map((t) => ({ id: t.id, port: t.port })),
        },
      ],
    };
    const state = await readServiceState(reader, { loadBalancerArn: shop.loadBalancerArn }, tampered);
    expect(state.attachments.get(billingWeb.arn)).toEqual([billing.loadBalancerArn]);
    const outcome = planRestore({
      current: state.snapshot,
      lastGood: tampered,
      health: state.health,
      attachments: state.attachments,
      policy: {
        mode: 'auto',
        cooldownSeconds: 300,
        maxPerHour: 3,
        maxSteps: 10,
        allowCreateRule: false,
        verifyDeadlineSeconds: 300,
      },
    });
    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'foreign-target-group' });
    expect(outcome.kind === 'rejected' && outcome.detail).toContain(
      `RegisterTargets billing-web: ${ours.id}`,
    );
  });
});
