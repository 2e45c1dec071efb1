/**
 * Convergence (DESIGN.md "Converged"): after an ELBv2 write, does the data plane serve the shares
 * the new configuration models? The API accepting a write is not evidence that traffic moved:
 * canary tools that steer ALB weights keep bugs of exactly that kind (weights accepted, traffic
 * not yet moved, old targets scaled away, 503s). So "verified" needs per-target counts observed
 * after the write (served-by bursts, per-instance counters) that the skew test finds balanced
 * against the routing model at the configured false-positive rate.
 *
 * Two judgements, both pure:
 * - `judgeDataPlane`: one look (the samples taken at one moment) → following / not following /
 *   not observable. Unevenness the load balancer's intent explains (lib/intent.ts) is following.
 * - `trackConvergence`: looks in time order since the write → converged (with the propagation
 *   lag, write → first look of the current run of following looks), converging (inside the
 *   deadline) or not following (past it: the data plane is not following the configuration).
 */
import { explainPerTargetSkew, type Intent } from './intent.ts';
import { formatPercent, modelRouting } from './routing.ts';
import {
  describePerTargetShares,
  type PerTargetShares,
  type PerTargetSource,
  sharesFromInstanceCounts,
  sharesFromServedBy,
  targetKeyResolver,
} from './served-by.ts';
import type { ServedBySample, SkewResult, SkewThresholds } from './types.ts';

/** Per-target counts the data plane was seen serving, from one source at one moment. */
export interface DataPlaneSample {
  readonly source: PerTargetSource;
  readonly at: string;
  /** Requests per identity as the source printed it (served-by value, instance id, `id:port`). */
  readonly counts: Readonly<Record<string, number>>;
}

/** One look at the data plane, judged against the configuration in force. */
export type DataPlaneLook =
  | { readonly kind: 'following'; readonly at: string; readonly evidence: readonly string[] }
  | { readonly kind: 'not-following'; readonly at: string; readonly evidence: readonly string[] }
  /** Nothing to judge: no sample, too few requests, or no sampled identity names a target. */
  | { readonly kind: 'unobserved'; readonly at: string; readonly reason: string };

/**
 * Judges the samples of one look against the routing `intent.snapshot` and `intent.health` model.
 * Any sample that departs from the model (and that the intent does not explain) makes the look
 * not following; otherwise one balanced sample makes it following. A sample answered by targets
 * last known good registered and the configuration no longer does (a deregistration the data
 * plane has not applied) is not following either, whatever the rest of it says.
 */
export function judgeDataPlane(
  samples: readonly DataPlaneSample[],
  intent: Intent,
  thresholds: SkewThresholds,
  at: string,
): DataPlaneLook {
  if (samples.length === 0) return { kind: 'unobserved', at, reason: 'no per-target sample taken' };
  const model = modelRouting(intent.snapshot, intent.health);
  const options = { snapshot: intent.snapshot, thresholds };
  const gone = intent.lastGood === undefined ? undefined : targetKeyResolver(intent.lastGood);
  const following: string[] = [];
  const departing: string[] = [];
  const unobserved: string[] = [];
  for (const sample of samples) {
    const shares =
      sample.source === 'served-by'
        ? sharesFromServedBy({ service: '', at: sample.at, counts: sample.counts }, model, options)
        : sharesFromInstanceCounts(sample.counts, model, options);
    const stale = staleCount(shares, sample.counts, gone);
    if (shares.samples >= thresholds.minSamples && stale / shares.samples >= thresholds.minEffectSize) {
      departing.push(
        `${describePerTargetShares(shares)}: ${stale} of ${shares.samples} answered by targets the configuration no longer registers`,
      );
      continue;
    }
    const test = shares.test;
    if (test.kind === 'untested') {
      // Identities that name targets but fit no route: the data plane serves a route the
      // configuration no longer has. Identities that name nothing are the application's choice.
      if (
        shares.unmatched.length < Object.keys(sample.counts).length &&
        shares.samples >= thresholds.minSamples
      )
        departing.push(describePerTargetShares(shares));
      else unobserved.push(`${shares.source}: ${test.reason}`);
      continue;
    }
    const idle = test.skew.kind === 'balanced' ? idleTargets(shares, test.expected) : undefined;
    if (idle !== undefined) {
      // The same intent that excuses a skew excuses an idle target (slow start, a shifted zone).
      const intended = explainPerTargetSkew({ ...shares, test: { ...test, skew: idle } }, intent, thresholds);
      if (intended !== undefined) following.push(intended, describePerTargetShares(shares));
      else departing.push(`${describePerTargetShares(shares)}:`, ...idle.evidence.map((e) => `  ${e}`));
      continue;
    }
    switch (test.skew.kind) {
      case 'insufficient-data':
        unobserved.push(
          `${shares.source}: ${test.skew.samples} request(s) counted, fewer than ${test.skew.minSamples}`,
        );
        break;
      case 'balanced':
        following.push(describePerTargetShares(shares));
        break;
      case 'skewed': {
        const intended = explainPerTargetSkew(shares, intent, thresholds);
        if (intended !== undefined) following.push(intended, describePerTargetShares(shares));
        else
          departing.push(`${describePerTargetShares(shares)}:`, ...test.skew.evidence.map((e) => `  ${e}`));
      }
    }
  }
  if (departing.length > 0) return { kind: 'not-following', at, evidence: departing };
  if (following.length > 0) return { kind: 'following', at, evidence: following };
  return { kind: 'unobserved', at, reason: unobserved.join('; ') };
}

