// The stacks the policy tests judge: the stand-alone stack guarding an imported load balancer,
// the construct beside a load balancer created in the same app, and two services with every
// option the construct takes. Each returns a `synthesize` builder (see support.ts).
import { type App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LbGuard, LbGuardStack } from '../../../infra/index.ts';
import { type LbGuardConfig, loadConfigOrThrow } from '../../../lib/config/index.ts';
import type { StackEnv } from './policy-check.ts';
import { LB_ARN, type RemediationMode } from './support.ts';

export const ENV = { account: '123456789012', region: 'eu-west-1' } as const;

/** The stand-ins for what CloudFormation fills in, for a stack named `stackName`. */
export function stackEnv(stackName: string): StackEnv {
  return { ...ENV, partition: 'aws', stackName };
}

export const API_LB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/api/0123456789abcdef';
export const API_TARGET_GROUP_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/fedcba9876543210';

/** `LbGuardStack` 'Guard' guarding the config's load balancers by ARN. */
export function importedLbStack(config: LbGuardConfig): (app: App) => Stack {
  return (app) => new LbGuardStack(app, 'Guard', { env: ENV, config });
}

interface CreatedLoadBalancer {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly targetGroupArns: readonly string[];
}

/** A load balancer with two weighted target groups, as the user's own stack would create it. */
function createLoadBalancer(stack: Stack): CreatedLoadBalancer {
  // aws-cdk-lib's own types disagree under exactOptionalPropertyTypes; a Vpc is an IVpc.
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) as ec2.IVpc;
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
  const group = (id: string) =>
    new elbv2.ApplicationTargetGroup(stack, id, {
      vpc,
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
    });
  const blue = group('Blue');
  const green = group('Green');
  alb.addListener('Http', {
    port: 80,
    defaultAction: elbv2.ListenerAction.weightedForward([
      { targetGroup: blue, weight: 50 },
      { targetGroup: green, weight: 50 },
    ]),
  });
  // The user's own resources are not what these tests judge; say so to cdk-nag.
  for (const [scope, ids] of [
    [vpc, ['AwsSolutions-VPC7']],
    [alb, ['AwsSolutions-ELB2', 'AwsSolutions-EC23']],
  ] as const) {
    for (const id of ids) {
      Validations.of(scope).acknowledge({
        id,
        reason: 'Test fixture standing in for the user-owned load balancer; lbguard does not manage it.',
      });
    }
  }
  return { alb, targetGroupArns: [blue.targetGroupArn, green.targetGroupArn] };
}

/**
 * The construct in the user's stack 'Shop' beside a load balancer created there, with a created
 * trail, verify-after-deploy and named target groups (lbguard-created-lb.test.ts judges it too).
 */
export function createdLbStack(config: LbGuardConfig): (app: App) => Stack {
  return (app) => {
    const stack = new Stack(app, 'Shop', { env: ENV });
    const { alb, targetGroupArns } = createLoadBalancer(stack);
    new LbGuard(stack, 'Guard', {
      config,
      services: { shop: { loadBalancer: alb, targetGroupArns } },
      trail: 'create',
      verifyAfterDeploy: true,
    });
    return stack;
  };
}

/** Two services, `shop` and `api`, in the given modes; `shop` may recreate deleted rules. */
export function twoServiceConfig(modes: readonly [RemediationMode, RemediationMode]): LbGuardConfig {
  return loadConfigOrThrow(
    `
version: 1
region: eu-west-1
tableName: lbguard-state
schedule:
  probeIntervalSeconds: 15
  probeLoopSeconds: 45
  inspectRateMinutes: 5
  metricsPeriodSeconds: 300
services:
  - name: shop
    loadBalancerArn: ${LB_ARN}
    servedByHeader: X-Served-By
    probes:
      - name: health
        url: https://shop.example.com/health
        servedBySample: { requests: 20, concurrency: 4 }
    thresholds:
      soakSeconds: 600
    remediation:
      mode: ${modes[0]}
      allowCreateRule: true
      verifyDeadlineSeconds: 300
    notifications:
      emails: [oncall@example.com, shop-team@example.com]
      httpsEndpoints: [https://hooks.example.com/lbguard/shop]
  - name: api
    loadBalancerArn: ${API_LB_ARN}
    probes:
      - name: ping
        url: https://api.example.com/ping
    remediation:
      mode: ${modes[1]}
    notifications:
      emails: [oncall@example.com]
`,
    'two-services.yaml',
  );
}

/**
 * Every option of the construct at once: `shop` on a load balancer created in the stack with
 * its target groups, `api` imported by ARN with one named target group, a created trail,
 * verify-after-deploy, alarm thresholds and the opt-in alarms, retention, removal policy, probe
 * memory and a named dashboard.
 */
export function everyOptionStack(config: LbGuardConfig): (app: App) => Stack {
  return (app) => {
    const stack = new Stack(app, 'Everything', { env: ENV });
    const { alb, targetGroupArns } = createLoadBalancer(stack);
    new LbGuard(stack, 'Guard', {
      config,
      services: {
        shop: { loadBalancer: alb, targetGroupArns },
        api: { targetGroupArns: [API_TARGET_GROUP_ARN] },
      },
      trail: 'create',
      verifyAfterDeploy: true,
      logRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
      alarms: {
        elb5xxPerMinute: 10,
        driftToleranceMinutes: 30,
        probeSilenceMinutes: 3,
        serviceComposite: true,
        functionErrors: true,
      },
      probeMemorySize: 256,
      dashboardName: 'lbguard-everything',
    });
    return stack;
  };
}

/** How long a stack takes to synthesize here, bundles included, with room to spare. */
export const SYNTH_TIMEOUT = 120_000;
