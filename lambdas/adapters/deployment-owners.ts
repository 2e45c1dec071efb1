import { LbGuardError } from '../../lib/errors.ts';
import {
  CODEDEPLOY_IN_FLIGHT,
  type DeploymentOwner,
  type OwnerLookup,
  type StackOwner,
  stackInFlight,
  targetGroupName,
  type WrittenResources,
} from '../../lib/owners.ts';
import { errorName, isPermanent } from './aws-call.ts';
import { mapBounded } from './map-bounded.ts';
import {
  type CloudFormationApi,
  type CodeDeployApi,
  type LoadBalancerInfo,
  MalformedAnswerError,
} from './owner-apis.ts';

/**
 * Who owns the resources a plan would write, and which owners are in flight (lib/owners.ts). The
 * answer is never "no owner" when a read failed: the lookup says it failed.
 */
export interface DeploymentOwners {
  /** `codeDeployApplications`: the applications to read (the config's); all of them when absent. */
  lookUp(
    written: WrittenResources,
    scope: { readonly codeDeployApplications?: readonly string[] | undefined },
  ): Promise<OwnerLookup>;
}

/** More to read than a lookup may: the config must name the CodeDeploy applications. */
export class OwnerScopeError extends LbGuardError {
  constructor(message: string) {
    super(message);
    this.name = 'OwnerScopeError';
  }
}

/** Calls in flight per lookup: CloudFormation and CodeDeploy allow a few describes a second. */
const LOOKUPS_IN_FLIGHT = 3;
/** Deployment groups read per lookup; beyond, the config must name the applications. */
const MAX_GROUPS = 50;
/** Pages of deployments read per deployment group while none in flight has been seen yet. */
const MAX_DEPLOYMENT_PAGES = 5;

/**
 * Stacks by `DescribeStackResources` with the resource's physical id (its ARN), then
 * `DescribeStacks` for their status; CodeDeploy by the deployment groups whose `loadBalancerInfo`
 * names a target group the plan writes or forwards to (or whose traffic route is a written
 * listener), then their deployments in flight (`ListDeployments` with those statuses). Physical
 * id, not the `aws:cloudformation:*` tags: it finds listeners and rules too, which CloudFormation
 * does not tag, and a tag can be set or removed by anyone allowed `AddTags`. The applications are
 * the config's when it names them, else every one (`ListApplications`, one page), bounded by
 * MAX_GROUPS. `GetDeploymentGroup` one by one, not `BatchGetDeploymentGroups`, which moto lacks.
 */
export class AwsDeploymentOwners implements DeploymentOwners {
  readonly #cfn: CloudFormationApi;
  readonly #codedeploy: CodeDeployApi;

  constructor(cfn: CloudFormationApi, codedeploy: CodeDeployApi) {
    this.#cfn = cfn;
    this.#codedeploy = codedeploy;
  }

  async lookUp(
    written: WrittenResources,
    scope: { readonly codeDeployApplications?: readonly string[] | undefined },
  ): Promise<OwnerLookup> {
    try {
      const [stacks, deployments] = await Promise.all([
        this.#stacks(written),
        this.#deployments(written, scope.codeDeployApplications),
      ]);
      const inFlight: DeploymentOwner[] = [
        ...stacks.filter((s) => stackInFlight(s.status)).map((s) => ({ kind: 'stack' as const, ...s })),
        ...deployments,
      ];
      return { kind: 'looked', inFlight, stacks };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Too much to read without the config naming the applications, or an answer lbguard cannot
      // read, is no better on a retry.
      return {
        kind: 'failed',
        error: message,
        permanent:
          isPermanent(error) || error instanceof OwnerScopeError || error instanceof MalformedAnswerError,
      };
    }
  }

  async #stacks(written: WrittenResources): Promise<StackOwner[]> {
    const arns = [...written.listeners, ...written.rules, ...written.targetGroups];
    const found = await mapBounded(arns, LOOKUPS_IN_FLIGHT, (arn) => this.#stackOf(arn));
    const byStack = new Map<string, string[]>();
    arns.forEach((arn, i) => {
      const stack = found[i];
      if (stack !== undefined) byStack.set(stack, [...(byStack.get(stack) ?? []), arn]);
    });
    const owners: StackOwner[] = [];
    for (const [stackName, resources] of byStack) {
      const { StackStatus } = await this.#cfn.describeStack(stackName);
      owners.push({ stackName, status: StackStatus, resources });
    }
    return owners;
  }

