import { hashSnapshot } from '../../lib/snapshot.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { spin, withServices } from '../context.ts';
import { EXIT } from '../exit.ts';
import { observeService, type ServiceObservation } from '../observe.ts';
import type { Renderer } from '../render.ts';
import {
  type DiagnosisView,
  type DriftView,
  type IncidentView,
  indent,
  type LastGoodView,
  type RouteView,
  renderApproval,
  renderDiagnosis,
  renderDrift,
  renderRoutes,
  toDiagnosisView,
  toDriftView,
  toIncidentView,
  toLastGoodView,
  toRouteViews,
} from '../views.ts';

/** The `--json` shape of one service in `lbguard status`. */
export interface ServiceStatus {
  readonly service: string;
  readonly loadBalancerArn: string;
  readonly at: string;
  readonly snapshotHash: string;
  readonly lastGood: LastGoodView | null;
  readonly openIncident: IncidentView | null;
  readonly diagnosis: DiagnosisView;
  readonly drift: readonly DriftView[];
  readonly routes: readonly RouteView[];
}

export function toServiceStatus(o: ServiceObservation): ServiceStatus {
  return {
    service: o.service.name,
    loadBalancerArn: o.service.loadBalancerArn,
    at: o.at,
    snapshotHash: hashSnapshot(o.state.snapshot),
    lastGood: toLastGoodView(o.lastGood),
    openIncident: toIncidentView(o.openIncident),
    diagnosis: toDiagnosisView(o.diagnosis),
    drift: o.diagnosis.drift.map(toDriftView),
    routes: toRouteViews(o.state.snapshot, o.state.health, o.signals.servedBy),
  };
}

export function renderServiceStatus(render: Renderer, s: ServiceStatus): string {
  const lastGood =
    s.lastGood === null
      ? render.paint('warn', 'none recorded (lbguard snapshot --promote)')
      : `${s.lastGood.hash.slice(0, 12)} promoted ${s.lastGood.promotedAt} (${s.lastGood.reason})`;
  const incident =
    s.openIncident === null
      ? 'none'
      : render.paint(
          'bad',
          `${s.openIncident.id} (${s.openIncident.state} since ${s.openIncident.updatedAt})`,
        );
  return [
    `${render.paint('bold', `service ${s.service}`)}  ${render.paint('dim', s.loadBalancerArn)}`,
    `  config ${s.snapshotHash.slice(0, 12)}; last known good: ${lastGood}`,
    `  open incident: ${incident}`,
    ...(s.openIncident?.approval ? [indent(renderApproval(render, s.openIncident.approval, s.at))] : []),
    '',
    indent(renderRoutes(render, s.routes)),
    '',
    indent(renderDrift(render, s.drift)),
    indent(renderDiagnosis(render, s.diagnosis)),
  ].join('\n');
}

/**
 * `lbguard status [--service NAME]`: per listener and rule, where traffic goes and how healthy
 * it is, drift, the open incident and the diagnosis. Exit 1 unless every service is healthy.
 * With `--fleet`, the same for every tagged load balancer of the fleet (cli/fleet/); with
 * `--fleet --hub`, the fleet as the hub table holds it (cli/fleet/hub-status.ts).
 */
export async function status(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.options.hub) return (await import('../fleet/hub-status.ts')).statusHub(ctx);
  if (ctx.options.fleet) return (await import('../fleet/commands.ts')).statusFleet(ctx);
  const { io, render } = ctx;
  return withServices(ctx, async ({ config, services, aws }) => {
    const at = io.now();
    const observed = await spin(io, 'reading load balancer and state', () =>
      Promise.all(services.map((s) => observeService(aws, config, s, at))),
    );
    const statuses = observed.map(toServiceStatus);
    const exitCode = statuses.every((s) => s.diagnosis.cause === 'healthy') ? EXIT.ok : EXIT.findings;
    return {
      exitCode,
      document: envelope('status', exitCode, { services: statuses }),
      text: statuses.map((s) => renderServiceStatus(render, s)).join('\n\n'),
    };
  });
}