/**
 * Significance at which a set of idle targets says the data plane departs from the model. Looser
 * than the skew test's false-positive rate on purpose: here a false alarm only defers "verified"
 * by one look, while a miss calls a stuck data plane verified.
 */
export const IDLE_TARGETS_SIGNIFICANCE = 0.01;

/**
 * The skew test cannot see the outage this module exists for at burst sizes: the old routing
 * still served, half the targets idle (15/15/0/0 of 30 against 25% each is p = 1.4e-3 after the
 * Bonferroni correction, "balanced" at 1e-4). So the number of targets that answered nothing is
 * tested on its own: under the model, m of k targets all idle in n requests has probability at
 * most C(k, m)·(1 − S)ⁿ, S the m smallest expected shares summed (a union bound over every set
 * of m). Below `IDLE_TARGETS_SIGNIFICANCE` that is a departure, returned as a skew result.
 */
function idleTargets(
  shares: PerTargetShares,
  expected: Readonly<Record<string, number>>,
): Extract<SkewResult, { kind: 'skewed' }> | undefined {
  const keys = Object.keys(expected);
  const total = keys.reduce((sum, key) => sum + (expected[key] ?? 0), 0);
  // Heaviest first: the first row the model expects is the heaviest target.
  const rows = shares.shares.filter((r) => r.key in expected);
  const n = rows.reduce((sum, r) => sum + r.count, 0);
  const idle = rows.filter((r) => r.count === 0).map((r) => r.key);
  const [k, m] = [keys.length, idle.length];
  if (m === 0 || m === k || !(total > 0)) return undefined;
  const smallest = keys
    .map((key) => (expected[key] ?? 0) / total)
    .sort((a, b) => a - b)
    .slice(0, m)
    .reduce((a, b) => a + b, 0);
  // (1 − S)ⁿ times C(k, m), the number of sets of m targets.
  let pValue = (1 - smallest) ** n;
  for (let i = 1; i <= m; i++) pValue = (pValue * (k - m + i)) / i;
  if (pValue >= IDLE_TARGETS_SIGNIFICANCE) return undefined;
  const idleShare = idle.reduce((sum, key) => sum + (expected[key] ?? 0) / total, 0);
  const top = rows[0];
  return {
    kind: 'skewed',
    samples: n,
    pValue,
    effectSize: idleShare,
    heaviest: {
      key: top?.key ?? '',
      observedShare: n === 0 ? 0 : (top?.count ?? 0) / n,
      expectedShare: (expected[top?.key ?? ''] ?? 0) / total,
    },
    evidence: [
      `${m} of ${k} targets the configuration gives ${formatPercent(idleShare)} of the traffic answered none of ${n} requests: ${idle.join(', ')} (p ≤ ${pValue.toExponential(1)} < ${IDLE_TARGETS_SIGNIFICANCE})`,
    ],
  };
}