  /** The stack holding a physical resource, or undefined when none does. */
  async #stackOf(arn: string): Promise<string | undefined> {
    try {
      const resources = await this.#cfn.describeStackResources({ PhysicalResourceId: arn });
      // AWS answers with every resource of the stack that holds it, all of one stack.
      return resources[0]?.StackName;
    } catch (error) {
      // "Stack for <id> does not exist": no stack holds it (moto says "Stack with id None …").
      const cause = (error as { cause?: unknown }).cause;
      if (errorName(cause) === 'ValidationError' && /does not exist/.test(String(cause))) return undefined;
      throw error;
    }
  }

  async #deployments(
    written: WrittenResources,
    named: readonly string[] | undefined,
  ): Promise<DeploymentOwner[]> {
    if (written.targetGroups.length + written.forwardedTo.length + written.listeners.length === 0) return [];
    const applications = named ?? (await this.#applications());
    const groups = (
      await mapBounded(applications, LOOKUPS_IN_FLIGHT, (application) => this.#groupsOf(application))
    ).flat();
    if (groups.length > MAX_GROUPS) {
      throw new OwnerScopeError(
        `${groups.length} CodeDeploy deployment groups to read, more than ${MAX_GROUPS}: name the applications that deploy behind this load balancer in remediation.codeDeployApplications`,
      );
    }
    const infos = await mapBounded(groups, LOOKUPS_IN_FLIGHT, ({ application, group }) =>
      this.#codedeploy.call('GetDeploymentGroup', {
        applicationName: application,
        deploymentGroupName: group,
      }),
    );
    const owners: DeploymentOwner[] = [];
    for (const [i, { application, group }] of groups.entries()) {
      const balanced = balancedBy(infos[i]?.deploymentGroupInfo.loadBalancerInfo, written);
      if (balanced === undefined) continue;
      for (const deploymentId of await this.#inFlight(application, group)) {
        owners.push({
          kind: 'codedeploy',
          deploymentId,
          application,
          deploymentGroup: group,
          status: 'in progress',
          targetGroups: balanced,
        });
      }
    }
    return owners;
  }

  /** A deployment group's deployments in flight; one is enough to defer, so paging stops there. */
  async #inFlight(application: string, group: string): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    for (let pages = 0; pages < MAX_DEPLOYMENT_PAGES && ids.length === 0; pages++) {
      const out = await this.#codedeploy.call('ListDeployments', {
        applicationName: application,
        deploymentGroupName: group,
        includeOnlyStatuses: CODEDEPLOY_IN_FLIGHT,
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      ids.push(...(out.deployments ?? []));
      // An empty token is the last page too (moto echoes "" back), as the SDK paginators read it.
      nextToken = out.nextToken || undefined;
      if (nextToken === undefined) return ids;
    }
    if (ids.length > 0) return ids;
    throw new OwnerScopeError(
      `CodeDeploy listed more than ${MAX_DEPLOYMENT_PAGES} pages of deployments for ${application}/${group} without one in flight; lbguard cannot tell whether one is`,
    );
  }

  async #applications(): Promise<string[]> {
    const out = await this.#codedeploy.call('ListApplications', {});
    if (out.nextToken) {
      throw new OwnerScopeError(
        'more than one page of CodeDeploy applications: name the applications that deploy behind this load balancer in remediation.codeDeployApplications',
      );
    }
    return out.applications ?? [];
  }

  /** Every page, up to just past MAX_GROUPS: more than that fails the lookup anyway. */
  async #groupsOf(application: string): Promise<{ application: string; group: string }[]> {
    const groups: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.#codedeploy.call('ListDeploymentGroups', {
        applicationName: application,
        ...(nextToken === undefined ? {} : { nextToken }),
      });
      groups.push(...(out.deploymentGroups ?? []));
      nextToken = out.nextToken || undefined;
    } while (nextToken !== undefined && groups.length <= MAX_GROUPS);
    return groups.map((group) => ({ application, group }));
  }
}

/**
 * The written or forwarded-to target groups a deployment group balances (by name, as CodeDeploy
 * names them), or undefined when it balances none of them and routes no written listener.
 */
function balancedBy(info: LoadBalancerInfo, written: WrittenResources): string[] | undefined {
  const pairs = info?.targetGroupPairInfoList ?? [];
  const names = new Set([
    ...(info?.targetGroupInfoList ?? []).map((t) => t.name),
    ...pairs.flatMap((p) => (p.targetGroups ?? []).map((t) => t.name)),
  ]);
  const listeners = new Set(
    pairs.flatMap((p) => [
      ...(p.prodTrafficRoute?.listenerArns ?? []),
      ...(p.testTrafficRoute?.listenerArns ?? []),
    ]),
  );
  const touched = [...new Set([...written.targetGroups, ...written.forwardedTo])];
  const groups = touched.filter((arn) => names.has(targetGroupName(arn)));
  return groups.length > 0 || written.listeners.some((l) => listeners.has(l)) ? groups : undefined;
}
