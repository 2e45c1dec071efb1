import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  toTargetGroup,
  toTargetGroupAttributes,
  toTargetHealth,
} from '../../lambdas/adapters/elbv2/from-sdk.ts';
import { Elbv2LoadBalancerReader } from '../../lambdas/adapters/elbv2/reader.ts';
import { knownAttributesOf } from '../../lambdas/flows/read-service.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import { checkStoredSnapshot } from '../../lib/state-integrity.ts';

// The load balancer's intent as ELBv2 reports it: moto ignores `Include: AnomalyDetection` and
// has no target optimizer, so these shapes come from the SDK's own types.

const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/1';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/73e2d6bc24d8a067';

const attrs = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('target-group intent from DescribeTargetGroupAttributes', () => {
  it('reads algorithm, anomaly mitigation, slow start, stickiness and the DNS failover minimum', () => {
    expect(
      toTargetGroupAttributes(
        attrs({
          'load_balancing.algorithm.type': 'weighted_random',
          'load_balancing.algorithm.anomaly_mitigation': 'on',
          'slow_start.duration_seconds': '120',
          'stickiness.enabled': 'true',
          'stickiness.type': 'app_cookie',
          'stickiness.app_cookie.duration_seconds': '3600',
          'stickiness.lb_cookie.duration_seconds': '86400',
          'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
          'target_group_health.dns_failover.minimum_healthy_targets.percentage': '40',
        }),
      ),
    ).toEqual({
      loadBalancingAlgorithm: 'weighted_random',
      anomalyMitigation: true,
      slowStartSeconds: 120,
      stickiness: { type: 'app_cookie', durationSeconds: 3600 },
      dnsFailover: { minimumHealthyTargetsCount: 1, minimumHealthyTargetsPercentage: 40 },
    });
  });

  it("leaves every setting at ALB's default out, so snapshots stored before keep their hash", () => {
    const defaults = attrs({
      'load_balancing.algorithm.anomaly_mitigation': 'off',
      'slow_start.duration_seconds': '0',
      'stickiness.enabled': 'false',
      'stickiness.type': 'lb_cookie',
      'stickiness.lb_cookie.duration_seconds': '86400',
      'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
      'target_group_health.dns_failover.minimum_healthy_targets.percentage': 'off',
    });
    expect(toTargetGroupAttributes(defaults)).toEqual({});
    const sdk = { TargetGroupArn: TG, TargetGroupName: 'web-a', TargetType: 'instance' as const };
    const snapshot = (g: ReturnType<typeof toTargetGroup>) => ({
      loadBalancerArn: LB,
      listeners: [],
      targetGroups: [g],
    });
    expect(hashSnapshot(snapshot(toTargetGroup(sdk, [], defaults)))).toBe(
      hashSnapshot(snapshot(toTargetGroup(sdk, [], new Map()))),
    );
  });

  it('reads lb_cookie stickiness and the target optimizer control port', () => {
    const group = toTargetGroup(
      { TargetGroupArn: TG, TargetGroupName: 'web-a', TargetType: 'ip', TargetControlPort: 3000 },
      [],
      attrs({
        'stickiness.enabled': 'true',
        'stickiness.type': 'lb_cookie',
        'stickiness.lb_cookie.duration_seconds': '60',
      }),
    );
    expect(group.targetControlPort).toBe(3000);
    expect(group.stickiness).toEqual({ type: 'lb_cookie', durationSeconds: 60 });
  });

  it('keeps the new fields when attributes are known from the stored snapshot', () => {
    const group = toTargetGroup(
      { TargetGroupArn: TG, TargetGroupName: 'web-a' },
      [],
      attrs({
        'load_balancing.algorithm.type': 'weighted_random',
        'load_balancing.algorithm.anomaly_mitigation': 'on',
        'slow_start.duration_seconds': '30',
      }),
    );
    expect(knownAttributesOf({ loadBalancerArn: LB, listeners: [], targetGroups: [group] }).get(TG)).toEqual({
      loadBalancingAlgorithm: 'weighted_random',
      anomalyMitigation: true,
      slowStartSeconds: 30,
    });
  });
});

