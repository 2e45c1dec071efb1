// "Rebalanced" as a sustained property of the customers' traffic: the first moment after which
// the per-target spread stays within tolerance of the baseline's for a hold window, with no
// sustained skew later. The earlier measure took the end of the *last* skewed 500 ms bucket, so
// one bucket late in a run (a bucket with a handful of responses, a bucket nobody sent in, the
// final bucket cut by the end of the load, a blip while a restarted server rejoined) moved the
// figure by many seconds while the chart showed traffic spread long before.

/** Milliseconds since the fault. */
type RelMs = number;

/** Served-by counts of the customer requests sent in one bucket. */
export interface SpreadBucket {
  readonly start: RelMs;
  readonly requests: number;
  readonly byTarget: Readonly<Record<string, number>>;
}

export interface RebalanceSettings {
  readonly bucketMs: number;
  /** Total variation distance from the baseline spread up to which a bucket is balanced. */
  readonly tolerance: number;
  /** Responses with a served-by header below which a bucket says nothing about the spread. */
  readonly minSamples: number;
  /** How long the spread must hold, and how long a skew must last to count. */
  readonly holdMs: number;
}

/** 500 ms buckets (≈ 75 requests at 150 req/s), TVD ≤ 0.2, 20 samples, held 2 s (4 buckets). */
export const DEFAULT_REBALANCE: RebalanceSettings = {
  bucketMs: 500,
  tolerance: 0.2,
  minSamples: 20,
  holdMs: 2_000,
};

export type SpreadVerdict = 'balanced' | 'skewed' | 'unknown';

/** Total variation distance between two distributions over targets. */
export function totalVariation(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  const keys = new Set([...a.keys(), ...b.keys()]);
  let sum = 0;
  for (const k of keys) sum += Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0));
  return sum / 2;
}

/** Counts to shares (all zero when there are no counts). */
export function sharesOf(counts: Readonly<Record<string, number>>): Map<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return new Map(Object.entries(counts).map(([k, v]) => [k, total === 0 ? 0 : v / total]));
}

/**
 * One bucket's verdict. Too few served-by responses says nothing, unless customers did send
 * requests and the targets did not answer them: that is traffic not spread at all.
 */
export function judgeSpread(
  bucket: SpreadBucket,
  reference: ReadonlyMap<string, number>,
  settings: RebalanceSettings = DEFAULT_REBALANCE,
): SpreadVerdict {
  const served = Object.values(bucket.byTarget).reduce((a, b) => a + b, 0);
  if (served < settings.minSamples) return bucket.requests >= settings.minSamples ? 'skewed' : 'unknown';
  return totalVariation(sharesOf(bucket.byTarget), reference) <= settings.tolerance ? 'balanced' : 'skewed';
}

/**
 * When traffic was spread like the baseline again for good: the start of the first hold window
 * of balanced buckets (unknown ones neither break nor make it) after the last sustained skew
 * (at least a hold window of skewed buckets, unknown ones in between not breaking it). Skews
 * shorter than the hold are ignored. `0` when the spread never left the baseline; undefined
 * when it does not hold to the end of the run, or there is no baseline to compare with.
 */
export function rebalancedAt(
  buckets: readonly SpreadBucket[],
  reference: ReadonlyMap<string, number>,
  settings: RebalanceSettings = DEFAULT_REBALANCE,
): RelMs | undefined {
  if (reference.size === 0) return undefined;
  const verdicts = buckets.map((b) => judgeSpread(b, reference, settings));
  const hold = Math.max(1, Math.ceil(settings.holdMs / settings.bucketMs));
  // Index after the last sustained skew: a run of non-balanced buckets with ≥ hold skewed ones.
  let after = 0;
  let skewedInRun = 0;
  verdicts.forEach((v, i) => {
    if (v === 'balanced') skewedInRun = 0;
    else if (v === 'skewed' && ++skewedInRun >= hold) after = i + 1;
  });
  for (let j = after; j + hold <= verdicts.length; j++) {
    if (verdicts[j] !== 'balanced') continue;
    const window = verdicts.slice(j, j + hold);
    if (window.includes('skewed')) continue;
    if (j === 0) return 0;
    return buckets[j]?.start;
  }
  return undefined;
}
