import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderPostmortem } from '../../lib/postmortem.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { createAwsContext, loadOptionalConfig, requireStateTable } from '../context.ts';
import { EXIT, usageError } from '../exit.ts';

/** Incident ids are `<service>#<openedAt>` (lib/incident.ts `newIncidentId`). */
export function serviceOfIncident(id: string): string | undefined {
  const hash = id.indexOf('#');
  return hash > 0 ? id.slice(0, hash) : undefined;
}

/**
 * `lbguard postmortem INCIDENT_ID [--out FILE]`: drafts the postmortem of one incident in the
 * team's shape (lib/postmortem.ts), to stdout or a file.
 */
export async function postmortem(ctx: CommandContext): Promise<CommandResult> {
  const { io, global, options, positionals, render } = ctx;
  const id = positionals[0] ?? '';
  const service = serviceOfIncident(id);
  if (service === undefined) {
    throw usageError(
      `${id} is not an incident id; ids look like shop#2026-11-24T14:02:11.000Z`,
      'list them with: lbguard incidents',
    );
  }
  const config = await loadOptionalConfig(io, global);
  const aws = createAwsContext(io, global, config);
  try {
    await requireStateTable(aws);
    const incident = await aws.store.getIncident(service, id);
    if (incident === undefined) {
      throw usageError(
        `no incident ${id} in table ${aws.tableName}`,
        `list them with: lbguard incidents --service ${service}`,
      );
    }
    const markdown = renderPostmortem(incident);
    if (options.out !== undefined) await writeFile(resolve(io.cwd, options.out), markdown, 'utf8');
    return {
      exitCode: EXIT.ok,
      document: envelope('postmortem', EXIT.ok, {
        incidentId: id,
        service,
        state: incident.state,
        out: options.out ?? null,
        markdown,
      }),
      text:
        options.out === undefined
          ? markdown.trimEnd()
          : render.mark('ok', `postmortem draft of ${id} written to ${options.out}`),
    };
  } finally {
    aws.close();
  }
}
