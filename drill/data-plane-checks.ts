import type { Incident } from '../lib/incident.ts';
import { DRILL_PROBE_INTERVAL_SECONDS } from './lbguard-config.ts';
import type { ScenarioRun } from './run-types.ts';
import type { Expectations, ScenarioCheck } from './scenarios/types.ts';
import type { SyncChange } from './world/haproxy-sync.ts';

// Issue 16's expectations of a data plane that follows late or not at all: what lbguard reported
// (the propagation lag in its evidence, the cause it escalated with) against what the world did
// (when HAProxy applied lbguard's restore, from the sync's own change log). Pure: a run in.

/**
 * The cause class lbguard's side names for a data plane that does not follow its configuration.
 * Not in lib/types.ts `RootCause` yet when this was written: the one place to change if it is
 * named otherwise.
 */
export const DATA_PLANE_NOT_FOLLOWING: string = 'data-plane-not-following';

/** The same cause in words, for a line that carries no cause class (an escalation's evidence). */
const NOT_FOLLOWING_TEXT = /data[- ]plane[- ](?:is[- ])?not[- ]following/i;

const DURATION = String.raw`(?:\d+(?:\.\d+)?\s*(?:ms|s|sec|seconds?|min|minutes?|h)\b[\s,]*)+`;

/**
 * The propagation lag in an evidence line, in either of two shapes, the first that matches:
 * - `<duration> after the write`: lbguard's own line (lib/convergence.ts on the observe branch),
 *   `data plane: observed shares match the configuration since …, 95 s after the write at
 *   2026-12-05T00:17:12.000Z (propagation lag)`, or `converged 95 s after the write`;
 * - a keyword then a duration: `propagation lag 95 s`, `propagation lag (write → converged): 1 min
 *   35 s`, `lag 1500 ms`.
 * Units ms, s, min, h, summed when several follow each other. Align these with lbguard's wording.
 */
export const REPORTED_LAG_PATTERNS: readonly RegExp[] = [
  new RegExp(`(${DURATION})after the write\\b`, 'i'),
  new RegExp(`\\b(?:propagation lag|converged|lag)\\b[^0-9\\n]{0,40}?(${DURATION})`, 'i'),
];

/** `the write at <ISO time>` in a lag line: which write the lag is of. */
const WRITE_AT = /\bwrite at (\d{4}-\d\d-\d\dT[\d:.]+Z)/i;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, min: 60_000, h: 3_600_000 };

/** Milliseconds in a duration text such as `1 min 35 s` or `1500 ms`; undefined if none. */
export function parseDuration(text: string): number | undefined {
  let total = 0;
  let found = false;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|min|minutes?|h)\b/gi)) {
    const unit = (m[2] ?? '').toLowerCase();
    const key = unit === 'ms' ? 'ms' : unit.startsWith('m') ? 'min' : unit === 'h' ? 'h' : 's';
    total += Number(m[1]) * (UNIT_MS[key] ?? 0);
    found = true;
  }
  return found ? total : undefined;
}

/** A lag lbguard reported, in its own (AWS) milliseconds, and the line it came from. */
export interface ReportedLag {
  readonly awsMs: number;
  readonly line: string;
  /** Epoch ms (AWS time) of the write the line names, when it names one. */
  readonly writeAt?: number;
}

/** The lag a line reports, if any. */
export function lagOf(line: string): ReportedLag | undefined {
  for (const pattern of REPORTED_LAG_PATTERNS) {
    const m = pattern.exec(line);
    const ms = m?.[1] === undefined ? undefined : parseDuration(m[1]);
    if (ms === undefined) continue;
    const writeAt = Date.parse(WRITE_AT.exec(line)?.[1] ?? '');
    return { awsMs: ms, line, ...(Number.isNaN(writeAt) ? {} : { writeAt }) };
  }
  return undefined;
}

/**
 * The first propagation lag in a list of lines, skipping lines that name a write before
 * `notBefore` (AWS epoch ms): a deployment's own write has its lag reported too.
 */
export function readLag(
  lines: readonly string[],
  notBefore = Number.NEGATIVE_INFINITY,
): ReportedLag | undefined {
  for (const line of lines) {
    const lag = lagOf(line);
    if (lag !== undefined && (lag.writeAt === undefined || lag.writeAt >= notBefore)) return lag;
  }
  return undefined;
}

