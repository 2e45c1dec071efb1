import { run as runInspect, type VerifyFinding } from '../../lambdas/inspect/handler.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { createAwsContext, loadConfig, requireStateTable, selectServices, spin } from '../context.ts';
import { EXIT } from '../exit.ts';
import type { Renderer } from '../render.ts';
import { createInspectDeps } from '../runtime.ts';
import { causeTone } from '../views.ts';

function renderFindings(render: Renderer, ok: boolean, findings: readonly VerifyFinding[]): string {
  const lines = findings.flatMap((f) => [
    render.mark(
      f.ok ? 'ok' : 'bad',
      `${render.paint('bold', f.service)}: ${render.paint(causeTone(f.cause), f.cause)} — ${f.summary}`,
    ),
    ...(f.ok ? [] : f.evidence.map((e) => `    ${render.paint('dim', '•')} ${e}`)),
  ]);
  lines.push(
    '',
    ok
      ? 'verify passed: routing is balanced and the load balancer is not at fault.'
      : 'verify FAILED: the load balancer configuration would break traffic. See lbguard status; lbguard restore shows the fix.',
  );
  return lines.join('\n');
}

/**
 * `lbguard verify [--service NAME]`: the post-deployment gate. Runs the inspect function's own
 * verification (read only: no incident, no promotion). Exit 0 when routing is balanced and
 * healthy, 1 with the findings otherwise.
 */
export async function verify(ctx: CommandContext): Promise<CommandResult> {
  const { io, global, options, render } = ctx;
  const config = await loadConfig(io, global);
  // Validates --service with a suggestion before anything is read.
  selectServices(config, options.service);
  const aws = createAwsContext(io, global, config);
  try {
    await requireStateTable(aws);
    const deps = createInspectDeps(aws, config, io, global.debug);
    const outcome = await spin(io, 'verifying', () =>
      runInspect(
        { kind: 'verify', ...(options.service === undefined ? {} : { service: options.service }) },
        deps,
      ),
    );
    if (outcome.kind !== 'verify') throw new Error(`inspect answered a verify request with ${outcome.kind}`);
    const exitCode = outcome.ok ? EXIT.ok : EXIT.findings;
    return {
      exitCode,
      document: envelope('verify', exitCode, { findings: outcome.findings }),
      text: renderFindings(render, outcome.ok, outcome.findings),
    };
  } finally {
    aws.close();
  }
}
