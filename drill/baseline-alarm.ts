import type { ScenarioRun } from './run-types.ts';
import type { ResponseRecord } from './world/loadgen.ts';

// The alarm most teams would otherwise rely on, replayed on the drill's own customer traffic:
// CloudWatch alarms on the load balancer's HTTPCode_ELB_5XX_Count and HTTPCode_Target_5XX_Count,
// Sum over a one-minute period, one datapoint out of one, threshold > 0. Either alarm firing pages
// someone, so the pair fires in the first minute with any 5xx: the minute's sum of both counts is
// what is compared. The figure is a best case for the alarm: it fires at the end of the breaching
// minute, while in AWS the datapoint is ingested and the alarm evaluated some time after that.

/** The alarm's definition, as the report states it. */
export interface BaselineAlarmSpec {
  /** CloudWatch period in AWS ms. */
  readonly periodAwsMs: number;
  /** Fires when the period's 5xx count is above this. */
  readonly threshold: number;
}

/** Period 60 s, 1 of 1 datapoints, threshold > 0: the alarm a console wizard or a runbook sets up. */
export const DEFAULT_BASELINE_ALARM: BaselineAlarmSpec = { periodAwsMs: 60_000, threshold: 0 };

export interface BaselineAlarm {
  readonly spec: BaselineAlarmSpec;
  /** Drill ms from the fault to the end of the first breaching period; absent when it never breached. */
  readonly firedAt?: number;
  /** The breaching period's counts: 5xx the load balancer generated and 5xx targets answered. */
  readonly elb5xx?: number;
  readonly target5xx?: number;
  /** Periods wholly before the fault that breached: pages a team would have had in healthy traffic. */
  readonly falseAlarmsBeforeFault: number;
}

/**
 * Which metric a failed request counts in. A response without the served-by header, or no
 * response at all (ALB answers a refused or timed-out target with 502/504), is the load
 * balancer's own; a 5xx a target signed is the target's.
 */
function classify(r: ResponseRecord): 'elb' | 'target' | undefined {
  if (r.error !== undefined) return 'elb';
  if ((r.status ?? 0) < 500) return undefined;
  return r.servedBy === undefined ? 'elb' : 'target';
}

/**
 * When the baseline alarm would have fired on this run's traffic. Periods are aligned to the AWS
 * clock's minutes, as CloudWatch aligns them; requests count in the minute they were sent.
 */
export function baselineAlarm(
  run: Pick<ScenarioRun, 'clock' | 'records' | 'faultAt' | 'loadStartedAt'>,
  spec: BaselineAlarmSpec = DEFAULT_BASELINE_ALARM,
): BaselineAlarm {
  const { clock } = run;
  const periodOf = (realMs: number): number =>
    Math.floor((clock.awsStartMs + (realMs - clock.realStartMs) * clock.factor) / spec.periodAwsMs);
  const realAtPeriodEnd = (period: number): number =>
    clock.realStartMs + ((period + 1) * spec.periodAwsMs - clock.awsStartMs) / clock.factor;
  const counts = new Map<number, { elb: number; target: number }>();
  for (const r of run.records) {
    const kind = classify(r);
    if (kind === undefined) continue;
    const p = periodOf(r.at);
    const c = counts.get(p) ?? { elb: 0, target: 0 };
    c[kind]++;
    counts.set(p, c);
  }
  const faultPeriod = periodOf(run.faultAt);
  // The first minute is partial (traffic began within it) and the alarm would still count it.
  const firstPeriod = periodOf(run.loadStartedAt);
  let falseAlarmsBeforeFault = 0;
  const breaching = [...counts.entries()]
    .filter(([, c]) => c.elb + c.target > spec.threshold)
    .sort(([a], [b]) => a - b);
  for (const [p, c] of breaching) {
    if (p >= firstPeriod && p < faultPeriod) {
      falseAlarmsBeforeFault++;
      continue;
    }
    if (p < faultPeriod) continue;
    return {
      spec,
      firedAt: realAtPeriodEnd(p) - run.faultAt,
      elb5xx: c.elb,
      target5xx: c.target,
      falseAlarmsBeforeFault,
    };
  }
  return { spec, falseAlarmsBeforeFault };
}

/** lbguard's detection time over the alarm's, e.g. `0.42×`; `—` when either is missing. */
export function detectionRatio(detected: number | undefined, alarm: BaselineAlarm): string {
  if (detected === undefined || alarm.firedAt === undefined || alarm.firedAt <= 0) return '—';
  return `${(detected / alarm.firedAt).toFixed(2)}×`;
}
