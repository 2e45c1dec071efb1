import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lintTemplate } from '../../infra/lint-plugin.ts';
import { readAssemblyManifest } from '../../lib/predict/cloud-assembly.ts';
import type { CfnResource } from '../../lib/predict/resolve.ts';
import { parseTemplateText } from '../../lib/predict/template-text.ts';
import {
  type CfnTemplate,
  judgePlan,
  type LiveState,
  type PlanContext,
  type PlanVerdict,
} from '../../lib/predict.ts';
import type { TargetHealthState } from '../../lib/types.ts';
import {
  arbSnapshotWithHealth,
  forward,
  healthOf,
  LB_ARN,
  listener,
  path,
  rule,
  snapshot,
  targetGroup,
  tgArn,
} from './fixtures/topologies.ts';

// The predictive gate's pure core: a template applied to live state, traffic modelled before and
// after, and the change judged against live health — including templates the static linter passes.

const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
const api = targetGroup('api', ['i-0e:80', 'i-0f:80']);
const apiRule = rule(80, 10, [path('/api/*')], [forward([api, 1])]);
const shop = snapshot([listener(80, [forward([webA, 50], [webB, 50])], [apiRule])], [webA, webB, api]);

function live(states: Readonly<Record<string, TargetHealthState>> = {}): LiveState {
  return { snapshot: shop, health: healthOf(shop, states) };
}

/** The shop's listener and groups as a stack template declares them (no physical ids known). */
function template(options: {
  readonly weights?: readonly [number, number];
  readonly webATargets?: readonly string[];
  readonly webBTargets?: readonly string[];
  readonly extra?: CfnTemplate['Resources'];
}): CfnTemplate {
  const targets = (list: readonly string[]) =>
    list.map((t) => ({ Id: t.split(':')[0], Port: Number(t.split(':')[1]) }));
  const [a, b] = options.weights ?? [50, 50];
  return {
    Parameters: { LoadBalancerArn: { Default: LB_ARN } },
    Resources: {
      WebA: {
        Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
        Properties: {
          Name: 'web-a',
          Port: 80,
          Protocol: 'HTTP',
          ...(options.webATargets === undefined ? {} : { Targets: targets(options.webATargets) }),
        },
      },
      WebB: {
        Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
        Properties: {
          Name: 'web-b',
          Port: 80,
          Protocol: 'HTTP',
          ...(options.webBTargets === undefined ? {} : { Targets: targets(options.webBTargets) }),
        },
      },
      Listener: {
        Type: 'AWS::ElasticLoadBalancingV2::Listener',
        Properties: {
          LoadBalancerArn: { Ref: 'LoadBalancerArn' },
          Port: 80,
          Protocol: 'HTTP',
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: { Ref: 'WebA' }, Weight: a },
                  { TargetGroupArn: { 'Fn::GetAtt': ['WebB', 'TargetGroupArn'] }, Weight: b },
                ],
              },
            },
          ],
        },
      },
      ...options.extra,
    },
  };
}

/** As the flow's second pass judges: every group the template names has been looked up. */
function judge(t: CfnTemplate, state: LiveState = live(), context: PlanContext = {}): PlanVerdict {
  return judgePlan({ template: t, context, live: state, groupsRead: true });
}

/** `${Name}` as Fn::Sub writes it. */
function sub(name: string): string {
  return `$\{${name}}`;
}

function kinds(v: PlanVerdict): string[] {
  return v.kind === 'predicted' ? v.findings.map((f) => `${f.kind} ${f.targetGroup}`) : [v.kind];
}

/** A new rule on the shop's listener, by its live ARN. */
function newRule(priority: number, pattern: string, groupRef: unknown): CfnTemplate['Resources'] {
  return {
    [`Rule${priority}`]: {
      Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
      Properties: {
        ListenerArn: shop.listeners[0]?.arn,
        Priority: priority,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [pattern] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: groupRef }],
      },
    },
  };
}