describe('anomaly detection from DescribeTargetHealth', () => {
  it('reads the result and whether mitigation is in effect, and nothing when ALB says nothing', () => {
    expect(
      toTargetHealth(TG, {
        Target: { Id: 'i-1', Port: 80 },
        TargetHealth: { State: 'healthy' },
        AnomalyDetection: { Result: 'anomalous', MitigationInEffect: 'yes' },
      }).anomaly,
    ).toEqual({ result: 'anomalous', mitigationInEffect: true });
    expect(
      toTargetHealth(TG, {
        Target: { Id: 'i-2', Port: 80 },
        TargetHealth: { State: 'healthy' },
        AnomalyDetection: { Result: 'normal', MitigationInEffect: 'no' },
      }).anomaly,
    ).toEqual({ result: 'normal', mitigationInEffect: false });
    expect(
      toTargetHealth(TG, { Target: { Id: 'i-3' }, TargetHealth: { State: 'healthy' } }),
    ).not.toHaveProperty('anomaly');
  });

  describe('the reader', () => {
    const elbv2 = mockClient(ElasticLoadBalancingV2Client);
    afterEach(() => elbv2.reset());

    it('asks for anomaly results in the one DescribeTargetHealth call per group it makes anyway', async () => {
      elbv2
        .on(DescribeListenersCommand)
        .resolves({
          Listeners: [
            {
              ListenerArn: LISTENER,
              Port: 80,
              Protocol: 'HTTP',
              DefaultActions: [{ Type: 'forward', TargetGroupArn: TG }],
            },
          ],
        })
        .on(DescribeRulesCommand)
        .resolves({ Rules: [] })
        .on(DescribeTargetGroupsCommand)
        .resolves({
          TargetGroups: [{ TargetGroupArn: TG, TargetGroupName: 'web-a', LoadBalancerArns: [LB] }],
        })
        .on(DescribeTargetHealthCommand)
        .resolves({
          TargetHealthDescriptions: [
            {
              Target: { Id: 'i-1', Port: 80 },
              TargetHealth: { State: 'healthy' },
              AnomalyDetection: { Result: 'anomalous', MitigationInEffect: 'yes' },
            },
            { Target: { Id: 'i-2', Port: 80 }, TargetHealth: { State: 'healthy' } },
          ],
        })
        .on(DescribeTargetGroupAttributesCommand)
        .resolves({
          Attributes: [
            { Key: 'load_balancing.algorithm.type', Value: 'weighted_random' },
            { Key: 'load_balancing.algorithm.anomaly_mitigation', Value: 'on' },
          ],
        });
      const state = await new Elbv2LoadBalancerReader(
        new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
      ).readSnapshot(LB);
      const calls = elbv2.commandCalls(DescribeTargetHealthCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.args[0].input).toEqual({ TargetGroupArn: TG, Include: ['AnomalyDetection'] });
      expect(state.health.map((h) => h.anomaly?.mitigationInEffect ?? null)).toEqual([true, null]);
      expect(state.snapshot.targetGroups[0]?.anomalyMitigation).toBe(true);
    });
  });
});

describe('a target group with its intent, as stored', () => {
  // Every attribute value ALB accepts for the intent settings, read and then stored as last known
  // good: the state table's strict schema must take whatever the reader produces, or a group
  // with anomaly mitigation (say) would make last known good fail its integrity check.
  const arbAttributes = fc.record(
    {
      'load_balancing.algorithm.type': fc.constantFrom(
        'round_robin',
        'least_outstanding_requests',
        'weighted_random',
      ),
      'load_balancing.algorithm.anomaly_mitigation': fc.constantFrom('on', 'off'),
      'slow_start.duration_seconds': fc.oneof(
        fc.constant('0'),
        fc.integer({ min: 30, max: 900 }).map(String),
      ),
      'stickiness.enabled': fc.constantFrom('true', 'false'),
      'stickiness.type': fc.constantFrom('lb_cookie', 'app_cookie'),
      'stickiness.lb_cookie.duration_seconds': fc.integer({ min: 1, max: 604_800 }).map(String),
      'stickiness.app_cookie.duration_seconds': fc.integer({ min: 1, max: 604_800 }).map(String),
      'target_group_health.dns_failover.minimum_healthy_targets.count': fc.oneof(
        fc.constant('off'),
        fc.integer({ min: 1, max: 100 }).map(String),
      ),
      'target_group_health.dns_failover.minimum_healthy_targets.percentage': fc.oneof(
        fc.constant('off'),
        fc.integer({ min: 1, max: 100 }).map(String),
      ),
      'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': fc
        .integer({ min: 1, max: 100 })
        .map(String),
      'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': fc.oneof(
        fc.constant('off'),
        fc.integer({ min: 1, max: 100 }).map(String),
      ),
    },
    { requiredKeys: [] },
  );

  it('passes the state table integrity check whatever the attributes', () => {
    fc.assert(
      fc.property(
        arbAttributes,
        fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
        (a, control) => {
          const group = toTargetGroup(
            {
              TargetGroupArn: TG,
              TargetGroupName: 'web-a',
              TargetType: 'ip',
              Protocol: 'HTTP',
              Port: 8443,
              ...(control === undefined ? {} : { TargetControlPort: control }),
            },
            [
              {
                Target: { Id: '10.0.1.7', Port: 8443, AvailabilityZone: 'us-east-1a' },
                TargetHealth: { State: 'healthy' },
              },
            ],
            attrs(a as Record<string, string>),
          );
          const snapshot = { loadBalancerArn: LB, listeners: [], targetGroups: [group] };
          expect(checkStoredSnapshot(snapshot, hashSnapshot(snapshot), 'test')).toEqual(snapshot);
        },
      ),
      { numRuns: 300 },
    );
  });
});
