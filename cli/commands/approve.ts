import { hostname } from 'node:os';
import type { Context } from 'aws-lambda';
import { createPowertoolsApplyOnce } from '../../lambdas/adapters/apply-once.ts';
import { StsCallerIdentity } from '../../lambdas/adapters/caller-identity.ts';
import { LambdaRemediationInvoker } from '../../lambdas/adapters/lambda-handoff.ts';
import { recordApproval } from '../../lambdas/flows/approval.ts';
import { LOCK_SLACK_SECONDS, type RemediateOutcome, remediate } from '../../lambdas/flows/remediate.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { spin, withServices } from '../context.ts';
import { EXIT, usageError } from '../exit.ts';
import { createCliRuntime } from '../runtime.ts';

/** The `--json` shape of `lbguard approve`. */
export interface ApproveView {
  readonly service: string;
  readonly planHash: string;
  readonly approvedBy: string | null;
  /** `recorded`, `already-approved` (by someone else: handed off again) or `refused`. */
  readonly outcome: 'recorded' | 'already-approved' | 'refused';
  readonly incidentId: string | null;
  /** Where the approval went: the deployed remediate function, or this process. */
  readonly handedTo: string | null;
  /** Remediate's own outcome when it ran here; null when handed off or refused. */
  readonly remediation: RemediateOutcome | null;
  readonly detail: readonly string[];
}

/**
 * `lbguard approve SERVICE PLAN_HASH`: records the caller's approval (their STS identity) of the
 * plan awaiting approval on SERVICE's open incident, then hands the incident to remediate: the
 * deployed function when `LBGUARD_REMEDIATE_FUNCTION` names it (the stack output
 * RemediateFunctionName), else remediate's own flow in this process, as `restore --apply` does.
 * Remediate applies only an approval that is unexpired and whose snapshot is still live.
 */
export async function approve(ctx: CommandContext): Promise<CommandResult> {
  const { io, render } = ctx;
  const [name = '', given = ''] = ctx.positionals;
  if (!/^[0-9a-f]{12,64}$/.test(given)) {
    throw usageError(
      `${given} is not a plan hash`,
      'copy it from the notification: lbguard approve SERVICE PLAN_HASH (64 hex characters, or the first 12 at least)',
    );
  }
  return withServices(
    { ...ctx, options: { ...ctx.options, service: name } },
    async ({ config, services, aws }) => {
      const service = services[0];
      if (service === undefined) throw usageError(`unknown service ${name}`);
      if (service.remediation.mode !== 'approve') {
        throw usageError(
          `remediation.mode is ${service.remediation.mode} for ${name}: nothing waits for approval`,
          'set remediation.mode: approve in the config, or use lbguard restore --apply for a one-off restore',
        );
      }
      const approver = await new StsCallerIdentity(aws.clients.sns.config).whoAmI();
      const recorded = await recordApproval({ service: name, given, approver, at: io.now() }, aws.store);
      const base = { service: name, planHash: given, approvedBy: approver };
      if (recorded.kind === 'refused') {
        const view: ApproveView = {
          ...base,
          outcome: 'refused',
          incidentId: null,
          handedTo: null,
          remediation: null,
          detail: [recorded.reason, recorded.hint],
        };
        return result(view, EXIT.findings);
      }
      const outcome = recorded.alreadyBy === undefined ? 'recorded' : 'already-approved';
      const said =
        recorded.alreadyBy === undefined
          ? `approved by ${approver}`
          : `already approved by ${recorded.alreadyBy}`;
      const fn = io.env.LBGUARD_REMEDIATE_FUNCTION;
      if (fn !== undefined && fn !== '') {
        await new LambdaRemediationInvoker(aws.clients.sns.config, fn).invoke(recorded.request);
        const view: ApproveView = {
          ...base,
          outcome,
          incidentId: recorded.incident.id,
          handedTo: fn,
          remediation: null,
          detail: [said, `handed to ${fn}; follow it with lbguard incidents --service ${name}`],
        };
        return result(view, EXIT.ok);
      }
      const cli = createCliRuntime(aws, config, io, ctx.global.debug);
      const applyOnce = createPowertoolsApplyOnce({
        dynamodb: aws.clients.dynamodb,
        tableName: aws.tableName,
      });
      // No invocation deadline outside Lambda: the CLI's own bound, as restore --apply gives it.
      const budgetMs = (service.remediation.verifyDeadlineSeconds + LOCK_SLACK_SECONDS) * 1000;
      const started = Date.now();
      applyOnce.registerContext?.({
        getRemainingTimeInMillis: () => Math.max(0, budgetMs - (Date.now() - started)),
      } as unknown as Context);
      const ran = await spin(io, `remediating ${name} (lock, re-check, apply, verify)`, () =>
        remediate(
          recorded.request,
          cli.remediateDeps({ applyOnce, lockOwner: `lbguard-cli:${io.user}@${hostname()}:${process.pid}` }),
        ),
      );
      const view: ApproveView = {
        ...base,
        outcome,
        incidentId: recorded.incident.id,
        handedTo: 'this process (LBGUARD_REMEDIATE_FUNCTION is not set)',
        remediation: ran,
        detail: [said, `remediate: ${ran.outcome}`],
      };
      return result(view, ran.outcome === 'resolved' ? EXIT.ok : EXIT.findings);
    },
  );

  function result(view: ApproveView, exitCode: typeof EXIT.ok | typeof EXIT.findings): CommandResult {
    const tone = exitCode === EXIT.ok ? 'ok' : 'bad';
    const text = [
      render.paint('bold', `service ${view.service}`),
      `  ${render.mark(tone, `approve ${view.planHash.slice(0, 12)}: ${view.outcome}`)}`,
      ...view.detail.map((d) => `    ${d}`),
    ].join('\n');
    return { exitCode, document: envelope('approve', exitCode, view), text };
  }
}
