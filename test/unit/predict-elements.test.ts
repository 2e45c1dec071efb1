import { describe, expect, it } from 'vitest';
import { predictHealth } from '../../lib/predict/apply.ts';
import {
  readActions,
  readConditions,
  readHealthCheck,
  readTargets,
  readUnhealthyStateRouting,
} from '../../lib/predict/elements.ts';
import { type CfnResource, Resolver, Unresolvable } from '../../lib/predict/resolve.ts';
import { type CfnTemplate, declaresRouting, judgePlan, type LiveState } from '../../lib/predict.ts';
import { forward, healthOf, LB_ARN, listener, snapshot, targetGroup } from './fixtures/topologies.ts';

// The template reader of the predictive gate, one property at a time: every action, condition,
// target and attribute shape it models, and every reference it refuses to guess.

const TEMPLATE: CfnTemplate = {
  Parameters: { Port: { Default: '8080' }, Env: {} },
  Mappings: { Ports: { prod: { http: 80 } } },
  Resources: {
    Web: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Name: 'web' } },
    Server: { Type: 'AWS::EC2::Instance' },
  },
};
const resolver = new Resolver(
  TEMPLATE,
  { region: 'eu-west-1', stackName: 'shop' },
  new Map([['Server', 'i-0live']]),
);

/** `${Name}` as Fn::Sub writes it. */
function sub(name: string): string {
  return `$\{${name}}`;
}

function outcome(read: () => unknown): unknown {
  try {
    return read();
  } catch (error) {
    if (error instanceof Unresolvable) return error.message;
    throw error;
  }
}

describe('Resolver', () => {
  it.each([
    ['a literal', 'x', 'x'],
    ['a parameter default', { Ref: 'Port' }, '8080'],
    ['a pseudo parameter', { Ref: 'AWS::Region' }, 'eu-west-1'],
    ['the stack name', { Ref: 'AWS::StackName' }, 'shop'],
    ['the URL suffix', { Ref: 'AWS::URLSuffix' }, 'amazonaws.com'],
    [
      'an unknown pseudo parameter',
      { Ref: 'AWS::AccountId' },
      'cannot predict: p uses Ref of AWS::AccountId, which is not known',
    ],
    [
      'a parameter without value',
      { Ref: 'Env' },
      'cannot predict: p uses Ref of parameter Env, which has no value',
    ],
    ['an existing resource', { Ref: 'Server' }, 'i-0live'],
    ['a new resource', { Ref: 'Web' }, 'planned:targetgroup/web/Web'],
    [
      'an undeclared resource',
      { Ref: 'Nope' },
      'cannot predict: p refers to Nope, which the template does not declare',
    ],
    ['GetAtt in dotted form', { 'Fn::GetAtt': 'Web.TargetGroupArn' }, 'planned:targetgroup/web/Web'],
    ['GetAtt of a name', { 'Fn::GetAtt': ['Web', 'TargetGroupName'] }, 'web'],
    ['a malformed GetAtt', { 'Fn::GetAtt': ['Web'] }, 'cannot predict: p uses a malformed Fn::GetAtt'],
    [
      'Sub with a variable map and an escaped literal',
      { 'Fn::Sub': [`${sub('A')}-${sub('!B')}-${sub('Web.TargetGroupName')}`, { A: 'a' }] },
      `a-${sub('B')}-web`,
    ],
    ['a malformed Sub', { 'Fn::Sub': [1] }, 'cannot predict: p uses Fn::Sub with malformed arguments'],
    [
      'Join over a non-list',
      { 'Fn::Join': ['-', 'x'] },
      'cannot predict: p uses Fn::Join over something not a list',
    ],
    [
      'Join with one argument',
      { 'Fn::Join': ['-'] },
      'cannot predict: p uses Fn::Join with malformed arguments',
    ],
    ['Select out of range', { 'Fn::Select': [3, ['a']] }, 'cannot predict: p uses Fn::Select out of range'],
    ['FindInMap', { 'Fn::FindInMap': ['Ports', 'prod', 'http'] }, 80],
    [
      'FindInMap of a missing key',
      { 'Fn::FindInMap': ['Ports', 'dev', 'http'] },
      'cannot predict: p uses Fn::FindInMap of a missing key',
    ],
    ['Fn::GetAZs', { 'Fn::GetAZs': '' }, 'cannot predict: p uses Fn::GetAZs'],
    ['an object of intrinsics', { a: { Ref: 'Port' }, b: [1] }, { a: '8080', b: [1] }],
  ])('%s', (_name, value, expected) => {
    expect(outcome(() => resolver.value(value, 'p'))).toEqual(expected);
  });

  it.each([
    [() => resolver.string(8080, 'p'), '8080'],
    [() => resolver.string({ a: 1 }, 'p'), 'cannot predict: p is not a string'],
    [() => resolver.number('eighty', 'p'), 'cannot predict: p is not a number ("eighty")'],
    [() => resolver.number(undefined, 'p'), undefined],
    [() => resolver.node({ Ref: 'Port' }, 'p'), '8080'],
    [() => resolver.node({ a: { Ref: 'Port' } }, 'p'), { a: { Ref: 'Port' } }],
  ])('reads typed values (%#)', (read, expected) => {
    expect(outcome(read)).toEqual(expected);
  });
});

