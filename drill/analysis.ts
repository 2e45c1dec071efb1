import type { Incident, IncidentState } from '../lib/incident.ts';
import type { RootCause } from '../lib/types.ts';
import { type BaselineAlarm, baselineAlarm } from './baseline-alarm.ts';
import { dataPlaneChecks } from './data-plane-checks.ts';
import { intentChecks } from './intent-checks.ts';
import { DEFAULT_REBALANCE, rebalancedAt, sharesOf } from './rebalance.ts';
import type { ScenarioRun } from './run-types.ts';
import type { Expectations } from './scenarios/types.ts';
import type { ResponseRecord } from './world/loadgen.ts';

// What a run means, computed from what it recorded: the timeline relative to the fault, MTTD and
// MTTR, failed customer requests, and whether the scenario's expectations held. Pure: a run in,
// figures out, so the report and the tests judge the same numbers.

/** Milliseconds since the fault (negative before it). */
export type RelMs = number;

export interface Moment {
  readonly at: RelMs;
  readonly label: string;
  readonly detail: string;
}

export interface RunAnalysis {
  readonly scenario: string;
  readonly guarded: boolean;
  readonly factor: number;
  readonly requestsAfterFault: number;
  readonly failedAfterFault: number;
  /** Failure share of customer requests in the baseline before the fault. */
  readonly baselineFailureRate: number;
  readonly firstSymptom?: RelMs;
  /** lbguard first saw something wrong (incident suspected). */
  readonly detected?: RelMs;
  /** Root cause confirmed (incident confirmed). */
  readonly diagnosed?: RelMs;
  /** Plan applied (incident verifying). */
  readonly remediated?: RelMs;
  /** Verified and resolved. */
  readonly verified?: RelMs;
  readonly escalated?: RelMs;
  /** Customers' failure rate back to baseline, and staying there to the end. */
  readonly recovered?: RelMs;
  /** Per-target spread of traffic back to the baseline's, held, and no sustained skew after (rebalance.ts). */
  readonly rebalanced?: RelMs;
  /** When the 5xx alarm most teams rely on would have fired on this run's traffic. */
  readonly baselineAlarm: BaselineAlarm;
  /** The customers never noticed (no bucket above the baseline's failure rate). */
  readonly noImpact: boolean;
  /** The first incident opened after the fault. */
  readonly incident?: Incident;
  readonly cause?: RootCause;
  readonly evidence: readonly string[];
  /** Incidents opened after the first one was closed: noise a person would be paged for. */
  readonly laterIncidents: readonly Incident[];
  readonly timeline: readonly Moment[];
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Width of the buckets recovery and rebalancing are judged on. */
export const BUCKET_MS = DEFAULT_REBALANCE.bucketMs;
/** A bucket is failing above this share of requests, or twice the baseline if that is higher. */
const MIN_FAILURE_THRESHOLD = 0.01;
const MIN_FAILED_PER_BUCKET = 2;
const BASELINE_WINDOW_MS = 2_000;

export function isFailure(r: ResponseRecord): boolean {
  return r.error !== undefined || (r.status ?? 0) >= 500;
}

/** Wall-clock epoch ms of an AWS-time ISO stamp written by lbguard during the run. */
export function realMsOfAws(run: Pick<ScenarioRun, 'clock'>, iso: string): number {
  return run.clock.realStartMs + (Date.parse(iso) - run.clock.awsStartMs) / run.clock.factor;
}

/** The AWS-time ISO stamp of a wall-clock epoch ms: the inverse of `realMsOfAws`. */
export function awsIsoOfReal(run: Pick<ScenarioRun, 'clock'>, realMs: number): string {
  return new Date(run.clock.awsStartMs + (realMs - run.clock.realStartMs) * run.clock.factor).toISOString();
}

interface Bucket {
  readonly start: RelMs;
  readonly requests: number;
  readonly failed: number;
  readonly byTarget: Readonly<Record<string, number>>;
}

/** Customer requests after the fault in fixed buckets (by send time), the last partial one dropped. */
export function bucketise(run: ScenarioRun, widthMs: number = BUCKET_MS): Bucket[] {
  const end = run.endedAt - run.faultAt;
  const count = Math.floor(end / widthMs);
  const buckets = Array.from({ length: count }, (_, i) => ({
    start: i * widthMs,
    requests: 0,
    failed: 0,
    byTarget: {} as Record<string, number>,
  }));
  for (const r of run.records) {
    const rel = r.at - run.faultAt;
    if (rel < 0) continue;
    const b = buckets[Math.floor(rel / widthMs)];
    if (b === undefined) continue;
    b.requests++;
    if (isFailure(r)) b.failed++;
    if (r.servedBy !== undefined) b.byTarget[r.servedBy] = (b.byTarget[r.servedBy] ?? 0) + 1;
  }
  return buckets;
}

/**
 * The end of the last bucket that fails `bad`, provided a later bucket exists that does not (so
 * the run ends recovered); `0` when no bucket is bad; undefined when the run ends bad.
 */
function settledAfter(buckets: readonly Bucket[], bad: (b: Bucket) => boolean): RelMs | undefined {
  let last = -1;
  buckets.forEach((b, i) => {
    if (bad(b)) last = i;
  });
  if (last === -1) return 0;
  if (last === buckets.length - 1) return undefined;
  const b = buckets[last];
  return b === undefined ? undefined : b.start + BUCKET_MS;
}

const DIAGNOSED: ReadonlySet<IncidentState> = new Set(['confirmed', 'mitigating', 'verifying', 'escalated']);

function clampToFault(ms: RelMs | undefined): RelMs | undefined {
  return ms === undefined ? undefined : Math.max(0, ms);
}

function entryTime(run: ScenarioRun, incident: Incident | undefined, to: IncidentState): RelMs | undefined {
  const entry = incident?.timeline.find((e) => e.to === to && e.from !== e.to);
  return entry === undefined ? undefined : realMsOfAws(run, entry.at) - run.faultAt;
}

/** Everything the report says about one run. */
export function analyseRun(run: ScenarioRun): RunAnalysis {
  const after = run.records.filter((r) => r.at >= run.faultAt);
  const before = run.records.filter((r) => r.at < run.faultAt && r.at >= run.faultAt - BASELINE_WINDOW_MS);
  const baselineFailureRate = before.length === 0 ? 0 : before.filter(isFailure).length / before.length;
  const baselineShares = sharesOf(
    before.reduce<Record<string, number>>((acc, r) => {
      if (r.servedBy !== undefined) acc[r.servedBy] = (acc[r.servedBy] ?? 0) + 1;
      return acc;
    }, {}),
  );
  const threshold = Math.max(MIN_FAILURE_THRESHOLD, 2 * baselineFailureRate);
  const buckets = bucketise(run);
  // One stray error in a bucket is noise, not an outage still going on.
  const failing = (b: Bucket): boolean =>
    b.requests > 0 && b.failed >= MIN_FAILED_PER_BUCKET && b.failed / b.requests > threshold;
  const noImpact = !buckets.some(failing);
  const recovered = settledAfter(buckets, failing);
  const rebalanced = rebalancedAt(buckets, baselineShares);
  const alarm = baselineAlarm(run);
  const firstFailure = after.find(isFailure);

  const incident = run.incidents.find((i) => realMsOfAws(run, i.openedAt) >= run.faultAt - 1_000);
  const closedAt = incident?.closedAt ?? (incident?.state === 'escalated' ? incident.updatedAt : undefined);
  const laterIncidents =
    incident === undefined || closedAt === undefined
      ? []
      : run.incidents.filter((i) => i !== incident && Date.parse(i.openedAt) >= Date.parse(closedAt));
  const confirmed = incident?.timeline.find((e) => e.to === 'confirmed');

  // An incident entry is stamped when its inspection began reading, which can be a moment before
  // the fault landed; lbguard knew when that inspection finished.
  const concluded = (ok: (i: ScenarioRun['inspections'][number]) => boolean): RelMs | undefined => {
    const found = run.inspections.find((i) => i.endedAt >= run.faultAt && i.kind === 'inspected' && ok(i));
    return found === undefined ? undefined : found.endedAt - run.faultAt;
  };
  const detected =
    incident === undefined
      ? undefined
      : (concluded((i) => i.incidentId === incident.id) ??
        clampToFault(entryTime(run, incident, 'suspected') ?? entryTime(run, incident, 'confirmed')));
  const diagnosed =
    incident === undefined
      ? undefined
      : (concluded((i) => i.incidentId === incident.id && DIAGNOSED.has(i.incidentState ?? 'ok')) ??
        clampToFault(entryTime(run, incident, 'confirmed')));
  const remediated = entryTime(run, incident, 'verifying');
  const verified = entryTime(run, incident, 'resolved');
  const escalated =
    incident === undefined
      ? undefined
      : (concluded((i) => i.incidentId === incident.id && i.incidentState === 'escalated') ??
        entryTime(run, incident, 'escalated'));
  const firstSymptom = firstFailure === undefined ? undefined : firstFailure.at - run.faultAt;

  const moments: Moment[] = [
    ...run.marks
      // Notes too: a scenario's own verdict (the pre-deploy gate refusing a deploy) belongs here.
      .filter((m) => m.kind === 'fault' || m.kind === 'change' || m.kind === 'last-good' || m.kind === 'note')
      .map((m) => ({
        at: m.at - run.faultAt,
        label: m.kind === 'fault' ? 'fault injected' : m.kind,
        detail: m.what,
      })),
    ...(firstSymptom === undefined
      ? []
      : [
          {
            at: firstSymptom,
            label: 'first symptom',
            detail: `first failed customer request (${describe(firstFailure)})`,
          },
        ]),
    ...(incident?.timeline ?? []).map((e) => ({
      at:
        e.to === 'suspected' && detected !== undefined
          ? detected
          : e.to === 'confirmed' && diagnosed !== undefined
            ? diagnosed
            : e.to === 'escalated' && escalated !== undefined
              ? escalated
              : realMsOfAws(run, e.at) - run.faultAt,
      label: labelOf(e.to, e.from),
      detail: e.what,
    })),
    ...run.writes.map((w) => ({
      at: w.at - run.faultAt,
      label: 'ELBv2 write',
      detail: `${w.op} ${w.detail}`,
    })),
    ...(recovered === undefined || noImpact
      ? []
      : [
          {
            at: recovered,
            label: 'customers recovered',
            detail: '5xx back to baseline from here to the end',
          },
        ]),
    ...(alarm.firedAt === undefined
      ? []
      : [
          {
            at: alarm.firedAt,
            label: '5xx alarm',
            detail: `a CloudWatch alarm on 5xx > ${alarm.spec.threshold} per minute would fire (${alarm.elb5xx} ELB + ${alarm.target5xx} target 5xx in that minute)`,
          },
        ]),
    ...(rebalanced === undefined || rebalanced === 0
      ? []
      : [
          {
            at: rebalanced,
            label: 'rebalanced',
            detail: 'per-target spread back to the baseline’s, held 2 s, no sustained skew after',
          },
        ]),
  ];
  moments.sort((a, b) => a.at - b.at);

  return {
    scenario: run.scenario,
    guarded: run.guarded,
    factor: run.clock.factor,
    requestsAfterFault: after.length,
    failedAfterFault: after.filter(isFailure).length,
    baselineFailureRate,
    ...(firstSymptom === undefined ? {} : { firstSymptom }),
    ...(detected === undefined ? {} : { detected }),
    ...(diagnosed === undefined ? {} : { diagnosed }),
    ...(remediated === undefined ? {} : { remediated }),
    ...(verified === undefined ? {} : { verified }),
    ...(escalated === undefined ? {} : { escalated }),
    ...(recovered === undefined ? {} : { recovered }),
    ...(rebalanced === undefined ? {} : { rebalanced }),
    baselineAlarm: alarm,
    noImpact,
    ...(incident === undefined ? {} : { incident }),
    ...(incident?.diagnosis === undefined ? {} : { cause: incident.diagnosis.cause }),
    evidence: incident?.diagnosis?.evidence ?? confirmed?.evidence ?? [],
    laterIncidents,
    timeline: moments,
  };
}

function describe(r: ResponseRecord | undefined): string {
  if (r === undefined) return '';
  return `${r.method} ${r.path} → ${r.error ?? r.status}`;
}

function labelOf(to: IncidentState, from: IncidentState): string {
  switch (to) {
    case 'suspected':
      return 'detected';
    case 'confirmed':
      return 'diagnosed';
    case 'mitigating':
      return 'remediation started';
    case 'verifying':
      return 'remediated';
    case 'resolved':
      return 'verified';
    case 'escalated':
      return 'escalated';
    case 'ok':
      return from === 'suspected' ? 'suspicion cleared' : 'ok';
  }
}

/** Checks a run against the scenario's expectations; every check is reported, pass or fail. */
export function checkExpectations(run: ScenarioRun, a: RunAnalysis, expect: Expectations): Check[] {
  const checks: Check[] = [];
  const state = a.incident?.state;
  const confirmed = a.incident?.timeline.some((e) => e.to === 'confirmed') === true;
  const wasEscalated = a.incident?.timeline.some((e) => e.to === 'escalated') === true;
  switch (expect.incident) {
    case 'none': {
      // A new last known good is announced (news, severity info), not an incident: it may happen
      // in a healthy scenario, and is counted apart.
      const paged = run.notifications.filter((n) => n.state !== 'last-good-promoted');
      const baselines = run.notifications.length - paged.length;
      checks.push({
        name: 'no incident',
        ok: !confirmed && paged.length === 0,
        detail: confirmed
          ? `incident ${a.incident?.id} was confirmed (${state})`
          : `${paged.length} incident or probe notifications sent${baselines === 0 ? '' : ` (and ${baselines} new last known good announced)`}${a.incident === undefined ? '' : '; a suspicion was recorded and cleared quietly'}`,
      });
      break;
    }
    case 'resolved':
      checks.push({
        name: 'incident resolved',
        ok: state === 'resolved' && !wasEscalated,
        detail:
          a.incident === undefined
            ? 'no incident was opened'
            : `incident ended ${state}${wasEscalated ? ' after an escalation' : ''}`,
      });
      break;
    case 'escalated':
      // People were paged; an escalated incident closes later once the site is healthy again.
      checks.push({
        name: 'incident escalated',
        ok: wasEscalated,
        detail:
          a.incident === undefined
            ? 'no incident was opened'
            : `incident ended ${state}${wasEscalated ? ' after an escalation' : ', never escalated'}`,
      });
      break;
    case 'any':
      break;
  }
  if (expect.causes !== undefined) {
    checks.push({
      name: 'root cause',
      ok: a.cause !== undefined && expect.causes.includes(a.cause),
      detail: `${a.cause ?? 'none'} (expected ${expect.causes.join(' or ')})`,
    });
  }
  const ops = [...new Set(run.writes.map((w) => w.op))];
  if (expect.writes === 'none') {
    checks.push({
      name: 'no ELBv2 writes',
      ok: run.writes.length === 0,
      detail: run.writes.length === 0 ? 'none made' : `${run.writes.length} made: ${ops.join(', ')}`,
    });
  } else {
    const allowed = expect.writes;
    const stray = ops.filter((op) => !(allowed as readonly string[]).includes(op));
    checks.push({
      name: 'ELBv2 writes allowed',
      ok: stray.length === 0 && (expect.incident !== 'resolved' || run.writes.length > 0),
      detail:
        stray.length > 0
          ? `unexpected: ${stray.join(', ')}`
          : `${run.writes.length} made (${ops.join(', ') || 'none'}); allowed ${allowed.join(', ')}`,
    });
  }
  if (expect.requiredWrites !== undefined) {
    const missing = expect.requiredWrites.filter((op) => !ops.includes(op));
    checks.push({
      name: 'ELBv2 writes required',
      ok: missing.length === 0,
      detail:
        missing.length === 0
          ? `made ${expect.requiredWrites.join(', ')}`
          : `never made ${missing.join(', ')} (made ${ops.join(', ') || 'none'})`,
    });
  }
  checks.push({
    name:
      expect.recovered === 'either'
        ? 'customers recovered or not (capacity, not lbguard’s to fix)'
        : expect.recovered
          ? 'customers recovered'
          : 'not recovered (not lbguard’s to fix)',
    ok:
      expect.recovered === 'either' ||
      (expect.recovered ? a.recovered !== undefined : a.recovered === undefined),
    detail:
      a.recovered === undefined
        ? 'failures above baseline until the end'
        : a.noImpact
          ? 'no customer impact'
          : `back to baseline ${seconds(a.recovered)} after the fault`,
  });
  if (expect.promotesNewConfig === true) {
    const moved =
      run.lastGoodHashAtEnd !== undefined &&
      run.lastGoodHashAtEnd !== run.lastGoodHashBeforeFault &&
      run.lastGoodHashAtEnd === run.liveHashAtEnd;
    checks.push({
      name: 'new routing promoted',
      ok: moved,
      detail: moved
        ? `last known good is now ${run.lastGoodHashAtEnd?.slice(0, 12)}`
        : `last known good ${run.lastGoodHashAtEnd?.slice(0, 12) ?? 'none'}, live ${run.liveHashAtEnd?.slice(0, 12) ?? 'unknown'}`,
    });
  }
  checks.push({
    name: 'handlers ran cleanly',
    ok: run.errors.length === 0,
    detail: run.errors.length === 0 ? 'no invocation threw' : run.errors.slice(0, 3).join(' | '),
  });
  checks.push(...intentChecks(run, a, expect), ...dataPlaneChecks(run, expect));
  return checks;
}

/** `1.25 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The AWS time a drill duration stands for: `3 min 12 s`. */
export function awsEquivalent(ms: number, factor: number): string {
  const total = Math.round((ms * factor) / 1000);
  const sign = total < 0 ? '−' : '';
  const abs = Math.abs(total);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  if (h > 0) return `${sign}${h} h ${m} min`;
  if (m > 0) return `${sign}${m} min ${s} s`;
  return `${sign}${s} s`;
}

/** The seed targets from the issue, measured (reported, not gated). */
export interface TargetFigures {
  readonly detectionWithinOnePeriod?: { readonly ok: boolean; readonly measured: string };
  readonly recoveredWithinThreePeriods?: { readonly ok: boolean; readonly measured: string };
  readonly failedAtMost5Percent?: { readonly ok: boolean; readonly measured: string };
}

/** Measures the issue's targets; one inspect period is one AWS minute, i.e. `60 000 / factor` drill ms. */
export function measureTargets(guarded: RunAnalysis, unguarded: RunAnalysis | undefined): TargetFigures {
  const period = 60_000 / guarded.factor;
  const settled =
    guarded.recovered === undefined
      ? undefined
      : Math.max(guarded.recovered, guarded.rebalanced ?? guarded.recovered);
  return {
    ...(guarded.detected === undefined
      ? {}
      : {
          detectionWithinOnePeriod: {
            ok: guarded.detected <= period,
            measured: `${seconds(guarded.detected)} (${awsEquivalent(guarded.detected, guarded.factor)})`,
          },
        }),
    ...(settled === undefined
      ? {}
      : {
          recoveredWithinThreePeriods: {
            ok: settled <= 3 * period,
            measured: `${seconds(settled)} (${awsEquivalent(settled, guarded.factor)}; 5xx ${seconds(guarded.recovered ?? 0)}, spread ${seconds(guarded.rebalanced ?? 0)})`,
          },
        }),
    ...(unguarded === undefined
      ? {}
      : {
          failedAtMost5Percent: {
            ok: guarded.failedAfterFault <= 0.05 * unguarded.failedAfterFault,
            measured: `${guarded.failedAfterFault} vs ${unguarded.failedAfterFault} (${percent(guarded.failedAfterFault, unguarded.failedAfterFault)})`,
          },
        }),
  };
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`;
}
