/**
 * `lbguard status --fleet --hub`: the fleet as the hub table holds it (docs/fleet.md "From the
 * hub"), read in the hub account with the caller's own credentials; no role is assumed and no
 * spoke is asked. Loaded by status.ts only with `--hub`.
 */
import { createDynamoDbClient } from '../../lambdas/adapters/clients.ts';
import { readHubItems } from '../../lib/fleet/hub-items.ts';
import { type HubServiceStatus, type HubStatus, summariseHub } from '../../lib/fleet/hub-status.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { loadConfig, resolveEndpoint, resolveRegion, spin } from '../context.ts';
import { EXIT, usageError } from '../exit.ts';
import type { Renderer } from '../render.ts';
import { DynamoDbHubTableReader, type HubTableReader } from './hub-table.ts';

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `95` → `1m35s ago`: how long since, as an on-call reads it. */
export function ago(seconds: number): string {
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s ago`;
  if (seconds < 172_800)
    return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

function serviceLine(render: Renderer, s: HubServiceStatus): string {
  const where = `${s.account} ${s.region}`;
  const name = render.paint('bold', s.service);
  const transition =
    s.lastTransition === undefined
      ? ''
      : render.paint(
          'dim',
          `; last transition ${s.lastTransition.incidentId} ${s.lastTransition.from}→${s.lastTransition.to} at ${s.lastTransition.at}`,
        );
  switch (s.status) {
    case 'unreported':
      return render.mark('warn', `${where}  ${name}  in no recent heartbeat${transition}`);
    case 'failed':
      return render.mark(
        'bad',
        `${where}  ${name}  inspection failed (the guard is blind to it)${transition}`,
      );
    case 'inspected': {
      const incident =
        s.incidentState === undefined || s.incidentState === 'ok'
          ? 'no incident'
          : `incident ${s.incidentState}`;
      return render.mark(
        s.healthy ? 'ok' : s.diagnosis === 'healthy' ? 'warn' : 'bad',
        `${where}  ${name}  ${s.diagnosis ?? 'no diagnosis'}, ${incident}${transition}`,
      );
    }
  }
}

/**
 * The text: one line per spoke (account and region: heartbeat age, guarded and refused counts,
 * each refusal beneath), one per service, then the coverage check's uncovered load balancers and
 * unreadable scopes, and a summary line.
 */
export function renderHubStatus(render: Renderer, table: string, h: HubStatus): string {
  const lines: string[] = [];
  const coverage =
    h.coverage === null
      ? render.paint('bad', 'the coverage check has never run')
      : `coverage checked ${ago(h.coverage.ageSeconds)} over ${plural(h.coverage.scopes, 'account/region')}${h.coverage.stale ? render.paint('bad', ` (stale: more than ${h.coverageMinutes} min)`) : ''}`;
  lines.push(`${render.paint('bold', `hub table ${table}`)}  ${coverage}`, '');
  if (h.spokes.length === 0) lines.push(render.mark('warn', 'no spoke has sent a heartbeat'));
  for (const s of h.spokes) {
    const heartbeat = `heartbeat ${ago(s.ageSeconds)}${s.stale ? render.paint('bad', ` (stale: more than ${h.coverageMinutes} min)`) : ''}`;
    const refused = s.refused.length === 0 ? '0 refused' : render.paint('bad', `${s.refused.length} refused`);
    lines.push(
      render.mark(
        s.stale ? 'bad' : s.refused.length > 0 ? 'warn' : 'ok',
        `${render.paint('bold', `${s.account} ${s.region}`)}  ${heartbeat}, ${s.guarded} guarded, ${refused}  ${render.paint('dim', `lbguard ${s.lbguardVersion}`)}`,
      ),
    );
    for (const r of s.refused) lines.push(`    ${r.loadBalancerArn}: ${r.message} (${r.code})`);
  }
  if (h.services.length > 0) lines.push('');
  for (const s of h.services) lines.push(serviceLine(render, s));
  if (h.uncovered.length + h.unreadable.length > 0) lines.push('', render.paint('bold', 'uncovered'));
  for (const u of h.uncovered) {
    lines.push(
      render.mark('bad', `${u.account} ${u.region}  ${render.paint('bold', u.loadBalancer)}  ${u.reason}`),
    );
  }
  for (const u of h.unreadable) {
    lines.push(render.mark('bad', `${u.account} ${u.region}  (unreadable)  ${u.error}`));
  }
  if (h.malformed.length > 0) {
    lines.push(
      '',
      render.mark(
        'warn',
        `${plural(h.malformed.length, 'hub item')} not in the hub layout, left out: ${h.malformed.join(', ')}`,
      ),
    );
  }
  const unhealthy = h.services.filter((s) => !s.healthy).length;
  lines.push(
    '',
    `hub: ${plural(h.spokes.length, 'spoke')}, ${plural(h.services.length, 'service')}${unhealthy === 0 ? '' : ` (${unhealthy} not healthy)`}, ${h.uncovered.length + h.unreadable.length} uncovered`,
  );
  return lines.join('\n');
}

/**
 * Exit 0 when every load balancer is covered and healthy and every spoke heard from recently, 1
 * otherwise; a hub table that cannot be read is an AWS error (exit 3), thrown by the reader.
 */
export async function statusHub(
  ctx: CommandContext,
  readerFor: (
    tableName: string,
    region: string | undefined,
    endpoint: string | undefined,
  ) => HubTableReader = (tableName, region, endpoint) =>
    new DynamoDbHubTableReader(
      createDynamoDbClient({
        maxAttempts: 2,
        requestTimeoutMs: 15_000,
        ...(region === undefined ? {} : { region }),
        ...(endpoint === undefined ? {} : { endpoint }),
      }),
      tableName,
    ),
): Promise<CommandResult> {
  const { io, global, render } = ctx;
  if (ctx.options.service !== undefined) {
    throw usageError(
      '--service does not go with --fleet --hub',
      'the hub lists every service it has heard of',
    );
  }
  const config = await loadConfig(io, global);
  const hub = config.fleet?.hub;
  if (hub === undefined) {
    throw usageError(
      '--hub needs a fleet.hub section in the config',
      'add fleet: { ..., hub: { organizationId or accounts } } (docs/fleet.md "Hub")',
    );
  }
  const table = ctx.options.hubTable ?? '';
  if (global.profile !== undefined) io.env.AWS_PROFILE = global.profile;
  const endpoint = resolveEndpoint(global, io);
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw usageError(`--endpoint-url ${endpoint} is not a URL`, 'e.g. --endpoint-url http://127.0.0.1:5000');
  }
  const reader = readerFor(table, resolveRegion(global, config, io), endpoint);
  const items = await spin(io, 'reading the hub table', () => reader.readAll());
  const status = summariseHub(
    readHubItems(items, new Date(io.now())),
    new Date(io.now()),
    hub.coverageMinutes,
  );
  const exitCode = status.healthy ? EXIT.ok : EXIT.findings;
  return {
    exitCode,
    document: envelope('status', exitCode, { hub: { table, ...status } }),
    text: renderHubStatus(render, table, status),
  };
}
