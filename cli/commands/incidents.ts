import type { Incident } from '../../lib/incident.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { spin, withServices } from '../context.ts';
import { EXIT } from '../exit.ts';
import type { Renderer } from '../render.ts';
import { type ApprovalView, indent, renderApproval, toApprovalView } from '../views.ts';

/** How many incidents per service the list shows, newest first. */
export const INCIDENT_LIST_LIMIT = 20;

/** The `--json` shape of one incident in `lbguard incidents`. */
export interface IncidentSummary {
  readonly id: string;
  readonly service: string;
  readonly state: Incident['state'];
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
  readonly cause: string | null;
  readonly summary: string | null;
  readonly planHash: string | null;
  /** Approve mode: the plan awaiting approval (or approved), with the command; null when none. */
  readonly approval: ApprovalView | null;
}

export function summariseIncident(i: Incident): IncidentSummary {
  return {
    id: i.id,
    service: i.service,
    state: i.state,
    openedAt: i.openedAt,
    updatedAt: i.updatedAt,
    closedAt: i.closedAt ?? null,
    cause: i.diagnosis?.cause ?? null,
    summary: i.diagnosis?.summary ?? null,
    planHash: i.planHash ?? null,
    approval: toApprovalView(i),
  };
}

function stateTone(state: Incident['state']): 'ok' | 'warn' | 'bad' | 'dim' {
  switch (state) {
    case 'resolved':
    case 'ok':
      return 'ok';
    case 'suspected':
    case 'mitigating':
    case 'verifying':
      return 'warn';
    case 'confirmed':
    case 'escalated':
      return 'bad';
  }
}

export function renderIncidents(
  render: Renderer,
  services: readonly { readonly service: string; readonly incidents: readonly IncidentSummary[] }[],
  now: string = new Date().toISOString(),
): string {
  return services
    .map(({ service, incidents }) => {
      const head = render.paint('bold', `service ${service}`);
      if (incidents.length === 0) return `${head}\n  no incidents recorded`;
      const rows = incidents.map((i) => [
        i.id,
        render.paint(stateTone(i.state), i.state),
        i.openedAt,
        i.closedAt ?? render.paint('warn', 'open'),
        i.cause ?? '-',
      ]);
      // Only open incidents' requests are news; a closed incident's request is history.
      const asked = incidents.flatMap((i) =>
        i.approval === null || i.closedAt !== null
          ? []
          : [`${i.id}: ${renderApproval(render, i.approval, now)}`],
      );
      const table = render.table(['ID', 'STATE', 'OPENED', 'CLOSED', 'CAUSE'], rows);
      return [head, table, ...asked.map((a) => indent(a))].join('\n');
    })
    .concat('', 'Draft a postmortem: lbguard postmortem ID [--out FILE]')
    .join('\n');
}

/** `lbguard incidents [--service NAME]`: recent incidents per service, newest first. */
export async function incidents(ctx: CommandContext): Promise<CommandResult> {
  const { io, render } = ctx;
  return withServices(ctx, async ({ services, aws }) => {
    const listed = await spin(io, 'reading incidents', () =>
      Promise.all(
        services.map(async (s) => ({
          service: s.name,
          incidents: (await aws.store.listIncidents(s.name, INCIDENT_LIST_LIMIT)).map(summariseIncident),
        })),
      ),
    );
    return {
      exitCode: EXIT.ok,
      document: envelope('incidents', EXIT.ok, { services: listed }),
      text: renderIncidents(render, listed, io.now()),
    };
  });
}
