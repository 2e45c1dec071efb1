import { approveCommand } from '../lib/approval.ts';
/**
 * The stable `--json` shapes (documented in docs/cli.md) and their human renderings. Pure:
 * everything here is computed by `lib/` already; these functions only choose what to show.
 */

import type { Incident } from '../lib/incident.ts';
import type { LastGood } from '../lib/last-good.ts';
import { describeRoute, destinationKey, formatPercent, modelRouting } from '../lib/routing.ts';
import { groupNamer } from '../lib/snapshot.ts';
import type {
  Destination,
  Diagnosis,
  Drift,
  LbSnapshot,
  RootCause,
  ServedBySample,
  TargetHealth,
} from '../lib/types.ts';
import { targetKey } from '../lib/types.ts';
import type { Renderer, Tone } from './render.ts';

export interface DiagnosisView {
  readonly cause: RootCause;
  readonly lbFault: boolean;
  readonly remediable: boolean;
  readonly severity: Diagnosis['severity'];
  readonly summary: string;
  readonly evidence: readonly string[];
}

export interface DriftView {
  readonly ruleId: string;
  readonly kind: Drift['kind'];
  readonly summary: string;
  readonly remediable: boolean;
  readonly listenerArn: string | null;
  readonly ruleArn: string | null;
  readonly targetGroupArn: string | null;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ShareView {
  /** `i-0a:80`, `empty-group:web-b`, `fixed-response:503`, `redirect`. */
  readonly destination: string;
  readonly kind: Destination['kind'];
  readonly targetGroup: string | null;
  readonly targetGroupArn: string | null;
  /** 0–1 of this route's requests. */
  readonly share: number;
  /** Target health state, null for non-target destinations or targets without a record. */
  readonly health: string | null;
  readonly healthReason: string | null;
  /** Share of the latest served-by sample this target answered, when one names it. */
  readonly observedShare: number | null;
}

export interface RouteView {
  readonly listenerArn: string;
  readonly listenerPort: number;
  /** `default` or the rule priority. */
  readonly priority: number | 'default';
  readonly ruleArn: string;
  readonly description: string;
  /** Names of target groups ALB is failing open on (every target unhealthy). */
  readonly failOpen: readonly string[];
  readonly shares: readonly ShareView[];
}

export interface LastGoodView {
  readonly hash: string;
  readonly takenAt: string;
  readonly promotedAt: string;
  readonly reason: string;
}

export interface IncidentView {
  readonly id: string;
  readonly state: Incident['state'];
  readonly openedAt: string;
  readonly updatedAt: string;
  /** Approve mode: the plan waiting for (or holding) an approval; null when none. */
  readonly approval: ApprovalView | null;
}

/** A plan awaiting approval, as `status` and `incidents` show it. */
export interface ApprovalView {
  readonly planHash: string;
  readonly snapshotHash: string;
  readonly askedAt: string;
  readonly expiresAt: string;
  /** Who approved it (the STS caller ARN); null while it waits. */
  readonly approvedBy: string | null;
  /** What to type to approve it. */
  readonly command: string;
  readonly steps: readonly string[];
}

export function toApprovalView(i: Incident): ApprovalView | null {
  const a = i.approval;
  if (a === undefined) return null;
  return {
    planHash: a.planHash,
    snapshotHash: a.snapshotHash,
    askedAt: a.askedAt,
    expiresAt: a.expiresAt,
    approvedBy: a.approvedBy ?? null,
    command: approveCommand(i.service, a.planHash),
    steps: a.steps,
  };
}

/** One line or two: the plan, when it was asked, when it expires, and the command (or who approved). */
export function renderApproval(render: Renderer, a: ApprovalView, now: string): string {
  const expired = Date.parse(now) >= Date.parse(a.expiresAt);
  const head = `plan ${a.planHash.slice(0, 12)} asked ${a.askedAt}, ${expired ? 'expired' : 'expires'} ${a.expiresAt}`;
  if (a.approvedBy !== null) return render.paint('ok', `${head}; approved by ${a.approvedBy}`);
  if (expired) return render.paint('dim', `${head}; lbguard will plan and ask again`);
  return `${render.paint('warn', `awaiting approval: ${head}`)}\n  approve with: ${a.command}`;
}

export function toDiagnosisView(d: Diagnosis): DiagnosisView {
  return {
    cause: d.cause,
    lbFault: d.lbFault,
    remediable: d.remediable,
    severity: d.severity,
    summary: d.summary,
    evidence: d.evidence,
  };
}

export function toDriftView(d: Drift): DriftView {
  return {
    ruleId: d.ruleId,
    kind: d.kind,
    summary: d.summary,
    remediable: d.remediable,
    listenerArn: d.listenerArn ?? null,
    ruleArn: d.ruleArn ?? null,
    targetGroupArn: d.targetGroupArn ?? null,
    before: d.before ?? null,
    after: d.after ?? null,
  };
}

export function toLastGoodView(l: LastGood | undefined): LastGoodView | null {
  return l === undefined
    ? null
    : { hash: l.hash, takenAt: l.takenAt, promotedAt: l.promotedAt, reason: l.reason };
}

export function toIncidentView(i: Incident | undefined): IncidentView | null {
  if (i === undefined) return null;
  return {
    id: i.id,
    state: i.state,
    openedAt: i.openedAt,
    updatedAt: i.updatedAt,
    approval: toApprovalView(i),
  };
}

/** Shares of one served-by sample per identity (served-by value or `id:port`). */
function observedShares(sample: ServedBySample | undefined): ReadonlyMap<string, number> {
  const counts = Object.entries(sample?.counts ?? {});
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  return new Map(total === 0 ? [] : counts.map(([k, n]) => [k, n / total]));
}

/**
 * Every route of the live routing model (configuration plus target health), with each
 * destination's share, health and, where a served-by sample names the target, what was observed.
 */
export function toRouteViews(
  snapshot: LbSnapshot,
  health: readonly TargetHealth[],
  servedBy?: ServedBySample,
): RouteView[] {
  const model = modelRouting(snapshot, health);
  const name = groupNamer(snapshot);
  const healthOf = new Map(health.map((h) => [`${h.targetGroupArn}|${targetKey(h)}`, h]));
  const observed = observedShares(servedBy);
  return model.routes.map((route) => ({
    listenerArn: route.listenerArn,
    listenerPort: route.listenerPort,
    priority: route.priority,
    ruleArn: route.ruleArn,
    description: describeRoute(route),
    failOpen: route.failOpen.map(name),
    shares: route.shares.map(({ destination, share }): ShareView => {
      const groupArn = 'targetGroupArn' in destination ? destination.targetGroupArn : undefined;
      const record =
        destination.kind === 'target'
          ? healthOf.get(`${destination.targetGroupArn}|${targetKey(destination)}`)
          : undefined;
      const seen =
        destination.kind === 'target'
          ? (observed.get(targetKey(destination)) ?? observed.get(destination.targetId))
          : undefined;
      return {
        destination: destinationKey(destination, name),
        kind: destination.kind,
        targetGroup: groupArn === undefined ? null : name(groupArn),
        targetGroupArn: groupArn ?? null,
        share,
        health: record?.state ?? null,
        healthReason: record?.reason ?? null,
        observedShare: seen ?? null,
      };
    }),
  }));
}

export function causeTone(cause: RootCause): Tone {
  switch (cause) {
    case 'healthy':
      return 'ok';
    case 'targets-unhealthy-balanced':
    case 'backend-errors-balanced':
    case 'lb-protecting':
    case 'unknown':
      return 'warn';
    case 'routing-skew':
    case 'missing-targets':
    case 'listener-drift':
    case 'no-healthy-targets':
    case 'single-survivor':
    case 'state-integrity':
    case 'data-plane-not-following':
      return 'bad';
  }
}

function healthTone(state: string | null): Tone {
  if (state === 'healthy') return 'ok';
  if (state === 'initial' || state === 'draining') return 'warn';
  return state === null ? 'dim' : 'bad';
}

/** The routes as tables, one per route, with shares, health and observed shares. */
export function renderRoutes(render: Renderer, routes: readonly RouteView[]): string {
  return routes
    .map((route) => {
      const failOpen =
        route.failOpen.length === 0
          ? ''
          : render.paint('warn', ` (failing open: ${route.failOpen.join(', ')})`);
      const showObserved = route.shares.some((s) => s.observedShare !== null);
      const rows = route.shares.map((s) => [
        s.kind === 'target' ? s.destination : render.paint('bad', s.destination),
        s.targetGroup ?? '-',
        formatPercent(s.share),
        s.health === null ? '-' : render.paint(healthTone(s.health), s.health),
        ...(showObserved ? [s.observedShare === null ? '-' : formatPercent(s.observedShare)] : []),
      ]);
      const headers = ['TARGET', 'GROUP', 'SHARE', 'HEALTH', ...(showObserved ? ['OBSERVED'] : [])];
      return `${render.paint('bold', route.description)}${failOpen}\n${indent(render.table(headers, rows))}`;
    })
    .join('\n\n');
}

export function renderDiagnosis(render: Renderer, d: DiagnosisView): string {
  const head = `${render.paint('bold', 'diagnosis:')} ${render.paint(causeTone(d.cause), d.cause)} (${d.severity}${d.lbFault ? ', load balancer fault' : ''}${d.remediable ? ', remediable' : ''})`;
  const evidence = d.evidence.map((e) => `    ${render.paint('dim', '•')} ${e}`);
  return [head, `  ${d.summary}`, ...(evidence.length === 0 ? [] : ['  evidence:', ...evidence])].join('\n');
}

export function renderDrift(render: Renderer, drift: readonly DriftView[]): string {
  if (drift.length === 0) return `${render.paint('bold', 'drift:')} none against last known good`;
  return [
    `${render.paint('bold', 'drift:')} ${drift.length} change(s) against last known good`,
    ...drift.map(
      (d) =>
        `  ${render.paint('dim', d.ruleId)} ${render.paint(d.remediable ? 'warn' : 'bad', d.kind)}: ${d.summary}${d.remediable ? '' : render.paint('dim', ' (not remediable)')}`,
    ),
  ].join('\n');
}

export function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : by + l))
    .join('\n');
}
