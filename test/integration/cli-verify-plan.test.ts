import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateTargetGroupCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintTemplate } from '../../infra/lint-plugin.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { createShop, motoEc2, outageShop, type Shop } from '../support/elbv2-fixtures.ts';
import { configFor, jsonOf, runCli, workspaceWithConfig } from './cli-support.ts';

// `lbguard verify --plan` against moto: a live load balancer, and templates (JSON, YAML, a
// cdk.out-shaped directory, a CloudFormation change set) judged under its live health. The
// collapsing templates pass the static linter; the gate fails them because of live state.

interface Finding {
  readonly kind: string;
  readonly targetGroup: string;
  readonly why: string;
}
interface PlanDoc {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly plan: { readonly input: string };
  readonly services: readonly {
    readonly service: string;
    readonly ok: boolean;
    readonly stacks: readonly {
      readonly label: string;
      readonly stackExists: boolean | null;
      readonly verdict: {
        readonly kind: string;
        readonly findings?: readonly Finding[];
        readonly reasons?: readonly string[];
        readonly routes?: readonly {
          readonly route: string;
          readonly rows: readonly {
            readonly destination: string;
            readonly before: number;
            readonly after: number;
          }[];
        }[];
      };
    }[];
  }[];
}

const clients: AwsClients = createAwsClients(motoClientConfig());
let shop: Shop;
let cwd: string;

beforeAll(async () => {
  await resetMoto();
  try {
    shop = await createShop(clients, outageShop);
  } catch (error) {
    // moto builds its EC2 backend on the first call of a fresh server: one clean retry.
    if ((error as Error).name !== 'TimeoutError') throw error;
    await resetMoto();
    shop = await createShop(clients, outageShop);
  }
  cwd = workspaceWithConfig(configFor({ loadBalancerArn: shop.loadBalancerArn }));
});
afterAll(() => destroyAwsClients(clients));

