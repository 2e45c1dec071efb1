/**
 * `lbguard lint --org` and `lbguard status --fleet`: today's lint and status, per service, over
 * every tagged load balancer of the fleet (fan-out.ts). Loaded by lint.ts and status.ts only when
 * the flag is given, so the STS and Organizations clients cost the other commands nothing.
 */
import { lintSnapshot } from '../../lib/lint.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { requireStateTable, spin } from '../context.ts';
import { EXIT, type ExitCode } from '../exit.ts';
import { renderLintFinding, type ServiceLint, toServiceLint } from '../lint-views.ts';
import { observeService } from '../observe.ts';
import {
  type DiagnosisView,
  type IncidentView,
  type LastGoodView,
  toDiagnosisView,
  toIncidentView,
  toLastGoodView,
} from '../views.ts';
import { type FleetReport, fanOut, hasFailures, hasTagErrors } from './fan-out.ts';
import { renderFleet, toFleetView } from './views.ts';
import { withFleet } from './wiring.ts';

/**
 * Exit 3 when any account, region or service could not be read (the report still lists the
 * rest), else 1 on findings or a load balancer whose tags could not be used, else 0.
 */
function fleetExitCode(report: FleetReport<unknown>, findings: boolean): ExitCode {
  if (hasFailures(report)) return EXIT.aws;
  return findings || hasTagErrors(report) ? EXIT.findings : EXIT.ok;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function results<R>(report: FleetReport<R>): R[] {
  return report.scopes.flatMap((s) =>
    s.status === 'read'
      ? s.services.flatMap((x) => (x.outcome.status === 'read' ? [x.outcome.result] : []))
      : [],
  );
}

/** `lbguard lint --org`: the configuration linter over every guarded load balancer of the fleet. */
export async function lintOrg(ctx: CommandContext): Promise<CommandResult> {
  const { io, render } = ctx;
  return withFleet(ctx, '--org', async ({ config, fleet, ports }) => {
    const report = await spin(io, 'reading the fleet', () =>
      fanOut(fleet, { services: config.services, profiles: config.discovery?.profiles ?? {} }, ports, {
        perService: async (aws, service): Promise<ServiceLint> => {
          const state = await aws.reader.readSnapshot(service.loadBalancerArn, service.listenerArns);
          return toServiceLint(service, lintSnapshot(state.snapshot, state.health));
        },
      }),
    );
    const exitCode = fleetExitCode(
      report,
      results(report).some((s) => s.errors > 0),
    );
    return {
      exitCode,
      document: envelope('lint', exitCode, {
        fleet: toFleetView(report, (s) => ({ errors: s.errors, warnings: s.warnings, findings: s.findings })),
      }),
      text: renderFleet(render, report, (s) => ({
        tone: s.errors > 0 ? 'bad' : s.warnings > 0 ? 'warn' : 'ok',
        text:
          s.findings.length === 0
            ? 'no findings'
            : `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}`,
        details: s.findings.map((f) => renderLintFinding(render, f)),
      })),
    };
  });
}

/** One service in `status --fleet --json`: today's status without the per-route tables. */
interface FleetServiceStatus {
  readonly at: string;
  readonly snapshotHash: string;
  readonly lastGood: LastGoodView | null;
  readonly openIncident: IncidentView | null;
  readonly diagnosis: DiagnosisView;
}

/**
 * `lbguard status --fleet`: per account and region, each guarded service's diagnosis and open
 * incident, read from that account's lbguard state table (the spoke must be deployed there).
 */
export async function statusFleet(ctx: CommandContext): Promise<CommandResult> {
  const { io, render } = ctx;
  return withFleet(ctx, '--fleet', async ({ config, fleet, ports }) => {
    const at = io.now();
    const report = await spin(io, 'reading the fleet', () =>
      fanOut(fleet, { services: config.services, profiles: config.discovery?.profiles ?? {} }, ports, {
        prepare: (aws) => requireStateTable(aws),
        perService: async (aws, service): Promise<FleetServiceStatus> => {
          const o = await observeService(aws, config, service, at);
          return {
            at: o.at,
            snapshotHash: hashSnapshot(o.state.snapshot),
            lastGood: toLastGoodView(o.lastGood),
            openIncident: toIncidentView(o.openIncident),
            diagnosis: toDiagnosisView(o.diagnosis),
          };
        },
      }),
    );
    const exitCode = fleetExitCode(
      report,
      results(report).some((s) => s.diagnosis.cause !== 'healthy'),
    );
    return {
      exitCode,
      document: envelope('status', exitCode, { fleet: toFleetView(report, (s) => s) }),
      text: renderFleet(render, report, (s) => ({
        tone: s.diagnosis.cause === 'healthy' ? 'ok' : s.diagnosis.lbFault ? 'bad' : 'warn',
        text: `${s.diagnosis.cause}${s.openIncident === null ? '' : `, incident ${s.openIncident.id} ${s.openIncident.state}`}: ${s.diagnosis.summary}`,
      })),
    };
  });
}