describe('judgePlan: templates that collapse traffic under live state fail', () => {
  it.each([
    {
      name: 'the seed outage as a template: 100/0 to web-a and web-a down to one target',
      template: template({ weights: [100, 0], webATargets: ['i-0a:80'], webBTargets: [] }),
      states: {},
      expected: ['single-healthy-target web-a'],
    },
    {
      name: 'deregistering via Targets: web-a keeps i-0a and swaps i-0b for a server not yet healthy anywhere',
      template: template({ webATargets: ['i-0a:80', 'i-0x:80'] }),
      states: {},
      expected: ['single-healthy-target web-a'],
    },
    {
      name: 'a forward weight to a group whose targets are all unhealthy live',
      template: template({ weights: [0, 100] }),
      states: { 'i-0c:80': 'unhealthy', 'i-0d:80': 'unhealthy' } as Record<string, TargetHealthState>,
      expected: ['no-healthy-target web-b'],
    },
    {
      name: 'a new rule to a new group of servers never seen healthy (all initial)',
      template: template({
        extra: {
          ...newRule(5, '/new/*', { Ref: 'Fresh' }),
          Fresh: {
            Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
            Properties: { Name: 'fresh', Port: 80, Targets: [{ Id: 'i-0new' }, { Id: 'i-0new2' }] },
          },
        },
      }),
      states: {},
      expected: ['no-healthy-target fresh'],
    },
  ])('$name', ({ template: t, states, expected }) => {
    expect(kinds(judge(t, live(states)))).toEqual(expected);
  });

  it('passes the static linter on the templates that collapse traffic, which is why the gate exists', () => {
    const collapsing = [template({ weights: [0, 100] }), template({ webATargets: ['i-0a:80', 'i-0x:80'] })];
    for (const t of collapsing) {
      expect(lintTemplate(t as never).filter((f) => f.level === 'error')).toEqual([]);
    }
    expect(
      kinds(judge(collapsing[0] as CfnTemplate, live({ 'i-0c:80': 'unhealthy', 'i-0d:80': 'unhealthy' }))),
    ).toEqual(['no-healthy-target web-b']);
  });

  it('fails when a deleted rule was the only route to a group with traffic', () => {
    const stack = [
      { logicalId: 'ApiRule', physicalId: apiRule.arn, type: 'AWS::ElasticLoadBalancingV2::ListenerRule' },
    ];
    const v = judge(template({}), live(), { stackResources: stack });
    expect(kinds(v)).toEqual(['route-removed api']);
    expect(v.kind === 'predicted' && v.findings[0]?.why).toMatch(
      /listener :80 rule 10 \(path \/api\/\*\) is removed/,
    );
    expect(v.kind === 'predicted' && v.changes).toContain(
      'listener :80 rule 10 deleted (ApiRule is no longer in the template)',
    );
  });

  it('names the route, the group and the live health in each finding', () => {
    const v = judge(template({ weights: [100, 0], webATargets: ['i-0a:80'], webBTargets: [] }));
    expect(v.kind === 'predicted' && v.findings[0]?.why).toBe(
      "listener :80 default action sends 100% to web-a, which keeps 1 healthy target of the 2 it has now: that one target would carry all of the group's traffic",
    );
  });

  it('reports a route that reaches one healthy target where it reached several, whatever the groups', () => {
    const solo = targetGroup('solo', ['i-0a:80']);
    const state: LiveState = {
      snapshot: snapshot(shop.listeners, [...shop.targetGroups, solo]),
      health: healthOf(snapshot(shop.listeners, [...shop.targetGroups, solo])),
    };
    const t = template({});
    const listenerProps = t.Resources?.Listener?.Properties as Record<string, unknown>;
    const v = judge(
      {
        ...t,
        Resources: {
          ...t.Resources,
          Listener: {
            Type: 'AWS::ElasticLoadBalancingV2::Listener',
            Properties: { ...listenerProps, DefaultActions: [{ Type: 'forward', TargetGroupArn: solo.arn }] },
          },
        },
      },
      state,
    );
    expect(kinds(v)).toEqual(['single-healthy-target solo']);
  });
});