/** Requests answered by identities that name a target of last known good but none of the live snapshot. */
function staleCount(
  shares: PerTargetShares,
  counts: Readonly<Record<string, number>>,
  gone: ReturnType<typeof targetKeyResolver> | undefined,
): number {
  if (gone === undefined) return 0;
  return shares.unmatched.filter((id) => gone.names(id)).reduce((n, id) => n + (counts[id] ?? 0), 0);
}

/** Where convergence after one write stands. */
export type Convergence =
  | {
      readonly kind: 'converged';
      readonly writtenAt: string;
      /** The first look of the current run of following looks. */
      readonly convergedAt: string;
      /** Propagation lag, write → `convergedAt`, in seconds (≥ 0). */
      readonly lagSeconds: number;
      readonly evidence: readonly string[];
    }
  /** Not following yet, or not observed yet, and the deadline has not passed. */
  | { readonly kind: 'converging'; readonly writtenAt: string; readonly evidence: readonly string[] }
  /** Past the deadline, the last look departs from the model: "not following the configuration". */
  | { readonly kind: 'not-following'; readonly writtenAt: string; readonly evidence: readonly string[] }
  /** No look since the write could be judged: nothing says whether the traffic moved. */
  | { readonly kind: 'unobserved'; readonly writtenAt: string; readonly reason: string };

/**
 * Where convergence after a write at `writtenAt` stands, from the looks since (oldest first), at
 * `at`, with `deadlineSeconds` for the data plane to follow. An unobserved look neither starts nor
 * ends a run of following looks: a thin burst says nothing about the traffic. With no judged look
 * at all the answer is `unobserved` at once, and callers verify on configuration and probes alone
 * (saying so); once a look departed from the model, only a following look or the deadline ends it.
 * @throws RangeError when `deadlineSeconds` is negative or a time is not ISO-8601.
 */
export function trackConvergence(
  looks: readonly DataPlaneLook[],
  writtenAt: string,
  at: string,
  deadlineSeconds: number,
): Convergence {
  if (!(deadlineSeconds >= 0)) throw new RangeError(`deadlineSeconds is ${deadlineSeconds}; give 0 or more`);
  const written = parseTime(writtenAt, 'writtenAt');
  const past = parseTime(at, 'at') - written >= deadlineSeconds * 1000;
  let since: DataPlaneLook | undefined;
  let last: DataPlaneLook | undefined;
  for (const look of looks) {
    if (look.at < writtenAt || look.kind === 'unobserved') continue;
    last = look;
    if (look.kind === 'not-following') since = undefined;
    else since ??= look;
  }
  if (since !== undefined && last?.kind === 'following') {
    return {
      kind: 'converged',
      writtenAt,
      convergedAt: since.at,
      lagSeconds: Math.max(0, (parseTime(since.at, 'look') - written) / 1000),
      evidence: last.evidence,
    };
  }
  if (last === undefined) {
    // No look could be judged: a source that names no target, or thin bursts, would otherwise hold
    // every verification to the deadline. Waiting only helps once something was seen departing.
    const reason =
      looks.filter((l) => l.kind === 'unobserved').at(-1)?.reason ?? 'no per-target sample taken';
    return { kind: 'unobserved', writtenAt, reason };
  }
  const evidence = last.kind === 'not-following' ? last.evidence : [];
  return past ? { kind: 'not-following', writtenAt, evidence } : { kind: 'converging', writtenAt, evidence };
}

/** One evidence line: `data plane converged 12 s after the write at 14:02:11 (propagation lag)`. */
export function describeConvergence(c: Convergence, deadlineSeconds: number): string {
  switch (c.kind) {
    case 'converged':
      return `data plane: observed shares match the configuration since ${c.convergedAt}, ${Math.round(c.lagSeconds)} s after the write at ${c.writtenAt} (propagation lag)`;
    case 'converging':
      return `data plane: not yet serving the configured shares; converging since the write at ${c.writtenAt} (deadline ${deadlineSeconds} s)`;
    case 'not-following':
      return `data plane is not following the configuration: written at ${c.writtenAt}, observed shares still depart from the model ${deadlineSeconds} s later`;
    case 'unobserved':
      return `data plane: not observed since the write at ${c.writtenAt} (${c.reason}); verified on configuration and probes only`;
  }
}

