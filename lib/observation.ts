import type { ScheduleConfig as Schedule } from './config/index.ts';
import { type HysteresisSettings, replayHysteresis } from './hysteresis.ts';
import type { LbSnapshot, ProbeResult, StoredSnapshot } from './types.ts';

// What an observation of one service reads, and which of it counts as evidence: the windows
// over the stored probe results, served-by samples and changes; when the (billed) ALB metrics are
// worth fetching; which target groups' attributes a cycle re-reads.

/** Probe results this recent describe "now": one probe invocation loops for under a minute. */
const PROBE_WINDOW_MS = 90_000;
/** Served-by samples are taken once a minute; a few minutes give the skew test enough requests. */
export const SERVED_BY_WINDOW_MS = 5 * 60_000;
/** A change older than this is no longer the likely cause of what is seen now. */
export const CHANGE_WINDOW_MS = 60 * 60_000;
/**
 * Target groups whose attributes an ordinary cycle re-reads, in rotation. Attribute changes wake
 * inspect through CloudTrail and are re-read at once; the rotation is the safety net for a missed
 * event, and keeping it to a few groups a cycle keeps every cycle within the call budget
 * (listeners + rule pages + groups + metric pages + a constant), however large the fleet.
 */
export const ATTRIBUTE_REREADS_PER_CYCLE = 5;
/**
 * Cycles over which every group's attributes are re-read at least once, however few the groups.
 * Re-reading a one-group service's attributes every minute spent 1–2 of its ~6 ELBv2 Describe
 * calls a cycle on a safety net: at 100 load balancers in one account and region that was 150 of
 * 600 calls a minute, against a Describe* refill AWS documents as 10 a second for the whole account
 * (bench section 8). Spread over 5 cycles, a missed attribute change is still seen within 5 minutes.
 */
export const ATTRIBUTE_REREAD_PERIOD_CYCLES = 5;

/**
 * How far back probe results are read: at least 90 s, and long enough to hold the results the
 * hysteresis rules count ("N in a row", "X of the last Y", "M successes"). With 1-minute probing
 * (one round per invocation) 90 s holds one or two results, so "3 in a row" could never be met
 * and a dead site would never be declared failing.
 */
export function probeWindowMs(schedule: Schedule, hysteresis: HysteresisSettings): number {
  const roundsPerMinute = Math.max(1, Math.floor(schedule.probeLoopSeconds / schedule.probeIntervalSeconds));
  const needed =
    Math.max(hysteresis.consecutiveFailures, hysteresis.windowSize, hysteresis.consecutiveSuccesses) + 1;
  return Math.max(PROBE_WINDOW_MS, Math.ceil(needed / roundsPerMinute) * 60_000);
}

/** The instant `ms` before `at`, as the ISO string the state store's windows take. */
export function isoBefore(at: Date, ms: number): string {
  return new Date(at.getTime() - ms).toISOString();
}

/**
 * The groups of `targetGroupArns` whose attributes the cycle at `at` re-reads. Over a period of
 * P = max(`periodCycles`, ⌈groups / perCycle⌉) cycles every group is re-read exactly once, at most
 * `perCycle` in any one cycle (sorted groups dealt round-robin into P slots). Each service's period
 * starts at an offset drawn from its groups, so a spoke's services do not all re-read in the same
 * minute. Stateless: the answer follows from the time and the groups.
 */
export function attributeRotation(
  targetGroupArns: readonly string[],
  at: Date,
  inspectRateMinutes: number,
  perCycle: number = ATTRIBUTE_REREADS_PER_CYCLE,
  periodCycles: number = ATTRIBUTE_REREAD_PERIOD_CYCLES,
): string[] {
  const sorted = [...new Set(targetGroupArns)].sort();
  if (sorted.length === 0) return [];
  const period = attributeRereadPeriod(sorted.length, perCycle, periodCycles);
  const cycle = Math.floor(at.getTime() / (inspectRateMinutes * 60_000));
  const slot = (((cycle + spreadOffset(sorted.join(' '), period)) % period) + period) % period;
  return sorted.filter((_, index) => index % period === slot);
}

/** The cycles over which `groups` target groups are each re-read once (see `attributeRotation`). */
export function attributeRereadPeriod(
  groups: number,
  perCycle: number = ATTRIBUTE_REREADS_PER_CYCLE,
  periodCycles: number = ATTRIBUTE_REREAD_PERIOD_CYCLES,
): number {
  return Math.max(1, periodCycles, Math.ceil(groups / perCycle));
}

