/**
 * Per-target distribution beyond CloudWatch (DESIGN.md "What CloudWatch can and cannot see").
 *
 * CloudWatch counts requests per target group, never per target, so concentration inside a group
 * is invisible to it. Two sources see further: served-by samples (a probe burst records which
 * target answered) and counters the application emits per instance (lib/instance-counters.ts).
 * Both arrive as counts per identity the application chose to print; this module maps those
 * identities onto the snapshot's target keys, turns counts into shares with a Wilson score
 * interval (honest at the small sample sizes a probe burst gives), and tests them against the
 * routing model's expected shares for one route with `testSkew`.
 */
import { describeRoute, formatPercent } from './routing.ts';
import { testSkew } from './skew.ts';
import type {
  LbSnapshot,
  RouteModel,
  RoutingModel,
  ServedBySample,
  SkewResult,
  SkewThresholds,
} from './types.ts';
import { targetKey } from './types.ts';

/** Where per-target counts came from; evidence always says which. */
export type PerTargetSource = 'served-by' | 'instance-counters';

/** One identity's count and share, with a Wilson score interval at the requested confidence. */
export interface TargetShare {
  /** A target key (`id:port`, `id` for lambda targets) or, when unmatched, the value as sampled. */
  readonly key: string;
  readonly count: number;
  readonly share: number;
  readonly low: number;
  readonly high: number;
}

export type PerTargetTest =
  | {
      readonly kind: 'tested';
      readonly route: RouteModel;
      /** Expected share per target key of the route (sums to 1, or empty when it reaches no target). */
      readonly expected: Readonly<Record<string, number>>;
      readonly skew: SkewResult;
      /** Requests left out of the test: unmatched identities, or targets outside the route. */
      readonly excluded: number;
      /** Routes that could have produced the counts; more than one means the route was inferred. */
      readonly candidates: number;
    }
  | { readonly kind: 'untested'; readonly reason: string };

export interface PerTargetShares {
  readonly source: PerTargetSource;
  /** Every counted request, matched or not. */
  readonly samples: number;
  readonly confidence: number;
  /** Heaviest first; keys are target keys where the identity names a target. */
  readonly shares: readonly TargetShare[];
  /** Sampled identities that name no target of the snapshot (or several, ambiguously). */
  readonly unmatched: readonly string[];
  readonly test: PerTargetTest;
}

export interface PerTargetOptions {
  /** The snapshot the model was built from: it knows every registered target, routed or not. */
  readonly snapshot: LbSnapshot;
  readonly thresholds: SkewThresholds;
  /** The route the sample exercised, when the caller knows it (the probe's URL matched a rule). */
  readonly route?: RouteModel;
  /** Confidence of the per-target intervals, in (0, 1). */
  readonly confidence?: number;
}

const DEFAULT_CONFIDENCE = 0.95;

/**
 * Served-by sample → per-target shares with intervals, tested against the expected per-target
 * shares of the route it exercised. Without `options.route`, the route is inferred: every route
 * whose forwarded groups hold all the matched identities could have produced the sample, and the
 * one that explains it best is tested, because a false "skewed" from guessing the wrong route
 * is worse than a missed one that CloudWatch or the routing model will still catch.
 * @throws RangeError when a count is negative or not finite, or the confidence is not in (0, 1).
 */
export function sharesFromServedBy(
  sample: ServedBySample,
  model: RoutingModel,
  options: PerTargetOptions,
): PerTargetShares {
  return perTargetShares(sample.counts, 'served-by', model, options);
}

/**
 * Per-instance request counts (from the application's EMF counters) → per-target shares, tested
 * against a route. An instance counts the requests of every route that reaches it, so only a
 * route whose target groups no other route forwards to can be tested; of several such routes the
 * one that departs most from its expected shares is reported, since each is a real observation.
 * @throws RangeError when a count is negative or not finite, or the confidence is not in (0, 1).
 */
export function sharesFromInstanceCounts(
  counts: Readonly<Record<string, number>>,
  model: RoutingModel,
  options: PerTargetOptions,
): PerTargetShares {
  return perTargetShares(counts, 'instance-counters', model, options);
}