/** The shop's listener and groups as its stack declares them: weights, and each group's targets. */
function shopTemplate(options: {
  readonly weights: readonly [number, number];
  readonly webA?: readonly string[];
  readonly webB?: readonly string[];
  readonly extra?: Record<string, unknown>;
}): Record<string, unknown> {
  const targets = (ids: readonly string[]) => ids.map((Id) => ({ Id, Port: 80 }));
  const group = (name: string, ids?: readonly string[]) => ({
    Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
    Properties: {
      Name: name,
      Port: 80,
      Protocol: 'HTTP',
      ...(ids === undefined ? {} : { Targets: targets(ids) }),
    },
  });
  return {
    Parameters: { LoadBalancerArn: { Type: 'String', Default: shop.loadBalancerArn } },
    Resources: {
      WebA: group('web-a', options.webA),
      WebB: group('web-b', options.webB),
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
                  { TargetGroupArn: { Ref: 'WebA' }, Weight: options.weights[0] },
                  { TargetGroupArn: { Ref: 'WebB' }, Weight: options.weights[1] },
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

function write(name: string, content: unknown): string {
  const file = join(cwd, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

async function verifyPlan(...args: string[]): Promise<{ code: number | null; doc: PlanDoc; stdout: string }> {
  const run = await runCli(['verify', 'shop', ...args, '--json'], { cwd });
  return { code: run.code, doc: jsonOf<PlanDoc>(run), stdout: run.stdout };
}

function findingsOf(doc: PlanDoc): string[] {
  return doc.services.flatMap((s) =>
    s.stacks.flatMap((st) => (st.verdict.findings ?? []).map((f) => `${f.kind} ${f.targetGroup}`)),
  );
}

const a = () => shop.instanceIds['web-a'] ?? [];
const b = () => shop.instanceIds['web-b'] ?? [];

describe('lbguard verify --plan against a live load balancer in moto', () => {
  it('fails the seed outage as a template (100/0, web-a down to one target), which the linter passes', async () => {
    const seed = shopTemplate({ weights: [100, 0], webA: a().slice(0, 1), webB: [] });
    expect(lintTemplate(seed as never).filter((f) => f.level === 'error')).toEqual([]);
    const { code, doc } = await verifyPlan('--plan', write('seed.json', seed));
    expect(code).toBe(1);
    expect(doc.plan.input).toBe('template');
    expect(findingsOf(doc)).toEqual(['single-healthy-target web-a']);
    const rows = doc.services[0]?.stacks[0]?.verdict.routes?.[0]?.rows ?? [];
    expect(rows.find((r) => r.destination === `${a()[0]}:80`)).toMatchObject({ before: 0.25, after: 1 });
  });

  it('prints the before/after table and one line per finding for a person', async () => {
    const run = await runCli(
      [
        'verify',
        'shop',
        '--plan',
        write('seed.json', shopTemplate({ weights: [100, 0], webA: a().slice(0, 1), webB: [] })),
      ],
      { cwd },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ROUTE\s+TARGET\s+GROUP\s+BEFORE\s+AFTER/);
    expect(run.stdout).toMatch(/single-healthy-target: listener :80 default action sends 100% to web-a/);
    expect(run.stdout).toMatch(/verify --plan FAILED/);
  });

  it('passes a blue/green switch to a fully healthy group, given as YAML with short forms', async () => {
    const yaml = `Parameters:
  LoadBalancerArn: { Type: String, Default: ${shop.loadBalancerArn} }
Resources:
  WebA: { Type: AWS::ElasticLoadBalancingV2::TargetGroup, Properties: { Name: web-a, Port: 80 } }
  WebB: { Type: AWS::ElasticLoadBalancingV2::TargetGroup, Properties: { Name: web-b, Port: 80 } }
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref LoadBalancerArn
      Port: 80
      DefaultActions:
        - Type: forward
          ForwardConfig:
            TargetGroups:
              - { TargetGroupArn: !Ref WebA, Weight: 0 }
              - { TargetGroupArn: !GetAtt WebB.TargetGroupArn, Weight: 100 }
`;
    const { code, doc } = await verifyPlan('--plan', write('switch.yaml', yaml));
    expect(findingsOf(doc)).toEqual([]);
    expect(code).toBe(0);
  });

  it('passes a blue/green switch to a healthy standby group no listener uses yet, found by its name', async () => {
    const created = await clients.elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'green',
        Protocol: 'HTTP',
        Port: 80,
        VpcId: shop.vpcId,
        TargetType: 'instance',
      }),
    );
    const green = created.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await clients.elbv2.send(
      new RegisterTargetsCommand({ TargetGroupArn: green, Targets: b().map((Id) => ({ Id, Port: 80 })) }),
    );
    const t = shopTemplate({
      weights: [0, 0],
      extra: {
        Green: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Name: 'green', Port: 80 } },
      },
    });
    const resources = t.Resources as Record<string, { Properties: Record<string, unknown> }>;
    (resources.Listener as { Properties: Record<string, unknown> }).Properties.DefaultActions = [
      { Type: 'forward', TargetGroupArn: { Ref: 'Green' } },
    ];
    const { code, doc } = await verifyPlan('--plan', write('to-green.json', t));
    expect(findingsOf(doc)).toEqual([]);
    const rows = doc.services[0]?.stacks[0]?.verdict.routes?.[0]?.rows ?? [];
    // Tied shares: the table's order among them is not part of the answer.
    const after = rows.filter((r) => r.after > 0).map((r) => [r.destination, r.after]);
    expect(after.sort()).toEqual(
      b()
        .map((id) => [`${id}:80`, 0.5])
        .sort(),
    );
    expect(code).toBe(0);
  });

  it('passes a cdk.out-shaped directory whose stack adds a rule to a new group of healthy servers', async () => {
    const dir = join(cwd, 'cdk.out');
    mkdirSync(dir, { recursive: true });
    const template = {
      Resources: {
        Canary: {
          Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
          Properties: {
            Name: 'canary',
            Port: 80,
            Protocol: 'HTTP',
            Targets: [{ Id: a()[1] }, { Id: b()[0] }],
          },
        },
        CanaryRule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            ListenerArn: shop.listenerArn,
            Priority: 5,
            Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/canary/*'] } }],
            Actions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Canary' } }],
          },
        },
      },
    };
    writeFileSync(join(dir, 'ShopCanary.template.json'), JSON.stringify(template));
    writeFileSync(
      join(dir, 'Other.template.json'),
      JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }),
    );
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        version: '48.0.0',
        artifacts: {
          ShopCanary: {
            type: 'aws:cloudformation:stack',
            environment: 'aws://123456789012/us-east-1',
            properties: { templateFile: 'ShopCanary.template.json', stackName: 'shop-canary' },
          },
          Other: {
            type: 'aws:cloudformation:stack',
            environment: 'aws://123456789012/us-east-1',
            properties: { templateFile: 'Other.template.json' },
          },
        },
      }),
    );
    const { code, doc } = await verifyPlan('--plan', dir);
    expect(doc.plan.input).toBe('cloud-assembly');
    // The stack with no routing is left out; the new stack's rule reaches two healthy servers.
    expect(doc.services[0]?.stacks.map((s) => [s.label, s.stackExists])).toEqual([
      ['cdk.out/ShopCanary.template.json (stack shop-canary)', false],
    ]);
    expect(code).toBe(0);
  });

  it("reads a change set through DescribeChangeSet and GetTemplate, and refuses moto's stand-in template loudly (exit 3)", async () => {
    // moto 5.2.1 ignores GetTemplate's ChangeSetName and answers the stack's current template ({}
    // for a stack the change set creates). The change set's own changes show it; judging the
    // wrong template would pass a deploy nobody looked at. The AWS-shaped answer is judged in
    // test/unit/cloudformation-plans.test.ts.
    const cfn = new CloudFormationClient(motoClientConfig());
    const template = {
      Resources: {
        Fresh: {
          Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
          Properties: { Name: 'fresh', Port: 80, Protocol: 'HTTP', Targets: [{ Id: 'i-0000000000fresh1' }] },
        },
        FreshRule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            ListenerArn: shop.listenerArn,
            Priority: 7,
            Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/fresh/*'] } }],
            Actions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Fresh' } }],
          },
        },
      },
    };
    const created = await cfn.send(
      new CreateChangeSetCommand({
        StackName: 'shop-fresh',
        ChangeSetName: 'fresh-1',
        ChangeSetType: 'CREATE',
        TemplateBody: JSON.stringify(template),
      }),
    );
    cfn.destroy();
    const arn = created.Id ?? '';
    expect(arn).toMatch(/:changeSet\/fresh-1\//);
    const run = await runCli(['verify', 'shop', '--plan', arn], { cwd });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /CloudFormation did not return change set fresh-1's template: .*the change set adds Fresh, which the template read back does not declare/,
    );
  });

  it('cannot predict a target chosen by Fn::If, and fails rather than pass (exit 1)', async () => {
    const t = shopTemplate({ weights: [50, 50], webA: a() });
    const resources = t.Resources as Record<string, { Properties: Record<string, unknown> }>;
    (resources.WebA as { Properties: Record<string, unknown> }).Properties.Targets = [
      { Id: { 'Fn::If': ['Prod', a()[0], a()[1]] } },
    ];
    const { code, doc } = await verifyPlan('--plan', write('if.json', t));
    expect(code).toBe(1);
    expect(doc.services[0]?.stacks[0]?.verdict).toEqual({
      kind: 'cannot-predict',
      ok: false,
      reasons: ['cannot predict: WebA.Targets[0].Id uses Fn::If'],
    });
  });

  it('fails a forward weight to a group whose targets are all unhealthy live (stopped), which the linter passes', async () => {
    await motoEc2().stopInstances(b());
    try {
      const t = shopTemplate({ weights: [0, 100] });
      expect(lintTemplate(t as never).filter((f) => f.level === 'error')).toEqual([]);
      const { code, doc } = await verifyPlan('--plan', write('to-b.json', t));
      expect(findingsOf(doc)).toEqual(['no-healthy-target web-b']);
      expect(code).toBe(1);
    } finally {
      await motoEc2().startInstances(b());
    }
  });

  it('fails 100% to web-a when the linter counts two targets there but one is stopped live', async () => {
    await motoEc2().stopInstances(a().slice(1));
    try {
      const t = shopTemplate({ weights: [100, 0], webA: a(), webB: [] });
      // Two targets in web-a and no weight on a group with targets: the static rules find no error.
      expect(lintTemplate(t as never).filter((f) => f.level === 'error')).toEqual([]);
      const { code, doc } = await verifyPlan('--plan', write('stopped-a.json', t));
      expect(findingsOf(doc)).toEqual(['single-healthy-target web-a']);
      expect(doc.services[0]?.stacks[0]?.verdict.findings?.[0]?.why).toMatch(
        /reaches 3 healthy targets now and would reach only i-\w+:80/,
      );
      expect(code).toBe(1);
    } finally {
      await motoEc2().startInstances(a().slice(1));
    }
  });

  it("maps a stack's resources by physical id (--stack) and fails a template that drops the only rule to a busy group", async () => {
    const api = {
      Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      Properties: { Name: 'api', Port: 80, Protocol: 'HTTP', VpcId: shop.vpcId },
    };
    const apiRule = {
      Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
      Properties: {
        ListenerArn: shop.listenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Api' } }],
      },
    };
    const cfn = new CloudFormationClient(motoClientConfig());
    try {
      await cfn.send(
        new CreateStackCommand({
          StackName: 'shop-api',
          TemplateBody: JSON.stringify({ Resources: { Api: api, ApiRule: apiRule } }),
        }),
      );
      const listed = await cfn.send(new ListStackResourcesCommand({ StackName: 'shop-api' }));
      const apiArn =
        listed.StackResourceSummaries?.find((r) => r.LogicalResourceId === 'Api')?.PhysicalResourceId ?? '';
      await clients.elbv2.send(
        new RegisterTargetsCommand({ TargetGroupArn: apiArn, Targets: a().map((Id) => ({ Id, Port: 80 })) }),
      );
    } finally {
      cfn.destroy();
    }
    // The same stack restated passes; without the rule, /api/* traffic would fall to the default action.
    const same = await verifyPlan(
      '--plan',
      write('api-same.json', { Resources: { Api: api, ApiRule: apiRule } }),
      '--stack',
      'shop-api',
    );
    expect(findingsOf(same.doc)).toEqual([]);
    expect(same.doc.services[0]?.stacks[0]?.stackExists).toBe(true);
    expect(same.code).toBe(0);
    const dropped = await verifyPlan(
      '--plan',
      write('api-dropped.json', { Resources: { Api: api } }),
      '--stack',
      'shop-api',
    );
    expect(findingsOf(dropped.doc)).toEqual(['route-removed api']);
    expect(dropped.code).toBe(1);
  });

  it('refuses a --plan that names nothing, as a usage error (exit 2)', async () => {
    const run = await runCli(['verify', 'shop', '--plan', 'nope.json'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--plan nope.json: no such file or directory, and not a change set ARN/);
  });
});