/** Slack on lbguard's stamp of its own write (AWS ms): it dates the write by its clock or CloudTrail. */
const WRITE_STAMP_SLACK_AWS_MS = 30_000;

function incidentLines(i: Incident): string[] {
  return [
    ...i.timeline.flatMap((e) => [e.what, ...e.evidence]),
    ...(i.diagnosis === undefined ? [] : [i.diagnosis.summary, ...i.diagnosis.evidence]),
  ];
}

/**
 * The lag lbguard reported after its restore: incidents' timelines and diagnoses first, then
 * inspections' evidence after the first write.
 */
export function reportedLag(run: ScenarioRun): ReportedLag | undefined {
  const firstWrite = run.writes[0]?.at ?? run.faultAt;
  const c = run.clock;
  const awsOfFirstWrite = c.awsStartMs + (firstWrite - c.realStartMs) * c.factor;
  return readLag(
    [
      ...run.incidents.flatMap(incidentLines),
      ...run.inspections.filter((i) => i.startedAt >= firstWrite).flatMap((i) => i.evidence ?? []),
    ],
    awsOfFirstWrite - WRITE_STAMP_SLACK_AWS_MS,
  );
}

/** lbguard's restore: its writes within one drill second of the first (one plan's steps). */
export function restoreWrites(
  run: ScenarioRun,
): { readonly first: number; readonly last: number } | undefined {
  const first = run.writes[0]?.at;
  if (first === undefined) return undefined;
  const last = Math.max(...run.writes.filter((w) => w.at - first <= 1_000).map((w) => w.at));
  return { first, last };
}

/**
 * How long before a write a sync read may have begun and still see it: a read is several calls
 * (listeners first), so the pass in flight when lbguard writes can carry the write. Once it has
 * applied the new state, no later pass records a change, so the search must include that pass.
 */
export const PASS_IN_FLIGHT_MS = 500;

/**
 * The data-plane change that applied lbguard's restore: the first applied after lbguard began
 * writing, from a read begun at most one pass in flight before that. The scenarios arm the lag
 * once the fault reached HAProxy and change nothing else, so no older change is still waiting.
 */
export function appliedRestore(run: ScenarioRun): SyncChange | undefined {
  const restore = restoreWrites(run);
  if (restore === undefined || run.dataPlane === undefined) return undefined;
  return run.dataPlane.changes.find(
    (c) =>
      c.kind !== 'start' &&
      c.appliedAt > restore.first &&
      c.readStartedAt >= restore.first - PASS_IN_FLIGHT_MS,
  );
}

/** What the data plane did and what lbguard said, in drill ms. */
export interface DataPlaneFigures {
  /** The delay the world was given (drill ms); absent when it was stuck or following. */
  readonly injectedMs?: number;
  /** lbguard's last restore write → HAProxy routing by it (drill ms): the true lag. */
  readonly trueLagMs?: number;
  /** The lag lbguard reported, converted to drill ms. */
  readonly reportedLagMs?: number;
  readonly reportedLine?: string;
  /** One probe round in drill ms: the resolution the reported lag is judged at. */
  readonly probeIntervalMs: number;
  /** An incident opened after the fault reached `resolved` (lbguard called it verified). */
  readonly verified: boolean;
  /** An incident escalated, naming the data plane as not following. */
  readonly escalatedNamingDataPlane: boolean;
}

function namesDataPlane(run: ScenarioRun, i: Incident): boolean {
  const escalations = i.timeline.filter((e) => e.to === 'escalated');
  if (escalations.length === 0) return false;
  if (i.diagnosis?.cause === DATA_PLANE_NOT_FOLLOWING) return true;
  const said = (l: string): boolean => NOT_FOLLOWING_TEXT.test(l) || l.includes(DATA_PLANE_NOT_FOLLOWING);
  return (
    escalations.some((e) => [e.what, ...e.evidence].some(said)) ||
    run.inspections.some((x) => x.incidentId === i.id && x.cause === DATA_PLANE_NOT_FOLLOWING)
  );
}