describe('judgePlan: benign templates pass', () => {
  it.each([
    { name: 'the live configuration restated', template: template({ webATargets: ['i-0a:80', 'i-0b:80'] }) },
    {
      name: 'a new rule to a new group of servers healthy in another group now',
      template: template({
        extra: {
          ...newRule(5, '/new/*', { Ref: 'Fresh' }),
          Fresh: {
            Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
            Properties: { Name: 'fresh', Port: 80, Targets: [{ Id: 'i-0a' }, { Id: 'i-0c' }] },
          },
        },
      }),
    },
    { name: 'a reweighting that keeps both groups', template: template({ weights: [70, 30] }) },
    {
      name: 'scaling web-a in from two targets to… two others healthy elsewhere',
      template: template({ webATargets: ['i-0c:80', 'i-0d:80'] }),
    },
  ])('$name', ({ template: t }) => {
    const v = judge(t);
    expect(kinds(v)).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('passes a blue/green switch to a fully healthy group and shows the shares moving', () => {
    const blue = targetGroup('blue', ['i-0a:80', 'i-0b:80']);
    const green = targetGroup('green', ['i-0c:80', 'i-0d:80']);
    const bg = snapshot([listener(80, [forward([blue, 100], [green, 0])])], [blue, green]);
    const t: CfnTemplate = {
      Resources: {
        Listener: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: {
            LoadBalancerArn: LB_ARN,
            Port: '80',
            DefaultActions: [
              {
                Type: 'forward',
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: blue.arn, Weight: 0 },
                    { TargetGroupArn: green.arn, Weight: 100 },
                  ],
                },
              },
            ],
          },
        },
      },
    };
    const v = judge(t, { snapshot: bg, health: healthOf(bg) });
    expect(v.ok).toBe(true);
    expect(v.kind === 'predicted' && v.routes).toEqual([
      {
        route: 'listener :80 default action',
        rows: [
          { destination: 'i-0a:80', group: 'blue', before: 0.5, after: 0 },
          { destination: 'i-0b:80', group: 'blue', before: 0.5, after: 0 },
          { destination: 'i-0c:80', group: 'green', before: 0, after: 0.5 },
          { destination: 'i-0d:80', group: 'green', before: 0, after: 0.5 },
        ],
      },
    ]);
  });

  it('lists a problem already live as a note, not as the change’s finding', () => {
    const v = judge(template({ weights: [50, 50] }), live({ 'i-0c:80': 'unused', 'i-0d:80': 'unused' }));
    expect(v.ok).toBe(true);
    expect(v.kind === 'predicted' && v.notes.join('\n')).toMatch(
      /^already live: listener :80 default action sends 50% to web-b/m,
    );
  });

  it('changes nothing when the template is empty (property)', () => {
    fc.assert(
      fc.property(arbSnapshotWithHealth(), ({ snapshot: snap, health }) => {
        const v = judgePlan({
          template: { Resources: {} },
          context: {},
          live: { snapshot: snap, health },
          groupsRead: true,
        });
        expect(v.kind).toBe('predicted');
        if (v.kind !== 'predicted') return;
        expect(v.findings).toEqual([]);
        expect(v.changes).toEqual([]);
        for (const r of v.routes) for (const row of r.rows) expect(row.after).toBeCloseTo(row.before, 9);
      }),
      { numRuns: 200 },
    );
  });
});

