import type { ServiceConfig } from '../../lib/config/index.ts';
import {
  type CfnTemplate,
  declaresRouting,
  judgePlan,
  type LiveState,
  type PlanVerdict,
  ROUTING_TYPES,
} from '../../lib/predict.ts';
import type { PlanSources } from '../adapters/cloudformation-plans.ts';
import type { LoadBalancerReader } from '../adapters/elbv2/ports.ts';

// The predictive pre-deploy gate (`lbguard verify --plan`, issue 17): read the live load
// balancer and what CloudFormation knows of each stack, and let lib/predict.ts judge each
// planned template. Reads only. Shared by the CLI and the drill.

/** One stack's template to be deployed, as the caller loaded it. */
export interface PlannedStack {
  /** How the output names it: a file, `cdk.out/Shop.template.json (stack shop-prod)`, a change set. */
  readonly label: string;
  /** When known, the stack's physical ids map the template's resources and show what it deletes. */
  readonly stackName?: string;
  readonly template: CfnTemplate;
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface StackVerdict {
  readonly label: string;
  readonly stackName: string | null;
  /** Whether the stack exists now (its resources were read); null when no stack name was known. */
  readonly stackExists: boolean | null;
  readonly verdict: PlanVerdict;
}

export interface PlanGateResult {
  readonly service: string;
  readonly ok: boolean;
  readonly stacks: readonly StackVerdict[];
}

export interface PlanGateDeps {
  readonly reader: LoadBalancerReader;
  readonly sources: PlanSources;
  /** ARNs of the target groups with these names that exist (elbv2/target-group-names.ts). */
  readonly groupArnsByName: (names: readonly string[]) => Promise<readonly string[]>;
}

/**
 * Judges every planned stack against one service's live load balancer (all its listeners: a
 * template may declare any of them). A stack that declares no routing and owns none now is left out.
 */
export async function gatePlan(
  service: Pick<ServiceConfig, 'name' | 'loadBalancerArn'>,
  plans: readonly PlannedStack[],
  deps: PlanGateDeps,
): Promise<PlanGateResult> {
  const state = await deps.reader.readSnapshot(service.loadBalancerArn);
  const [, region, accountId] =
    /^arn:[^:]+:elasticloadbalancing:([^:]+):(\d+):/.exec(service.loadBalancerArn) ?? [];
  let exports: ReadonlyMap<string, string> | undefined;
  const stacks: StackVerdict[] = [];
  for (const plan of plans) {
    const stackResources =
      plan.stackName === undefined ? undefined : await deps.sources.stackResources(plan.stackName);
    const ownsRouting = stackResources?.some((r) => ROUTING_TYPES.has(r.type)) === true;
    if (!declaresRouting(plan.template) && !ownsRouting) continue;
    if (exports === undefined && JSON.stringify(plan.template).includes('Fn::ImportValue'))
      exports = await deps.sources.exports();
    const context = {
      ...(plan.parameters === undefined ? {} : { parameters: plan.parameters }),
      ...(stackResources === undefined ? {} : { stackResources }),
      ...(exports === undefined ? {} : { exports }),
      ...(region === undefined ? {} : { region }),
      ...(accountId === undefined ? {} : { accountId }),
      ...(plan.stackName === undefined ? {} : { stackName: plan.stackName }),
    };
    let live: LiveState = { snapshot: state.snapshot, health: state.health };
    let verdict = judgePlan({ template: plan.template, context, live });
    if (verdict.kind === 'needs-groups') {
      const named =
        verdict.targetGroupNames.length === 0 ? [] : await deps.groupArnsByName(verdict.targetGroupNames);
      const described = await deps.reader.describeTargetGroups([...verdict.targetGroupArns, ...named]);
      live = { ...live, health: [...live.health, ...described.health], otherGroups: described.groups };
      verdict = judgePlan({ template: plan.template, context, live, groupsRead: true });
    }
    stacks.push({
      label: plan.label,
      stackName: plan.stackName ?? null,
      stackExists: plan.stackName === undefined ? null : stackResources !== undefined,
      verdict,
    });
  }
  return { service: service.name, ok: stacks.every((s) => s.verdict.ok), stacks };
}
