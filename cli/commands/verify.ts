import { verifyDeployment } from '../../lambdas/flows/verify.ts';
import type { VerifyFinding } from '../../lib/verification.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { spin, withServices } from '../context.ts';
import { EXIT } from '../exit.ts';
import { describeLintFailure, renderVerifyLint, type ServiceLint } from '../lint-views.ts';
import type { Renderer } from '../render.ts';
import { createCliRuntime } from '../runtime.ts';
import { causeTone } from '../views.ts';
import { lintServices } from './lint.ts';

function renderFindings(
  render: Renderer,
  inspectOk: boolean,
  findings: readonly VerifyFinding[],
  lint: readonly ServiceLint[],
): string {
  const lines = findings.flatMap((f) => [
    render.mark(
      f.ok ? 'ok' : 'bad',
      `${render.paint('bold', f.service)}: ${render.paint(causeTone(f.cause), f.cause)} — ${f.summary}`,
    ),
    ...(f.ok ? [] : f.evidence.map((e) => `    ${render.paint('dim', '•')} ${e}`)),
  ]);
  lines.push(renderVerifyLint(render, lint), '');
  const lintFailure = describeLintFailure(lint);
  if (!inspectOk) {
    lines.push(
      'verify FAILED: the load balancer configuration would break traffic. See lbguard status; lbguard restore shows the fix.',
    );
  }
  if (lintFailure !== undefined) {
    lines.push(
      `verify FAILED: ${lintFailure}. See lbguard lint; docs/lint-rules.md says how to fix each rule.`,
    );
  }
  if (inspectOk && lintFailure === undefined) {
    lines.push('verify passed: routing is balanced and the load balancer is not at fault.');
  }
  return lines.join('\n');
}

/**
 * `lbguard verify [--service NAME]`: the post-deployment gate. Runs the inspect function's own
 * deployment verification (lambdas/flows/verify.ts) (read only: no incident, no promotion) and the configuration linter. Exit 0 when
 * routing is balanced and healthy and no lint rule reports an error (warnings are allowed), 1
 * with the findings otherwise.
 */
export async function verify(ctx: CommandContext): Promise<CommandResult> {
  const { io, global, options, render } = ctx;
  return withServices(ctx, async ({ config, services, aws }) => {
    const deps = createCliRuntime(aws, config, io, global.debug).inspectDeps;
    const [outcome, lint] = await spin(io, 'verifying', () =>
      Promise.all([
        verifyDeployment(
          { kind: 'verify', ...(options.service === undefined ? {} : { service: options.service }) },
          deps,
        ),
        lintServices(aws, services),
      ]),
    );
    const ok = outcome.ok && describeLintFailure(lint) === undefined;
    const exitCode = ok ? EXIT.ok : EXIT.findings;
    return {
      exitCode,
      document: envelope('verify', exitCode, { findings: outcome.findings, lint }),
      text: renderFindings(render, outcome.ok, outcome.findings, lint),
    };
  });
}