describe('judgePlan: references', () => {
  it.each([
    {
      name: 'Fn::If in a target id',
      patch: { Targets: [{ Id: { 'Fn::If': ['Prod', 'i-0a', 'i-0b'] } }] },
      reason: 'cannot predict: WebA.Targets[0].Id uses Fn::If',
    },
    {
      name: 'an import nobody exports',
      patch: { Targets: [{ Id: { 'Fn::ImportValue': 'shared-instance' } }] },
      reason:
        'cannot predict: WebA.Targets[0].Id uses Fn::ImportValue of shared-instance, which is not exported',
    },
    {
      name: 'an attribute known only after the deploy',
      patch: { Targets: [{ Id: { 'Fn::GetAtt': ['Server', 'PrivateIp'] } }] },
      reason:
        'cannot predict: WebA.Targets[0].Id uses Fn::GetAtt Server.PrivateIp, known only after the deploy',
    },
    {
      name: 'a parameter without a value',
      patch: { Port: { Ref: 'NoDefault' } },
      reason: 'cannot predict: WebA.Port uses Ref of parameter NoDefault, which has no value',
    },
  ])('cannot predict $name, and says where', ({ patch, reason }) => {
    const t = template({});
    const webAProps = t.Resources?.WebA?.Properties ?? {};
    const v = judge({
      ...t,
      Parameters: { ...t.Parameters, NoDefault: {} },
      Resources: {
        ...t.Resources,
        WebA: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { ...webAProps, ...patch } },
      },
    });
    expect(v).toEqual({ kind: 'cannot-predict', ok: false, reasons: [reason] });
  });

  it('cannot predict a routing resource that exists only under a condition', () => {
    const t = template({});
    const v = judge({
      ...t,
      Resources: { ...t.Resources, WebA: { ...(t.Resources?.WebA as CfnResource), Condition: 'IsProd' } },
    });
    expect(v.kind === 'cannot-predict' && v.reasons).toEqual([
      'cannot predict: WebA.Condition makes it exist only under condition IsProd',
    ]);
  });

  it('resolves imports, Sub, Join, Select, Split and FindInMap from what is known before the deploy', () => {
    const [, region, account] = /^arn:aws:elasticloadbalancing:([^:]+):(\d+):/.exec(LB_ARN) ?? [];
    const suffix = LB_ARN.split(':loadbalancer/')[1];
    const t = template({ webATargets: [] });
    const v = judge(
      {
        ...t,
        Mappings: { Ids: { web: { first: 'i-0a' } } },
        Resources: {
          ...t.Resources,
          WebA: {
            Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
            Properties: {
              Name: 'web-a',
              Port: 80,
              Targets: [
                { Id: { 'Fn::FindInMap': ['Ids', 'web', 'first'] } },
                { Id: { 'Fn::Select': [1, { 'Fn::Split': [',', 'i-0x,i-0b'] }] } },
              ],
            },
          },
          Listener: {
            Type: 'AWS::ElasticLoadBalancingV2::Listener',
            Properties: {
              ...(t.Resources?.Listener?.Properties as Record<string, unknown>),
              LoadBalancerArn: {
                'Fn::Join': [
                  '',
                  [
                    {
                      'Fn::Sub': `arn:${sub('AWS::Partition')}:elasticloadbalancing:${sub('AWS::Region')}:${sub('AWS::AccountId')}:`,
                    },
                    { 'Fn::ImportValue': 'lb-suffix' },
                  ],
                ],
              },
            },
          },
        },
      },
      live(),
      {
        region: region ?? '',
        accountId: account ?? '',
        exports: new Map([['lb-suffix', `loadbalancer/${suffix}`]]),
      },
    );
    expect(v.kind === 'predicted' && v.changes).toEqual(['listener :80 default action replaced']);
    expect(v.ok).toBe(true);
  });

  it('asks for groups the template forwards to by ARN that live state does not hold, then counts them as absent', () => {
    const missing = tgArn('elsewhere');
    const t = template({ extra: newRule(5, '/x/*', missing) });
    expect(judgePlan({ template: t, context: {}, live: live() })).toEqual({
      kind: 'needs-groups',
      ok: false,
      targetGroupArns: [missing],
      targetGroupNames: [],
    });
    const v = judgePlan({ template: t, context: {}, live: live(), groupsRead: true });
    expect(v.kind === 'predicted' && v.findings.map((f) => f.why)).toEqual([
      'listener :80 rule 5 (path /x/*) sends 100% to elsewhere, which has no healthy target (the target group does not exist): ALB answers 503 or fails open to failing targets',
    ]);
  });

  it('asks for groups the template declares by a name no live group has: an unattached standby is not new', () => {
    const green = targetGroup('green', ['i-0e:80', 'i-0f:80']);
    const t = template({
      extra: {
        Green: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Name: 'green', Port: 80 } },
      },
    });
    const listenerProps = t.Resources?.Listener?.Properties as Record<string, unknown>;
    const switched: CfnTemplate = {
      ...t,
      Resources: {
        ...t.Resources,
        Listener: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: {
            ...listenerProps,
            DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Green' } }],
          },
        },
      },
    };
    expect(judgePlan({ template: switched, context: {}, live: live() })).toMatchObject({
      kind: 'needs-groups',
      targetGroupNames: ['green'],
    });
    const standby: LiveState = {
      ...live(),
      health: [...live().health, ...healthOf(snapshot([], [green]))],
      otherGroups: [green],
    };
    const v = judge(switched, standby);
    expect(v.ok).toBe(true);
    expect(v.kind === 'predicted' && v.changes).toEqual(['listener :80 default action replaced']);
    // Not found by name: a new group whose targets were never seen healthy.
    expect(kinds(judge(switched))).toEqual(['no-healthy-target green']);
  });

  it('maps a resource to the live one by the stack’s physical id before any natural key', () => {
    const stack = [
      { logicalId: 'Api', physicalId: apiRule.arn, type: 'AWS::ElasticLoadBalancingV2::ListenerRule' },
    ];
    const t = template({ extra: { Api: newRule(20, '/api/*', api.arn)?.Rule20 as never } });
    const v = judge(t, live(), { stackResources: stack });
    expect(v.kind === 'predicted' && v.changes).toContain('listener :80 rule 20 replaced');
    expect(v.ok).toBe(true);
  });

  it('leaves listeners of other load balancers aside, with a note', () => {
    const t = template({});
    const other = LB_ARN.replace('shop', 'other');
    const v = judge({
      ...t,
      Resources: {
        Other: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: { LoadBalancerArn: other, Port: 80, DefaultActions: [] },
        },
      },
    });
    expect(v.kind === 'predicted' && v.notes).toEqual([
      `listener Other is on another load balancer (${other}): not this service's`,
    ]);
  });

  it('counts targets an Auto Scaling group will register in a new group as initial stand-ins', () => {
    const v = judge(
      template({
        weights: [0, 0],
        extra: {
          ...newRule(5, '/new/*', { Ref: 'Fresh' }),
          Fresh: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Port: 80 } },
          Asg: {
            Type: 'AWS::AutoScaling::AutoScalingGroup',
            Properties: { MinSize: '2', TargetGroupARNs: [{ Ref: 'Fresh' }] },
          },
        },
      }),
    );
    expect(v.kind === 'predicted' && v.changes).toContain('target group Fresh (new) with 2 target(s)');
    expect(kinds(v)).toContain('no-healthy-target Fresh');
  });

  it('notes a changed health check: the prediction keeps live health', () => {
    const t = template({});
    const v = judge({
      ...t,
      Resources: {
        ...t.Resources,
        WebA: {
          Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
          Properties: { Name: 'web-a', HealthCheckPath: '/healthz' },
        },
      },
    });
    expect(v.kind === 'predicted' && v.notes).toEqual([
      'the health check of web-a changes: the prediction assumes its targets still pass it (their live health is kept)',
    ]);
  });
});

