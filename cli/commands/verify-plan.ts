import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { awsClientConfig } from '../../lambdas/adapters/clients.ts';
import { CloudFormationPlanSources } from '../../lambdas/adapters/cloudformation-plans.ts';
import { targetGroupArnsByName } from '../../lambdas/adapters/elbv2/target-group-names.ts';
import { gatePlan, type PlanGateResult } from '../../lambdas/flows/plan-gate.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { spin, withServices } from '../context.ts';
import { EXIT } from '../exit.ts';
import { classifyPlanInput, loadPlannedStacks } from '../plan-input.ts';
import { renderPlanGate } from '../plan-views.ts';

/**
 * `lbguard verify [SERVICE] --plan <cdk.out | template | change set ARN> [--stack NAME]`: the
 * predictive pre-deploy gate (lib/predict.ts). Exit 0 when, under live health, the deploy keeps
 * traffic spread; 1 when it would concentrate it, or when it cannot be predicted (the gate's
 * "cannot decide", like verify's health unknown: never a pass). Reads ELBv2 and CloudFormation only.
 */
export async function verifyPlan(ctx: CommandContext, plan: string): Promise<CommandResult> {
  const { io, options, render } = ctx;
  const input = await classifyPlanInput(plan, io.cwd, options.stack);
  return withServices(
    ctx,
    async ({ services, aws }) => {
      const cloudformation = new CloudFormationClient(awsClientConfig(aws.clientOptions));
      try {
        const sources = new CloudFormationPlanSources(cloudformation);
        const results: PlanGateResult[] = await spin(io, 'predicting', async () => {
          const stacks = await loadPlannedStacks(input, sources);
          const deps = {
            reader: aws.reader,
            sources,
            groupArnsByName: (names: readonly string[]) => targetGroupArnsByName(aws.clients.elbv2, names),
          };
          return Promise.all(services.map((s) => gatePlan(s, stacks, deps)));
        });
        const ok = results.every((r) => r.ok);
        const exitCode = ok ? EXIT.ok : EXIT.findings;
        return {
          exitCode,
          document: envelope('verify', exitCode, {
            plan: { input: input.kind, given: plan },
            services: results,
          }),
          text: renderPlanGate(render, results),
        };
      } finally {
        cloudformation.destroy();
      }
    },
    { stateTable: false },
  );
}