/** A stable number in [0, period) drawn from `text` (FNV-1a), to spread services over a period. */
function spreadOffset(text: string, period: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % period;
}

/**
 * Since when the evidence describes the routing that is live now: the time the live snapshot was
 * first stored, or `at` when it is new. Probe results and served-by samples taken before routing
 * last changed describe routing that is gone: judged against the new routing they read as skew
 * (an intended blue/green shift "reverted") or as failures after a fix (a page after the
 * all-clear). Only evidence gathered under the current routing counts; the configuration itself
 * is judged from the snapshot.
 */
export function routingSince(latest: StoredSnapshot | undefined, liveHash: string, at: Date): string {
  return latest?.hash === liveHash ? latest.takenAt : at.toISOString();
}

/**
 * The probe results diagnosis may see: each probe's results in the window are replayed, oldest
 * first, through hysteresis. A probe declared `failing` or `flapping` is handed over as it is; a
 * probe still declared `passing` keeps only its successes, so a single blip (or any failures short
 * of the rule) never counts as evidence and never opens an incident. Metrics are still fetched on
 * a blip and the soak still restarts on one: looking closer and not vouching are cheap, paging is not.
 */
export function judgeProbes(results: readonly ProbeResult[], settings: HysteresisSettings): ProbeResult[] {
  const byProbe = new Map<string, ProbeResult[]>();
  for (const r of results) byProbe.set(r.probe, [...(byProbe.get(r.probe) ?? []), r]);
  const passing = new Set<string>();
  for (const [probe, runs] of byProbe) {
    // Hysteresis ignores a result older than one already folded in, so the replay must be in order.
    const ordered = runs.toSorted((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    if (replayHysteresis(ordered, settings).status === 'passing') passing.add(probe);
  }
  return results.filter((r) => r.ok || !passing.has(r.probe));
}

/**
 * ALB metrics cost money per metric fetched, so they are read once per `metricsPeriodSeconds`
 * (on the first scheduled inspection after a period boundary) and whenever probes fail.
 */
export function isMetricsTick(at: Date, schedule: Schedule): boolean {
  const period = schedule.metricsPeriodSeconds * 1000;
  const rate = schedule.inspectRateMinutes * 60_000;
  const t = at.getTime();
  return Math.floor(t / period) !== Math.floor((t - rate) / period);
}

/**
 * When an observation reads the ALB metrics: an operator always, `verify` never, inspect's
 * scheduled cycles on a tick or a failure, and an inspection woken by a CloudTrail event on a
 * failure only (the tick's fetch is the scheduled cycle's; fetching again would pay twice).
 */
export type MetricsFetch = 'always' | 'never' | 'on-schedule-or-suspicion' | 'on-suspicion';

/** Whether this observation reads the ALB metrics (`isMetricsTick`), given the probes it judged. */
export function wantsMetrics(
  fetch: MetricsFetch,
  probes: readonly ProbeResult[],
  at: Date,
  schedule: Schedule,
): boolean {
  switch (fetch) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'on-suspicion':
      return probes.some((p) => !p.ok);
    case 'on-schedule-or-suspicion':
      return probes.some((p) => !p.ok) || isMetricsTick(at, schedule);
  }
}

/**
 * The `InstanceId` values applications are told to print (docs/per-target-distribution.md): the
 * target id, `ip:port` for IP targets, and `id:port` for an id registered on several ports (its
 * bare id is asked too). Each identity queried is one more metric fetched, so only these are asked.
 */
export function counterIdentities(snapshot: LbSnapshot): string[] {
  const ports = new Map<string, Set<number>>();
  const ids = new Set<string>();
  for (const group of snapshot.targetGroups) {
    for (const t of group.targets) {
      const port = t.port ?? group.port;
      if (group.targetType === 'ip' && port !== undefined) ids.add(`${t.id}:${port}`);
      else ids.add(t.id);
      if (port !== undefined) ports.set(t.id, (ports.get(t.id) ?? new Set<number>()).add(port));
    }
  }
  for (const [id, set] of ports) if (set.size > 1) for (const port of set) ids.add(`${id}:${port}`);
  return [...ids].sort();
}

/** The availability zones the snapshot's targets sit in, sorted: the ALB metrics' AZ dimension. */
export function targetZones(snapshot: LbSnapshot): string[] {
  const zones = new Set(
    snapshot.targetGroups.flatMap((g) =>
      g.targets.flatMap((t) => (t.availabilityZone ? [t.availabilityZone] : [])),
    ),
  );
  return [...zones].sort();
}
