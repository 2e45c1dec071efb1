// The linter as a CDK validation plugin, registered the way a user registers it in their own app.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { IpTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import { describe, expect, it } from 'vitest';
import {
  type CfnResource,
  type CfnTemplate,
  LbGuardLintPlugin,
  type LbGuardLintPluginProps,
  lintTemplate,
  snapshotsFromTemplate,
} from '../../../infra/lint-plugin.ts';

interface Shop {
  readonly stack: Stack;
  readonly listener: elbv2.ApplicationListener;
  readonly blue: elbv2.ApplicationTargetGroup;
  readonly green: elbv2.ApplicationTargetGroup;
}

/** An ALB with two well-kept target groups (two IP targets each, in two zones, 50% healthy minimum). */
function shop(app: App): Shop {
  const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'eu-west-1' } });
  // aws-cdk-lib's own types disagree under exactOptionalPropertyTypes; a Vpc is an IVpc.
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) as ec2.IVpc;
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
  const group = (id: string, octet: number) =>
    new elbv2.ApplicationTargetGroup(stack, id, {
      vpc,
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [
        new IpTarget(`10.0.0.${octet}`, 8080, 'eu-west-1a'),
        new IpTarget(`10.0.1.${octet}`, 8080, 'eu-west-1b'),
      ],
      healthCheck: { path: '/health', interval: Duration.seconds(15), healthyThresholdCount: 3 },
      targetGroupHealth: { routingMinimumHealthyTargetPercentage: 50 },
    });
  const blue = group('Blue', 10);
  const green = group('Green', 20);
  const listener = alb.addListener('Http', { port: 80, open: false, defaultTargetGroups: [blue] });
  return { stack, listener, blue, green };
}

function synth(build: (s: Shop) => void, props?: LbGuardLintPluginProps): { report: string } {
  const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'lbguard-lint-')) });
  const s = shop(app);
  build(s);
  Validations.of(app).addPlugins(new LbGuardLintPlugin(props));
  const assembly = app.synth();
  return { report: readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8') };
}

function weighted(s: Shop, blue: number, green: number): void {
  s.listener.addAction('Weighted', {
    action: elbv2.ListenerAction.weightedForward([
      { targetGroup: s.blue, weight: blue },
      { targetGroup: s.green, weight: green },
    ]),
  });
}

describe('LbGuardLintPlugin in a CDK app', () => {
  it('fails synth on a 100/0 weighted forward, naming the rule', () => {
    expect(() => synth((s) => weighted(s, 100, 0))).toThrow(/LBG-L1/);
  });

  it('lets a well-kept ALB synthesize with a 50/50 forward', () => {
    const { report } = synth((s) => weighted(s, 50, 50));
    expect(report).not.toContain('LBG-L');
  });

  it('reports warnings without failing synth', () => {
    const { report } = synth((s) => {
      weighted(s, 50, 50);
      s.blue.configureHealthCheck({ path: '/', healthyHttpCodes: '200-499' });
    });
    expect(report).toContain('LBG-L8');
    expect(report).toContain('matcher 200-499 on path / accepts 404');
  });

  it('fails synth on warnings when asked to', () => {
    expect(() =>
      synth(
        (s) => {
          weighted(s, 50, 50);
          s.blue.configureHealthCheck({ path: '/', healthyHttpCodes: '200-499' });
        },
        { failOnWarnings: true },
      ),
    ).toThrow(/LBG-L8/);
  });

  it('honours an acknowledgement with a reason on the construct', () => {
    const { report } = synth((s) => {
      weighted(s, 100, 0);
      Validations.of(s.listener).acknowledge({
        id: 'LbGuardLint::LBG-L1',
        reason: 'blue/green switch in progress; green is emptied by the pipeline',
      });
    });
    expect(report).toContain('blue/green switch in progress');
  });

  it('fails synth on a rule shadowed by an earlier one and on a 503 default action', () => {
    const shadowed = (s: Shop) => {
      s.listener.addAction('Api', {
        priority: 10,
        conditions: [elbv2.ListenerCondition.pathPatterns(['/api/*'])],
        action: elbv2.ListenerAction.forward([s.blue]),
      });
      s.listener.addAction('ApiV2', {
        priority: 20,
        conditions: [elbv2.ListenerCondition.pathPatterns(['/api/v2/*'])],
        action: elbv2.ListenerAction.forward([s.green]),
      });
    };
    expect(() => synth(shadowed)).toThrow(/LBG-L3/);
    expect(() =>
      synth((s) => {
        s.listener.addAction('Maintenance', { action: elbv2.ListenerAction.fixedResponse(503) });
      }),
    ).toThrow(/LBG-L4/);
  });
});

