import type { CfnTemplate } from '../../lib/predict.ts';
import type { Scenario, ScenarioContext } from './types.ts';

// Prevention: the seed outage's deploy expressed as the template a pipeline would deploy, checked
// by the predictive gate before it is applied. Guarded, the gate exits 1 and the pipeline stops;
// unguarded, the same deploy goes out and the outage happens.

/** What the seed deploy does: the listener's weights, and the targets each group keeps. */
interface SeedDeploy {
  readonly weights: Readonly<Record<string, number>>;
  readonly keep: Readonly<Record<string, readonly string[]>>;
}

function seedDeploy(ctx: ScenarioContext): SeedDeploy {
  const ids = (group: string) => ctx.instances(group).map((i) => i.instanceId);
  return { weights: { 'web-a': 100, 'web-b': 0 }, keep: { 'web-a': ids('web-a').slice(0, 1), 'web-b': [] } };
}

/** The deploy as its stack's template declares it: the shop's listener and both groups, with their Targets. */
export function seedTemplate(ctx: ScenarioContext, deploy: SeedDeploy): CfnTemplate {
  const control = ctx.world.control;
  const logical = (group: string) =>
    group.replace(/(^|-)(\w)/g, (_, _dash: string, c: string) => c.toUpperCase());
  const groups = Object.fromEntries(
    Object.entries(deploy.keep).map(([name, ids]) => [
      logical(name),
      {
        Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
        Properties: {
          Name: name,
          Port: 80,
          Protocol: 'HTTP',
          Targets: ids.map((Id) => ({ Id, Port: 80 })),
        },
      },
    ]),
  );
  return {
    Parameters: { LoadBalancerArn: { Default: control.loadBalancerArn } },
    Resources: {
      ...groups,
      Listener: {
        Type: 'AWS::ElasticLoadBalancingV2::Listener',
        Properties: {
          LoadBalancerArn: { Ref: 'LoadBalancerArn' },
          Port: control.listenerPort,
          Protocol: 'HTTP',
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: Object.entries(deploy.weights).map(([name, Weight]) => ({
                  TargetGroupArn: { Ref: logical(name) },
                  Weight,
                })),
              },
            },
          ],
        },
      },
    },
  };
}

/** The same deploy applied through the API, as CloudFormation's update would make the calls. */
async function applySeedDeploy(ctx: ScenarioContext, deploy: SeedDeploy): Promise<void> {
  await ctx.deploy.forward(deploy.weights);
  for (const [group, kept] of Object.entries(deploy.keep)) {
    const gone = ctx
      .instances(group)
      .map((i) => i.instanceId)
      .filter((id) => !kept.includes(id));
    if (gone.length > 0) await ctx.deploy.deregister(group, gone);
  }
}

/** The seed outage's deploy, stopped before it lands by `lbguard verify --plan`. */
export const gateStopsSeed: Scenario = {
  name: 'gate-stops-seed',
  title: 'The pre-deploy gate stops the seed outage’s deploy',
  story:
    "The pipeline is about to deploy the seed outage's change as a template: listener 100/0 to web-a, web-a down to one target, web-b emptied. Guarded, lbguard verify --plan predicts the one target left carrying all traffic under live health, exits 1, and the deploy never runs: no customer request fails. Unguarded, the deploy goes out and the outage happens.",
  async inject(ctx) {
    const deploy = seedDeploy(ctx);
    const template = seedTemplate(ctx, deploy);
    if (ctx.planGate !== undefined) {
      const result = await ctx.planGate(template, 'shop-edge.template.json');
      const findings = result.stacks.flatMap((s) =>
        s.verdict.kind === 'predicted' ? s.verdict.findings : [],
      );
      if (!result.ok) {
        const first = findings[0];
        ctx.mark(
          'note',
          `lbguard verify --plan: exit 1 (${first === undefined ? 'cannot predict' : `${first.kind}: ${first.why}`}); the pipeline stops, the deploy is not applied`,
        );
        return;
      }
      ctx.mark('note', 'lbguard verify --plan: exit 0; deploying');
    }
    ctx.mark('fault', 'deploy-pipeline: listener 100/0 to web-a; 3 of 4 targets deregistered');
    await applySeedDeploy(ctx, deploy);
  },
  observeMs: 15_000,
  expect: {
    incident: 'none',
    writes: 'none',
    recovered: true,
    // Not one customer request fails: the deploy that would have failed them never ran.
    maxFailureRate: 0,
  },
  compareUnguardedByDefault: true,
};