function parseTime(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`${field} is not an ISO-8601 time: ${iso}`);
  return ms;
}

/** When the routing in force was written, and how that is known. */
export interface WriteTime {
  readonly at: string;
  /** `cloudtrail`: the call's own time; `first-seen`: when lbguard first saw the routing (the write was before). */
  readonly source: 'cloudtrail' | 'first-seen';
}

/**
 * When the routing in force was written, for inspect: the newest CloudTrail change no older than
 * one inspect period before the routing was first seen (an event may also arrive after it), else
 * that first sighting. Undefined on a first observation, when nothing says a write happened.
 */
export function lastWriteAt(input: {
  readonly changes: readonly { readonly at: string }[];
  /** When the live routing was first observed (lib/observation.ts `routingSince`). */
  readonly routingSince: string;
  readonly firstObservation: boolean;
  readonly inspectPeriodMs: number;
}): WriteTime | undefined {
  if (input.firstObservation) return undefined;
  const earliest = new Date(Date.parse(input.routingSince) - input.inspectPeriodMs).toISOString();
  const change = input.changes.filter((c) => c.at >= earliest).at(-1);
  return change === undefined
    ? { at: input.routingSince, source: 'first-seen' }
    : { at: change.at, source: 'cloudtrail' };
}

/**
 * Inspect's convergence after the newest write (a deployment's or lbguard's): every sample since
 * the write is one look, judged under the configuration in force now; nothing judged inside the
 * deadline is `converging`. Once the write is older than the deadline plus `graceMs` only
 * `not-following` is reported (a stuck data plane must never read as healthy); anything else is
 * undefined, as it is when no write is known.
 */
export function convergenceSinceWrite(input: {
  readonly writtenAt: string | undefined;
  readonly at: string;
  readonly deadlineSeconds: number;
  readonly graceMs: number;
  /** Served-by bursts, any time: those since the write are looks. */
  readonly servedBy: readonly ServedBySample[];
  /** The instances' counters over a window: a look only when the whole window follows the write. */
  readonly counters?: { readonly counts: Readonly<Record<string, number>>; readonly windowStart: string };
  readonly intent: Intent;
  readonly thresholds: SkewThresholds;
}): Convergence | undefined {
  const { writtenAt, at } = input;
  if (writtenAt === undefined) return undefined;
  const age = parseTime(at, 'at') - parseTime(writtenAt, 'writtenAt');
  const counters = input.counters;
  const samples: DataPlaneSample[] = [
    ...input.servedBy.map((s): DataPlaneSample => ({ source: 'served-by', at: s.at, counts: s.counts })),
    ...(counters !== undefined && counters.windowStart >= writtenAt
      ? [{ source: 'instance-counters' as const, at, counts: counters.counts }]
      : []),
  ];
  const looks = samples
    .filter((s) => s.at >= writtenAt)
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((s) => judgeDataPlane([s], input.intent, input.thresholds, s.at));
  const convergence = trackConvergence(looks, writtenAt, at, input.deadlineSeconds);
  // Inspect has no loop of its own to wait in: inside the deadline, nothing judged yet means
  // the next probe burst may still tell, so the write is given its time.
  if (convergence.kind === 'unobserved' && age < input.deadlineSeconds * 1000)
    return { kind: 'converging', writtenAt, evidence: [] };
  // A data plane that never followed stays named however old the write; anything else is news
  // only while the write is.
  if (convergence.kind !== 'not-following' && age > input.deadlineSeconds * 1000 + input.graceMs)
    return undefined;
  return convergence;
}

/**
 * The propagation lag to publish, in milliseconds: only when convergence was first seen since the
 * previous observation (`previousAt`), so a lag is published once, not every cycle, and only when
 * the write's own time is known (a first sighting would publish a lag it cannot measure).
 */
export function lagToPublish(
  c: Convergence | undefined,
  write: WriteTime | undefined,
  previousAt: string,
): number | undefined {
  if (write?.source !== 'cloudtrail' || c?.kind !== 'converged' || c.convergedAt <= previousAt)
    return undefined;
  return Math.round(c.lagSeconds * 1000);
}