describe('parseTemplateText', () => {
  it('reads YAML short forms as their long form', () => {
    const parsed = parseTemplateText(
      `Resources:\n  L:\n    Type: AWS::ElasticLoadBalancingV2::Listener\n    Properties:\n      LoadBalancerArn: !Ref Lb\n      Port: !Select [0, [80]]\n      Name: !GetAtt G.TargetGroupName\n      Sub: !Sub "${sub('AWS::Region')}"\n`,
      't.yaml',
    );
    expect(parsed.ok && parsed.template.Resources?.L?.Properties).toEqual({
      LoadBalancerArn: { Ref: 'Lb' },
      Port: { 'Fn::Select': [0, [80]] },
      Name: { 'Fn::GetAtt': ['G', 'TargetGroupName'] },
      Sub: { 'Fn::Sub': sub('AWS::Region') },
    });
  });

  it.each([
    ['{"Resources": {}}', true, undefined],
    ['{ nope', false, 't is neither JSON nor YAML'],
    ['- a list', false, 't is not a CloudFormation template (no top-level mapping)'],
    ['Outputs: {}', false, 't is not a CloudFormation template (no Resources section)'],
  ])('%s → ok %s', (text, ok, problem) => {
    const parsed = parseTemplateText(text, 't');
    expect(parsed.ok).toBe(ok);
    if (!parsed.ok) expect(parsed.problem.startsWith(problem ?? '')).toBe(true);
  });
});

describe('readAssemblyManifest', () => {
  it('lists stacks with their names and environments, and nested stage assemblies', () => {
    expect(
      readAssemblyManifest({
        artifacts: {
          Shop: {
            type: 'aws:cloudformation:stack',
            environment: 'aws://123456789012/eu-west-1',
            properties: { templateFile: 'Shop.template.json', stackName: 'shop-prod' },
          },
          Agnostic: {
            type: 'aws:cloudformation:stack',
            environment: 'aws://unknown-account/unknown-region',
            properties: { templateFile: 'Agnostic.template.json' },
          },
          'assembly-Prod': { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Prod' } },
          Tree: { type: 'cdk:tree', properties: { file: 'tree.json' } },
        },
      }),
    ).toEqual({
      stacks: [
        {
          artifactId: 'Shop',
          stackName: 'shop-prod',
          templateFile: 'Shop.template.json',
          account: '123456789012',
          region: 'eu-west-1',
        },
        { artifactId: 'Agnostic', stackName: 'Agnostic', templateFile: 'Agnostic.template.json' },
      ],
      nested: ['assembly-Prod'],
    });
  });
});