describe('snapshotsFromTemplate', () => {
  const tg = (props: Record<string, unknown>) => ({
    Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
    Properties: props,
  });
  const template = (resources: Record<string, CfnResource>): CfnTemplate => ({ Resources: resources });

  it('builds a snapshot per load balancer from listeners, rules and target groups', () => {
    const [only, ...rest] = snapshotsFromTemplate(
      template({
        Web: tg({
          Name: 'web',
          Port: 80,
          Protocol: 'HTTP',
          TargetType: 'ip',
          Targets: [
            { Id: '10.0.0.1', AvailabilityZone: 'eu-west-1a' },
            { Id: '10.0.1.1', Port: '8080' },
          ],
          HealthCheckPath: '/health',
          HealthCheckIntervalSeconds: '10',
          HealthCheckTimeoutSeconds: 5,
          HealthyThresholdCount: 3,
          UnhealthyThresholdCount: 2,
          HealthCheckPort: 'traffic-port',
          HealthCheckProtocol: 'HTTP',
          Matcher: { HttpCode: '200-299' },
          TargetGroupAttributes: [
            { Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', Value: '2' },
            {
              Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage',
              Value: 'off',
            },
          ],
        }),
        Fn: tg({ TargetType: 'lambda', Targets: [{ Id: { 'Fn::GetAtt': ['Thumbs', 'Arn'] } }] }),
        Listener: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: {
            LoadBalancerArn: { Ref: 'Alb' },
            Port: 443,
            Protocol: 'HTTPS',
            DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Web' } }],
          },
        },
        Rule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            ListenerArn: { Ref: 'Listener' },
            Priority: '5',
            Conditions: [
              { Field: 'host-header', HostHeaderConfig: { Values: ['img.example.com'] } },
              { Field: 'path-pattern', Values: ['/thumbs/*'] },
              { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['canary'] } },
              {
                Field: 'query-string',
                QueryStringConfig: { Values: [{ Key: 'v', Value: '2' }, { Value: 'x' }] },
              },
              { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } },
              { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
              { Field: 'unknown-field', Values: ['x'] },
            ],
            Actions: [
              { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { Issuer: 'https://idp' } },
              {
                Type: 'forward',
                Order: 2,
                ForwardConfig: { TargetGroups: [{ TargetGroupArn: { Ref: 'Fn' } }] },
              },
            ],
          },
        },
        Other: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: { ListenerArn: 'arn:imported', Priority: 1, Actions: [], Conditions: [] },
        },
        Tokened: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            ListenerArn: { Ref: 'Listener' },
            Priority: { Ref: 'P' },
            Actions: [],
            Conditions: [],
          },
        },
      }),
    );
    expect(rest).toEqual([]);
    expect(only?.unknownTargets).toEqual([]);
    expect(only?.snapshot).toEqual({
      loadBalancerArn: 'Alb',
      listeners: [
        {
          arn: 'Listener',
          port: 443,
          protocol: 'HTTPS',
          defaultActions: [{ type: 'forward', targetGroups: [{ targetGroupArn: 'Web', weight: 1 }] }],
          rules: [
            {
              arn: 'Rule',
              priority: 5,
              conditions: [
                { field: 'host-header', values: ['img.example.com'] },
                { field: 'path-pattern', values: ['/thumbs/*'] },
                { field: 'http-header', headerName: 'X-Env', values: ['canary'] },
                { field: 'query-string', values: ['v=2', '=x'] },
                { field: 'http-request-method', values: ['GET'] },
                { field: 'source-ip', values: ['10.0.0.0/8'] },
              ],
              actions: [
                { type: 'authenticate-oidc', order: 1, config: { Issuer: 'https://idp' } },
                { type: 'forward', order: 2, targetGroups: [{ targetGroupArn: 'Fn', weight: 1 }] },
              ],
            },
          ],
        },
      ],
      targetGroups: [
        {
          arn: 'Web',
          name: 'web',
          protocol: 'HTTP',
          port: 80,
          targetType: 'ip',
          healthCheck: {
            protocol: 'HTTP',
            port: 'traffic-port',
            path: '/health',
            intervalSeconds: 10,
            timeoutSeconds: 5,
            healthyThreshold: 3,
            unhealthyThreshold: 2,
            matcher: '200-299',
          },
          targets: [
            { id: '10.0.0.1', port: 80, availabilityZone: 'eu-west-1a' },
            { id: '10.0.1.1', port: 8080 },
          ],
          unhealthyStateRouting: { minimumHealthyTargetsCount: 2 },
        },
        { arn: 'Fn', name: 'Fn', targetType: 'lambda', healthCheck: {}, targets: [{ id: 'Thumbs' }] },
      ],
    });
  });

  it('counts targets an Auto Scaling group or ECS service registers, and leaves the rest unknown', () => {
    const forwardTo = (...groups: string[]) => ({
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/imported/1',
        Port: 80,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: { TargetGroups: groups.map((g) => ({ TargetGroupArn: { Ref: g }, Weight: 1 })) },
          },
        ],
      },
    });
    const [lb] = snapshotsFromTemplate(
      template({
        Asg: tg({ Port: 80 }),
        Ecs: tg({ Port: 80, TargetType: 'ip' }),
        EcsDefault: tg({ Port: 80, TargetType: 'ip' }),
        Tokened: tg({ Port: 80 }),
        Bare: tg({ Port: 80 }),
        Group: {
          Type: 'AWS::AutoScaling::AutoScalingGroup',
          Properties: { MinSize: '1', TargetGroupARNs: [{ Ref: 'Asg' }] },
        },
        Svc: {
          Type: 'AWS::ECS::Service',
          Properties: { DesiredCount: 3, LoadBalancers: [{ TargetGroupArn: { Ref: 'Ecs' } }] },
        },
        Svc2: {
          Type: 'AWS::ECS::Service',
          Properties: { LoadBalancers: [{ TargetGroupArn: { Ref: 'EcsDefault' } }] },
        },
        Scaled: {
          Type: 'AWS::AutoScaling::AutoScalingGroup',
          Properties: { MinSize: { Ref: 'Min' }, TargetGroupARNs: [{ Ref: 'Tokened' }] },
        },
        L: forwardTo('Asg', 'Ecs', 'EcsDefault', 'Tokened', 'Bare', 'Elsewhere'),
      }),
    );
    expect(lb?.unknownTargets).toEqual(['Tokened', 'Bare', 'Elsewhere']);
    const targets = Object.fromEntries(
      lb?.snapshot.targetGroups.map((g) => [g.arn, g.targets.map((t) => t.id)]) ?? [],
    );
    expect(targets).toEqual({
      Asg: ['Group#1'],
      Ecs: ['Svc#1', 'Svc#2', 'Svc#3'],
      EcsDefault: ['Svc2#1'],
      Tokened: [],
      Bare: [],
    });
    expect(lintTemplate(template({ Bare: tg({ Port: 80 }), L: forwardTo('Bare') }))).toEqual([]);
  });

  it('reads fixed responses, redirects, cognito and GetAtt strings, and skips unknown actions', () => {
    const [lb] = snapshotsFromTemplate(
      template({
        L: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: {
            LoadBalancerArn: { 'Fn::GetAtt': 'Alb.LoadBalancerArn' },
            Port: { Ref: 'Port' },
            DefaultActions: [
              { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: { UserPoolArn: 'x' } },
              { Type: 'redirect', Order: 2, RedirectConfig: { StatusCode: 'HTTP_302', Protocol: 'HTTPS' } },
              { Type: 'redirect', RedirectConfig: {} },
              { Type: 'fixed-response', FixedResponseConfig: { StatusCode: 503 } },
              { Type: 'fixed-response' },
              { Type: 'something-new' },
              { Type: 'forward' },
            ],
          },
        },
      }),
    );
    expect(lb?.snapshot.loadBalancerArn).toBe('Alb');
    expect(lb?.snapshot.listeners[0]).toMatchObject({ port: 0, protocol: 'HTTP' });
    expect(lb?.snapshot.listeners[0]?.defaultActions).toEqual([
      { type: 'authenticate-cognito', order: 1, config: { UserPoolArn: 'x' } },
      { type: 'redirect', order: 2, statusCode: 'HTTP_302' },
      { type: 'redirect', statusCode: 'HTTP_301' },
      { type: 'fixed-response', statusCode: '503' },
      { type: 'fixed-response', statusCode: '' },
      { type: 'forward', targetGroups: [] },
    ]);
  });

  it('gives odd values an identity rather than failing', () => {
    const [lb] = snapshotsFromTemplate(
      template({
        L: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: { LoadBalancerArn: { 'Fn::ImportValue': 'SharedAlb' }, Port: 80 },
        },
      }),
    );
    expect(lb?.snapshot.loadBalancerArn).toBe('{"Fn::ImportValue":"SharedAlb"}');
    expect(snapshotsFromTemplate({})).toEqual([]);
  });
});
