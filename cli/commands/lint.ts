import type { ServiceConfig } from '../../lib/config/index.ts';
import { lintSnapshot } from '../../lib/lint.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { type AwsContext, spin, withServices } from '../context.ts';
import { EXIT } from '../exit.ts';
import {
  hasLintErrors,
  renderLintVerdict,
  renderServiceLint,
  type ServiceLint,
  toServiceLint,
} from '../lint-views.ts';

/**
 * Reads each service's live load balancer through the lambdas' ELBv2 reader (the listeners the
 * config guards, their rules, target groups and target health) and lints it with `lib/lint`.
 * Health is passed so that draining or unused targets count as gone, as ALB treats them.
 */
export async function lintServices(
  aws: AwsContext,
  services: readonly ServiceConfig[],
): Promise<ServiceLint[]> {
  return Promise.all(
    services.map(async (service) => {
      const state = await aws.reader.readSnapshot(service.loadBalancerArn, service.listenerArns);
      return toServiceLint(service, lintSnapshot(state.snapshot, state.health));
    }),
  );
}

/**
 * `lbguard lint [--service NAME]`: the configuration linter (rules LBG-L*, docs/lint-rules.md)
 * over the live load balancer. Exit 1 when any finding is an error; warnings do not fail it.
 * Reads ELBv2 only, so it needs no state table. With `--org`, over every tagged load balancer of
 * the fleet (cli/fleet/).
 */
export async function lint(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.options.org) return (await import('../fleet/commands.ts')).lintOrg(ctx);
  const { io, render } = ctx;
  return withServices(
    ctx,
    async ({ services, aws }) => {
      const linted = await spin(io, 'reading load balancer', () => lintServices(aws, services));
      const exitCode = hasLintErrors(linted) ? EXIT.findings : EXIT.ok;
      return {
        exitCode,
        document: envelope('lint', exitCode, { services: linted }),
        text: [...linted.map((s) => renderServiceLint(render, s)), renderLintVerdict(linted)].join('\n\n'),
      };
    },
    { stateTable: false },
  );
}