describe('template elements', () => {
  it.each([
    [
      'a fixed response, a redirect and an authentication, in order',
      [
        { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { ClientSecret: { Ref: 'Nope' } } },
        { Type: 'fixed-response', FixedResponseConfig: { StatusCode: 503 } },
        { Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_302' } },
        { Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } },
      ],
      [
        { type: 'authenticate-oidc', order: 1, config: {} },
        { type: 'fixed-response', statusCode: '503' },
        { type: 'redirect', statusCode: 'HTTP_302' },
        { type: 'redirect', statusCode: 'HTTP_301' },
      ],
    ],
    [
      'a forward written as an intrinsic config',
      [{ Type: 'forward', ForwardConfig: { 'Fn::FindInMap': ['Forwards', 'web', 'config'] } }],
      'cannot predict: a[0].ForwardConfig uses Fn::FindInMap of a missing key',
    ],
    [
      'an action type lbguard cannot model',
      [{ Type: 'forward-to-lambda' }],
      'cannot predict: a[0].Type is forward-to-lambda, an action lbguard cannot model',
    ],
    ['actions that are not a list', { a: 1 }, 'cannot predict: a is not a list'],
  ])('reads %s', (_name, value, expected) => {
    expect(outcome(() => readActions(resolver, value, 'a'))).toEqual(expected);
  });

  it.each([
    [
      [
        { Field: 'host-header', HostHeaderConfig: { Values: ['shop.example.com'] } },
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['1'] } },
        {
          Field: 'query-string',
          QueryStringConfig: { Values: [{ Key: 'v', Value: '2' }, { Value: 'bare' }] },
        },
        { Field: 'path-pattern', Values: ['/legacy/*'] },
      ],
      [
        { field: 'host-header', values: ['shop.example.com'] },
        { field: 'http-header', headerName: 'X-Canary', values: ['1'] },
        { field: 'query-string', values: ['v=2', '=bare'] },
        { field: 'path-pattern', values: ['/legacy/*'] },
      ],
    ],
    [
      [{ Field: 'tls-version', Values: ['1.3'] }],
      'cannot predict: c[0].Field is tls-version, a condition lbguard cannot model',
    ],
  ])('reads conditions %#', (value, expected) => {
    expect(outcome(() => readConditions(resolver, value, 'c'))).toEqual(expected);
  });

  it('reads targets with their port, zone, or none for lambda', () => {
    expect(
      readTargets(resolver, [{ Id: { Ref: 'Server' }, AvailabilityZone: 'all' }], 't', {
        port: 80,
        targetType: 'instance',
      }),
    ).toEqual([{ id: 'i-0live', port: 80, availabilityZone: 'all' }]);
    expect(readTargets(resolver, [{ Id: 'arn:aws:lambda:fn' }], 't', { targetType: 'lambda' })).toEqual([
      { id: 'arn:aws:lambda:fn' },
    ]);
  });

  it('reads a health check leniently: a field it cannot resolve is left out', () => {
    expect(
      readHealthCheck(
        resolver,
        {
          HealthCheckPath: '/health',
          HealthCheckPort: { 'Fn::If': ['c', '80', '81'] },
          HealthCheckIntervalSeconds: 10,
          Matcher: { HttpCode: '200' },
        },
        'g',
      ),
    ).toEqual({ path: '/health', intervalSeconds: 10, matcher: '200' });
  });

  it.each([
    [
      [{ Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', Value: '2' }],
      { minimumHealthyTargetsCount: 2 },
    ],
    [
      [
        {
          Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage',
          Value: '50',
        },
        { Key: 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', Value: 'off' },
      ],
      { minimumHealthyTargetsPercentage: 50 },
    ],
    [[{ Key: 'stickiness.enabled', Value: 'true' }], undefined],
  ])('reads the unhealthy-state-routing attributes %#', (value, expected) => {
    expect(readUnhealthyStateRouting(resolver, value, 'a')).toEqual(expected);
  });
});

describe('applying a template', () => {
  const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
  const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
  const shop = snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]);
  const live: LiveState = { snapshot: shop, health: healthOf(shop) };
  const L = 'AWS::ElasticLoadBalancingV2::Listener';
  const TG = 'AWS::ElasticLoadBalancingV2::TargetGroup';
  const R = 'AWS::ElasticLoadBalancingV2::ListenerRule';
  const forwardTo = (arn: unknown) => [{ Type: 'forward', TargetGroupArn: arn }];

  it('adds a listener on a new port, and rules on it', () => {
    const resources: Record<string, CfnResource> = {
      Https: {
        Type: L,
        Properties: {
          LoadBalancerArn: LB_ARN,
          Port: 443,
          Protocol: 'HTTPS',
          DefaultActions: forwardTo(webA.arn),
        },
      },
      Api: {
        Type: R,
        Properties: {
          ListenerArn: { Ref: 'Https' },
          Priority: 1,
          Conditions: [],
          Actions: forwardTo(webB.arn),
        },
      },
    };
    const v = judgePlan({ template: { Resources: resources }, context: {}, live });
    expect(v.kind === 'predicted' && v.changes).toEqual([
      'listener :443 (new)',
      'listener :443 rule 1 (new)',
    ]);
    expect(v.kind === 'predicted' && v.routes.map((r) => r.route)).toEqual([
      'listener :80 default action',
      'listener :443 rule 1 (new)',
      'listener :443 default action (new)',
    ]);
    expect(v.ok).toBe(true);
  });

  it('deletes the stack’s listener and group the template dropped, and fails the routes lost', () => {
    const stack = [
      { logicalId: 'Listener', physicalId: shop.listeners[0]?.arn ?? '', type: L },
      { logicalId: 'WebB', physicalId: webB.arn, type: TG },
      { logicalId: 'Topic', physicalId: 'arn:sns', type: 'AWS::SNS::Topic' },
    ];
    const v = judgePlan({ template: { Resources: {} }, context: { stackResources: stack }, live });
    expect(v.kind === 'predicted' && v.changes).toEqual([
      'listener :80 deleted (Listener is no longer in the template)',
      'target group web-b deleted (WebB is no longer in the template)',
    ]);
    expect(v.kind === 'predicted' && v.routes.map((r) => r.route)).toEqual([
      'listener :80 default action (removed)',
    ]);
    expect(v.kind === 'predicted' && v.findings.map((f) => f.why)).toEqual([
      'listener :80 default action is removed; it is the only route to web-a, which takes 50% of it now: the listener is deleted, so those requests would be refused',
      'listener :80 default action is removed; it is the only route to web-b, which takes 50% of it now: the listener is deleted, so those requests would be refused',
    ]);
  });

  it('leaves aside rules on listeners of other load balancers and listeners it cannot place', () => {
    const resources: Record<string, CfnResource> = {
      Elsewhere: {
        Type: R,
        Properties: { ListenerArn: 'arn:listener/other', Priority: 1, Actions: forwardTo(webA.arn) },
      },
      NoPort: {
        Type: L,
        Properties: { LoadBalancerArn: LB_ARN, Port: { 'Fn::GetAZs': '' }, DefaultActions: [] },
      },
    };
    const v = judgePlan({ template: { Resources: resources }, context: {}, live });
    expect(v).toEqual({
      kind: 'cannot-predict',
      ok: false,
      reasons: ['cannot predict: NoPort.Port uses Fn::GetAZs'],
    });
    const rest = judgePlan({
      template: { Resources: { Elsewhere: resources.Elsewhere as CfnResource } },
      context: {},
      live,
    });
    expect(rest.kind === 'predicted' && rest.notes).toEqual([
      "rule Elsewhere is on a listener that is not this load balancer's (arn:listener/other)",
    ]);
  });

  it('matches a load balancer the template declares by name; without a name or a stack it cannot predict', () => {
    const lb = (props: Record<string, unknown>): Record<string, CfnResource> => ({
      Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: props },
      Listener: {
        Type: L,
        Properties: { LoadBalancerArn: { Ref: 'Lb' }, Port: 80, DefaultActions: forwardTo(webA.arn) },
      },
    });
    const named = judgePlan({ template: { Resources: lb({ Name: 'shop' }) }, context: {}, live });
    expect(named.kind === 'predicted' && named.changes).toEqual(['listener :80 default action replaced']);
    expect(judgePlan({ template: { Resources: lb({}) }, context: {}, live })).toEqual({
      kind: 'cannot-predict',
      ok: false,
      reasons: [
        'cannot predict: Listener.LoadBalancerArn refers to a load balancer the template declares (planned:loadbalancer/Lb/Lb); name the stack (--stack) so its physical id is known',
      ],
    });
    const newStack = judgePlan({ template: { Resources: lb({}) }, context: { stackName: 'other' }, live });
    expect(newStack.kind === 'predicted' && newStack.notes).toEqual([
      "listener Listener is on another load balancer (planned:loadbalancer/Lb/Lb): not this service's",
    ]);
  });

  it('counts an ECS service’s desired tasks as stand-ins of a new group, one by default', () => {
    const resources: Record<string, CfnResource> = {
      Tasks: { Type: TG, Properties: { Port: 8080, TargetType: 'ip' } },
      Service: {
        Type: 'AWS::ECS::Service',
        Properties: { LoadBalancers: [{ TargetGroupArn: { Ref: 'Tasks' } }, {}] },
      },
      Rule: {
        Type: R,
        Properties: {
          ListenerArn: shop.listeners[0]?.arn,
          Priority: 3,
          Actions: forwardTo({ Ref: 'Tasks' }),
        },
      },
    };
    const v = judgePlan({ template: { Resources: resources }, context: {}, live });
    expect(v.kind === 'predicted' && v.changes[0]).toBe('target group Tasks (new) with 1 target(s)');
    expect(v.kind === 'predicted' && v.findings.map((f) => f.kind)).toEqual(['no-healthy-target']);
  });

  it('moves a rule the template re-homes and replaces its actions', () => {
    const apiRule = { arn: 'arn:rule/api', priority: 5, conditions: [], actions: [forward([webB, 1])] };
    const two = snapshot(
      [listener(80, [forward([webA, 50], [webB, 50])], [apiRule]), listener(8080, [forward([webA, 1])])],
      [webA, webB],
    );
    const resources: Record<string, CfnResource> = {
      Api: {
        Type: R,
        Properties: { ListenerArn: two.listeners[1]?.arn, Priority: 5, Actions: forwardTo(webA.arn) },
      },
    };
    const v = judgePlan({
      template: { Resources: resources },
      context: { stackResources: [{ logicalId: 'Api', physicalId: 'arn:rule/api', type: R }] },
      live: { snapshot: two, health: healthOf(two) },
    });
    expect(v.kind === 'predicted' && v.changes).toEqual(['listener :8080 rule 5 replaced']);
    expect(v.kind === 'predicted' && v.routes.map((r) => r.route)).toContain('listener :80 rule 5 (removed)');
  });

  it('keeps live health of targets that stay, predicts newcomers, and keeps no record where live had none', () => {
    const grown = {
      ...webA,
      targets: [...webA.targets, { id: 'i-0c', port: 80 }, { id: 'i-0z', port: 80 }, { id: 'fn' }],
    };
    const health = predictHealth(
      [grown],
      [webA, webB],
      healthOf(shop).filter((h) => h.targetId !== 'i-0b'),
    );
    expect(health.map((h) => [h.targetId, h.state])).toEqual([
      ['i-0a', 'healthy'],
      ['i-0c', 'healthy'],
      ['i-0z', 'initial'],
      ['fn', 'initial'],
    ]);
  });

  it('knows a template that declares nothing routing', () => {
    expect(declaresRouting({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } })).toBe(false);
    expect(declaresRouting({})).toBe(false);
  });
});