function perTargetShares(
  counts: Readonly<Record<string, number>>,
  source: PerTargetSource,
  model: RoutingModel,
  options: PerTargetOptions,
): PerTargetShares {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  for (const [identity, count] of Object.entries(counts)) {
    if (!Number.isFinite(count) || count < 0) throw new RangeError(`count for ${identity} is ${count}`);
  }
  const resolver = targetKeyResolver(options.snapshot);
  const routes = options.route === undefined ? model.routes : [options.route];
  const scoped = routes
    .map((route) => ({ route, scope: routeScope(route, options.snapshot) }))
    .filter((r) => r.scope.size > 0);
  const test = chooseTest(counts, source, scoped, resolver, options);
  const scope = test.kind === 'tested' ? scoped.find((r) => r.route === test.route)?.scope : undefined;
  const byKey = new Map<string, number>();
  const unmatched: string[] = [];
  for (const [identity, count] of Object.entries(counts)) {
    const key = resolver(identity, scope);
    if (key === undefined) unmatched.push(identity);
    byKey.set(key ?? identity, (byKey.get(key ?? identity) ?? 0) + count);
  }
  // A target the route should reach but that answered nothing is the most telling row of all.
  if (test.kind === 'tested')
    for (const key of Object.keys(test.expected)) if (!byKey.has(key)) byKey.set(key, 0);
  const samples = [...byKey.values()].reduce((a, b) => a + b, 0);
  const shares = [...byKey]
    .map(([key, count]) => ({
      key,
      count,
      share: samples === 0 ? 0 : count / samples,
      ...wilsonInterval(count, samples, confidence),
    }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  return { source, samples, confidence, shares, unmatched: unmatched.sort(), test };
}

interface ScopedRoute {
  readonly route: RouteModel;
  /** Target keys registered in the groups the route forwards to, weight 0 included. */
  readonly scope: ReadonlySet<string>;
}

function chooseTest(
  counts: Readonly<Record<string, number>>,
  source: PerTargetSource,
  routes: readonly ScopedRoute[],
  resolve: TargetKeyResolver,
  options: PerTargetOptions,
): PerTargetTest {
  const identities = Object.keys(counts);
  const named = identities.filter((id) => resolve.names(id));
  if (named.length === 0) {
    return {
      kind: 'untested',
      reason:
        identities.length === 0
          ? 'no requests counted'
          : `no ${source === 'served-by' ? 'served-by value' : 'instance id'} names a target of the load balancer`,
    };
  }
  const candidates =
    source === 'served-by'
      ? routes.filter((r) => named.every((id) => resolveWithin(resolve, id, r.scope) !== undefined))
      : routes.filter((r) => !routes.some((o) => o !== r && overlaps(o.scope, r.scope)));
  const tests = candidates.flatMap((r) => {
    const observed: Record<string, number> = {};
    let included = 0;
    for (const [id, count] of Object.entries(counts)) {
      const key = resolveWithin(resolve, id, r.scope);
      if (key === undefined) continue;
      observed[key] = (observed[key] ?? 0) + count;
      included += count;
    }
    if (source === 'instance-counters' && Object.keys(observed).length === 0) return [];
    const expected = expectedTargetShares(r.route);
    const skew = testSkew(observed, expected, options.thresholds);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    return [{ route: r.route, expected, skew, excluded: total - included }];
  });
  if (tests.length === 0) {
    return {
      kind: 'untested',
      reason:
        source === 'served-by'
          ? 'no single route forwards to every target in the sample'
          : 'every counted target is also reached by another route, so its counts mix routes',
    };
  }
  // Served-by: the route is a guess, keep the one that explains the sample best. Counters: every
  // candidate is real, report the one that departs most.
  const ranked = [...tests].sort((a, b) => departure(a.skew, b.skew));
  const chosen = (source === 'served-by' ? ranked[0] : ranked.at(-1)) as (typeof tests)[number];
  return { kind: 'tested', ...chosen, candidates: tests.length };
}

/** Orders skew results from the most plausible (not skewed, high p, small effect) to the least. */
function departure(a: SkewResult, b: SkewResult): number {
  const rank = (s: SkewResult) =>
    s.kind === 'insufficient-data' ? [0, 1, 0] : [s.kind === 'skewed' ? 1 : 0, s.pValue, s.effectSize];
  const [as, ap, ae] = rank(a) as [number, number, number];
  const [bs, bp, be] = rank(b) as [number, number, number];
  return as - bs || bp - ap || ae - be;
}

function resolveWithin(
  resolve: TargetKeyResolver,
  identity: string,
  scope: ReadonlySet<string>,
): string | undefined {
  const key = resolve(identity, scope);
  return key !== undefined && scope.has(key) ? key : undefined;
}

function overlaps(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const key of a) if (b.has(key)) return true;
  return false;
}

/** Expected share of a route's requests per target key (targets with a share only). */
export function expectedTargetShares(route: RouteModel): Record<string, number> {
  const expected: Record<string, number> = {};
  for (const { destination, share } of route.shares) {
    if (destination.kind !== 'target' || share <= 0) continue;
    const key = targetKey(destination);
    expected[key] = (expected[key] ?? 0) + share;
  }
  return expected;
}

/**
 * Every target registered in a group the route's configuration names, at any weight: a target
 * the configuration gives 0% but that answers anyway is evidence, not noise.
 */
function routeScope(route: RouteModel, snapshot: LbSnapshot): Set<string> {
  const listener = snapshot.listeners.find((l) => l.arn === route.listenerArn);
  const actions =
    route.ruleArn === 'default'
      ? listener?.defaultActions
      : listener?.rules.find((r) => r.arn === route.ruleArn)?.actions;
  const arns = new Set<string>();
  for (const action of actions ?? []) {
    if (action.type === 'forward') for (const g of action.targetGroups) arns.add(g.targetGroupArn);
  }
  for (const { destination } of route.shares) {
    if (destination.kind === 'target' || destination.kind === 'empty-group')
      arns.add(destination.targetGroupArn);
  }
  const keys = new Set<string>();
  for (const group of snapshot.targetGroups) {
    if (arns.has(group.arn)) for (const t of group.targets) keys.add(targetKey(t));
  }
  for (const { destination } of route.shares) {
    if (destination.kind === 'target') keys.add(targetKey(destination));
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Identities → target keys
// ---------------------------------------------------------------------------------------------

/**
 * Maps an identity as an application printed it to a target key, within `scope` when given.
 * Undefined when it names no target, or several and the scope does not decide between them.
 */
export interface TargetKeyResolver {
  (identity: string, scope?: ReadonlySet<string>): string | undefined;
  /** Whether the identity names any target at all, ambiguously or not. */
  names(identity: string): boolean;
}

/**
 * A resolver over the snapshot's registered targets. Accepted identities: the target key
 * (`i-0a:8080`, `10.0.1.17:31337`, a lambda ARN), the bare id (`i-0a`) when it is unambiguous,
 * and `id:port` for a target registered without a port on a group with that port.
 */
export function targetKeyResolver(snapshot: LbSnapshot): TargetKeyResolver {
  const candidates = new Map<string, Set<string>>();
  const add = (identity: string, key: string) => {
    const set = candidates.get(identity) ?? new Set<string>();
    set.add(key);
    candidates.set(identity, set);
  };
  for (const group of snapshot.targetGroups) {
    for (const t of group.targets) {
      const key = targetKey(t);
      add(key, key);
      add(t.id, key);
      if (t.port === undefined && group.port !== undefined) add(`${t.id}:${group.port}`, key);
    }
  }
  const resolve = (identity: string, scope?: ReadonlySet<string>): string | undefined => {
    const keys = candidates.get(identity);
    if (keys === undefined) return undefined;
    // An exact key wins over an id that several targets share.
    if (keys.has(identity)) return identity;
    const inScope = scope === undefined ? [...keys] : [...keys].filter((k) => scope.has(k));
    return inScope.length === 1 ? inScope[0] : undefined;
  };
  return Object.assign(resolve, { names: (identity: string) => candidates.has(identity) });
}

// ---------------------------------------------------------------------------------------------
// Wilson score interval
// ---------------------------------------------------------------------------------------------

/**
 * Wilson score interval for a binomial proportion `count / total` at `confidence`. Unlike the
 * normal approximation it stays inside [0, 1] and is not degenerate at 0 or `total`, which is
 * exactly where a concentrated target sits. `total` 0 gives [0, 1]: nothing is known.
 * @throws RangeError when confidence is not in (0, 1) or count is outside [0, total].
 */
export function wilsonInterval(
  count: number,
  total: number,
  confidence = DEFAULT_CONFIDENCE,
): { readonly low: number; readonly high: number } {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence ${confidence} is not in (0, 1)`);
  if (!(count >= 0 && count <= total)) throw new RangeError(`count ${count} is not in [0, ${total}]`);
  if (total === 0) return { low: 0, high: 1 };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const z2 = z * z;
  const p = count / total;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Inverse of the standard normal CDF for p in (0, 1) (Acklam's rational approximation, relative
 * error below 1.2e-9: far finer than any confidence level anyone configures).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability ${p} is not in (0, 1)`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const poly = (coefficients: readonly number[], x: number) =>
    coefficients.reduce((acc, k) => acc * x + k, 0);
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

const SHOWN_TARGETS = 6;
const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `120 served-by samples`, `4,812 requests counted by the instances (EMF InstanceRequests)`. */
export function describeSource(result: Pick<PerTargetShares, 'source' | 'samples'>): string {
  const n = COUNT_FORMAT.format(result.samples);
  return result.source === 'served-by'
    ? `${n} served-by sample${result.samples === 1 ? '' : 's'}`
    : `${n} request${result.samples === 1 ? '' : 's'} counted by the instances (EMF InstanceRequests)`;
}

/** `i-0a:80 98% [95–99%]`. */
export function describeShare(s: TargetShare): string {
  return `${s.key} ${formatPercent(s.share)} [${formatPercent(s.low).replace('%', '')}–${formatPercent(s.high)}]`;
}

/**
 * One evidence line naming the source, the route tested and the heaviest targets, e.g.
 * `per-target shares from 120 served-by samples for listener :80 default action (95% intervals): i-0a:80 98% [95–99%], …`.
 */
export function describePerTargetShares(result: PerTargetShares): string {
  const route = result.test.kind === 'tested' ? ` for ${describeRoute(result.test.route)}` : '';
  const shown = result.shares.slice(0, SHOWN_TARGETS).map(describeShare);
  const more =
    result.shares.length > SHOWN_TARGETS ? `, … and ${result.shares.length - SHOWN_TARGETS} more` : '';
  const unmatched =
    result.unmatched.length === 0
      ? ''
      : `; ${result.unmatched.length} value(s) name no target: ${result.unmatched.slice(0, 3).join(', ')}`;
  const untested = result.test.kind === 'untested' ? `; not tested: ${result.test.reason}` : '';
  return `per-target shares from ${describeSource(result)}${route} (${formatPercent(result.confidence)} intervals): ${shown.join(', ')}${more}${unmatched}${untested}`;
}