export function dataPlaneFigures(run: ScenarioRun): DataPlaneFigures {
  const following = run.dataPlane?.following;
  const restore = restoreWrites(run);
  const applied = appliedRestore(run);
  const reported = reportedLag(run);
  const incidents = run.incidents;
  return {
    ...(following?.mode === 'delayed' ? { injectedMs: following.delayMs } : {}),
    ...(applied === undefined || restore === undefined
      ? {}
      : { trueLagMs: applied.appliedAt - restore.last }),
    ...(reported === undefined
      ? {}
      : { reportedLagMs: reported.awsMs / run.clock.factor, reportedLine: reported.line }),
    probeIntervalMs: (DRILL_PROBE_INTERVAL_SECONDS * 1_000) / run.clock.factor,
    verified: incidents.some((i) => i.timeline.some((e) => e.to === 'resolved')),
    escalatedNamingDataPlane: incidents.some((i) => namesDataPlane(run, i)),
  };
}

const secs = (ms: number, factor: number): string =>
  `${(ms / 1000).toFixed(2)} s (${Math.round((ms * factor) / 1000)} AWS s)`;

/** The checks of `Expectations.dataPlane`; none when the scenario does not set it. */
export function dataPlaneChecks(run: ScenarioRun, expect: Expectations): ScenarioCheck[] {
  if (expect.dataPlane === undefined) return [];
  const f = dataPlaneFigures(run);
  const k = run.clock.factor;
  const applied = appliedRestore(run);
  if (expect.dataPlane === 'stuck') {
    return [
      {
        name: 'the data plane never applied the restore',
        ok: restoreWrites(run) !== undefined && applied === undefined,
        detail:
          restoreWrites(run) === undefined
            ? 'lbguard made no ELBv2 write'
            : applied === undefined
              ? 'HAProxy kept the faulty routing; moto reported the restored one'
              : `HAProxy applied it (${applied.detail}): the world did not stick`,
      },
      {
        name: 'never reported verified',
        ok: !f.verified,
        detail: f.verified
          ? 'an incident was resolved while the data plane never followed'
          : 'no incident resolved',
      },
      {
        name: `escalated: ${DATA_PLANE_NOT_FOLLOWING}`,
        ok: f.escalatedNamingDataPlane,
        detail: f.escalatedNamingDataPlane
          ? 'escalated, naming the data plane'
          : `no escalation names the data plane (causes ${[...new Set(run.incidents.map((i) => i.diagnosis?.cause ?? 'none'))].join(', ') || 'none'})`,
      },
    ];
  }
  const resolvedAt = run.incidents
    .flatMap((i) => i.timeline.filter((e) => e.to === 'resolved'))
    .map((e) => run.clock.realStartMs + (Date.parse(e.at) - run.clock.awsStartMs) / k)[0];
  const error =
    f.trueLagMs === undefined || f.reportedLagMs === undefined ? undefined : f.reportedLagMs - f.trueLagMs;
  return [
    {
      name: 'the data plane followed the restore late',
      // The world's own guarantee: applied at least the delay after the read that first saw it
      // (that read may have begun a moment before the write, and carried it).
      ok: applied !== undefined && applied.appliedAt - applied.readStartedAt >= (f.injectedMs ?? 0),
      detail:
        f.trueLagMs === undefined
          ? 'HAProxy never applied lbguard’s restore'
          : `true lag ${secs(f.trueLagMs, k)}; injected ${f.injectedMs === undefined ? 'none' : secs(f.injectedMs, k)}`,
    },
    {
      name: 'reported propagation lag within one probe interval',
      ok: error !== undefined && Math.abs(error) <= f.probeIntervalMs,
      detail:
        f.reportedLagMs === undefined
          ? 'no propagation lag in lbguard’s evidence'
          : `reported ${secs(f.reportedLagMs, k)} ("${f.reportedLine}"), true ${f.trueLagMs === undefined ? 'unknown' : secs(f.trueLagMs, k)}, interval ${secs(f.probeIntervalMs, k)}`,
    },
    {
      name: 'resolved only after the data plane followed',
      ok: resolvedAt !== undefined && applied !== undefined && resolvedAt >= applied.appliedAt,
      detail:
        resolvedAt === undefined
          ? 'never resolved'
          : applied === undefined
            ? 'resolved, but the data plane never followed'
            : `resolved ${Math.abs((resolvedAt - applied.appliedAt) / 1000).toFixed(2)} s ${resolvedAt >= applied.appliedAt ? 'after' : 'before'} the data plane followed`,
    },
  ];
}
