import {
  type Change,
  type CloudFormationClient,
  DescribeChangeSetCommand,
  GetTemplateCommand,
  paginateListExports,
  paginateListStackResources,
} from '@aws-sdk/client-cloudformation';
import type { ChangeSetChange } from '../../lib/predict/change-set.ts';
import type { StackResource } from '../../lib/predict.ts';

// What the predictive gate reads from CloudFormation (`lbguard verify --plan`): a stack's
// resources now, a change set's proposed template and parameters, and the region's exports.
// For the CLI and the drill only: no Lambda imports this file, so no function bundles the
// CloudFormation client (test/unit/lambdas/footprint.test.ts).

/** A change set as the gate needs it: the template it would deploy, with its parameters. */
export interface ChangeSetPlan {
  readonly stackName: string;
  readonly changeSetName: string;
  readonly status: string;
  /** The template text as CloudFormation stored it (JSON or YAML). */
  readonly templateBody: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** The resource changes DescribeChangeSet lists (first page: enough to check the template read back). */
  readonly changes: readonly ChangeSetChange[];
  /** The stack's template now, for an update; undefined for a change set creating the stack. */
  readonly currentTemplateBody?: string;
}

/** The port: reads only. */
export interface PlanSources {
  /** The stack's resources, or undefined when no such stack exists (a first deploy). */
  stackResources(stackName: string): Promise<readonly StackResource[] | undefined>;
  changeSet(changeSetArn: string): Promise<ChangeSetPlan>;
  exports(): Promise<ReadonlyMap<string, string>>;
}

export class CloudFormationPlanSources implements PlanSources {
  constructor(private readonly client: CloudFormationClient) {}

  async stackResources(stackName: string): Promise<readonly StackResource[] | undefined> {
    const out: StackResource[] = [];
    try {
      for await (const page of paginateListStackResources(
        { client: this.client },
        { StackName: stackName },
      )) {
        for (const r of page.StackResourceSummaries ?? []) {
          if (r.LogicalResourceId === undefined || r.PhysicalResourceId === undefined) continue;
          out.push({
            logicalId: r.LogicalResourceId,
            physicalId: r.PhysicalResourceId,
            type: r.ResourceType ?? '',
          });
        }
      }
    } catch (error) {
      // CloudFormation answers a stack it does not have with a ValidationError "… does not exist".
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message))
        return undefined;
      throw error;
    }
    return out;
  }

  async changeSet(changeSetArn: string): Promise<ChangeSetPlan> {
    const described = await this.client.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetArn }));
    const stackName = described.StackName ?? '';
    // `Original` is the template as submitted (YAML short forms kept); the gate resolves it itself.
    const template = await this.client.send(
      new GetTemplateCommand({
        StackName: stackName,
        ChangeSetName: changeSetArn,
        TemplateStage: 'Original',
      }),
    );
    const current = isUpdate(described.Changes)
      ? await this.client.send(new GetTemplateCommand({ StackName: stackName }))
      : undefined;
    return {
      stackName,
      changeSetName: described.ChangeSetName ?? changeSetArn,
      changes: (described.Changes ?? []).flatMap((c) => {
        const r = c.ResourceChange;
        return r?.LogicalResourceId === undefined
          ? []
          : [{ action: r.Action ?? '', logicalId: r.LogicalResourceId, type: r.ResourceType ?? '' }];
      }),
      ...(current?.TemplateBody === undefined ? {} : { currentTemplateBody: current.TemplateBody }),
      status: described.Status ?? 'UNKNOWN',
      templateBody: template.TemplateBody ?? '',
      parameters: Object.fromEntries(
        (described.Parameters ?? []).flatMap((p) =>
          p.ParameterKey === undefined || p.ParameterValue === undefined
            ? []
            : [[p.ParameterKey, p.ParameterValue]],
        ),
      ),
    };
  }

  async exports(): Promise<ReadonlyMap<string, string>> {
    const out = new Map<string, string>();
    for await (const page of paginateListExports({ client: this.client }, {})) {
      for (const e of page.Exports ?? [])
        if (e.Name !== undefined && e.Value !== undefined) out.set(e.Name, e.Value);
    }
    return out;
  }
}

/** A change set that modifies or removes something updates a stack that has a template now. */
function isUpdate(changes: readonly Change[] | undefined): boolean {
  return (changes ?? []).some(
    (c) => c.ResourceChange?.Action === 'Modify' || c.ResourceChange?.Action === 'Remove',
  );
}
