/**
 * Benchmark of the load balancer's intent (lib/intent.ts, docs/intent.md): how many simulated
 * windows `diagnose` calls routing skew when ALB concentrates traffic on purpose, and, beside
 * it, that configuration skew is still caught under the same algorithms.
 *
 *   npx tsx bench/intent.ts [--seed 20261204] [--windows 10000]
 *
 * - Anomaly mitigation: `weighted_random` + `anomaly_mitigation=on`, 3–8 targets, one under
 *   mitigation whose weight ALB lowers step by step and ramps back (1, ½, ¼, ⅛, 1/16, then back).
 * - Least outstanding requests: 2–8 targets with latencies drawn 1–8× apart; shares follow the
 *   inverse of latency.
 * - Controls: the same windows diagnosed as round robin without anomaly results page many of
 *   them, so the zeros are the intent's doing, not a test that cannot fire.
 * - Configuration skew under both: last known good 50/50 over two groups, now 100/0, observed
 *   counts following the new weights: must page every window.
 *
 * Counts come as per-instance counters or served-by samples (alternating), 30–5,000 requests per
 * window (log-uniform). A "page" here is a window diagnosed `routing-skew`; a real incident
 * also needs `consecutiveBreaches` such windows in a row, so this counts pages generously.
 * Writes bench/results-intent.json.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { diagnose } from '../lib/diagnosis.ts';
import { seededRandom } from '../lib/random.ts';
import type { LbSnapshot, Signals, TargetGroup, TargetHealth, Thresholds } from '../lib/types.ts';
import { DEFAULT_THRESHOLDS, sampleMultinomial } from './skew.ts';

export const DEFAULT_SEED = 20261204;

const THRESHOLDS: Thresholds = {
  skew: DEFAULT_THRESHOLDS,
  errorRate: 0.05,
  consecutiveBreaches: 2,
  soakSeconds: 900,
};
const AT = '2026-12-04T10:00:00.000Z';
const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/1';
/** ALB's mitigation lowers an anomalous target's weight step by step, then ramps it back. */
const MITIGATION_STEPS = [1, 0.5, 0.25, 0.125, 0.0625, 0.0625, 0.125, 0.25, 0.5, 1] as const;

function group(name: string, targets: number, intent: Partial<TargetGroup> = {}): TargetGroup {
  return {
    arn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0123456789abcdef`,
    name,
    protocol: 'HTTP',
    port: 80,
    targetType: 'instance',
    healthCheck: {},
    targets: Array.from({ length: targets }, (_, i) => ({ id: `i-${name}-${i}`, port: 80 })),
    ...intent,
  };
}

function lb(groups: readonly TargetGroup[], weights: readonly number[]): LbSnapshot {
  return {
    loadBalancerArn: LB,
    listeners: [
      {
        arn: LISTENER,
        port: 80,
        protocol: 'HTTP',
        defaultActions: [
          {
            type: 'forward',
            targetGroups: groups.map((g, i) => ({ targetGroupArn: g.arn, weight: weights[i] ?? 1 })),
          },
        ],
        rules: [],
      },
    ],
    targetGroups: groups,
  };
}

function healthy(s: LbSnapshot, anomalous?: string): TargetHealth[] {
  return s.targetGroups.flatMap((g) =>
    g.targets.map((t) => ({
      targetGroupArn: g.arn,
      targetId: t.id,
      port: 80,
      state: 'healthy' as const,
      ...(anomalous === undefined
        ? {}
        : {
            anomaly: {
              result: t.id === anomalous ? 'anomalous' : 'normal',
              mitigationInEffect: t.id === anomalous,
            } as const,
          }),
    })),
  );
}

function windowSize(rand: () => number): number {
  return Math.round(Math.exp(Math.log(30) + rand() * (Math.log(5000) - Math.log(30))));
}

/** Observed counts per instance id, as counters or a served-by sample, alternating by window. */
function observed(i: number, ids: readonly string[], counts: readonly number[]): Partial<Signals> {
  const byId = Object.fromEntries(ids.map((id, k) => [id, counts[k] ?? 0]));
  return i % 2 === 0 ? { instanceCounts: byId } : { servedBy: { service: 'shop', at: AT, counts: byId } };
}

function signals(
  current: LbSnapshot,
  lastGood: LbSnapshot,
  health: TargetHealth[],
  extra: Partial<Signals>,
): Signals {
  return {
    at: AT,
    service: 'shop',
    snapshot: current,
    lastGood: { hash: 'h', takenAt: '2026-12-04T09:00:00.000Z', snapshot: lastGood },
    health,
    probes: [],
    ...extra,
  };
}

export interface Tally {
  readonly windows: number;
  readonly routingSkew: number;
  readonly byCause: Readonly<Record<string, number>>;
}

function tally(causes: readonly string[]): Tally {
  const byCause: Record<string, number> = {};
  for (const c of causes) byCause[c] = (byCause[c] ?? 0) + 1;
  return { windows: causes.length, routingSkew: byCause['routing-skew'] ?? 0, byCause };
}

/** Windows under anomaly mitigation, one target's weight stepped down and back up. */
export function underMitigation(seed: number, windows: number, intent = true): Tally {
  const rand = seededRandom(seed);
  const causes: string[] = [];
  for (let i = 0; i < windows; i++) {
    const n = 3 + Math.floor(rand() * 6);
    const g = group(
      'web',
      n,
      intent ? { loadBalancingAlgorithm: 'weighted_random', anomalyMitigation: true } : {},
    );
    const s = lb([g], [1]);
    const mitigated = Math.floor(rand() * n);
    const step = MITIGATION_STEPS[i % MITIGATION_STEPS.length] ?? 1;
    const shares = g.targets.map((_, k) => (k === mitigated ? step : 1));
    const counts = sampleMultinomial(rand, windowSize(rand), shares);
    const ids = g.targets.map((t) => t.id);
    const health = healthy(s, intent ? ids[mitigated] : undefined);
    causes.push(diagnose(signals(s, s, health, observed(i, ids, counts)), THRESHOLDS).cause);
  }
  return tally(causes);
}

/** Windows under least outstanding requests (`lor`) or, for the control, round robin. */
export function underLatency(
  seed: number,
  windows: number,
  algorithm: 'least_outstanding_requests' | 'round_robin',
): Tally {
  const rand = seededRandom(seed);
  const causes: string[] = [];
  for (let i = 0; i < windows; i++) {
    const n = 2 + Math.floor(rand() * 7);
    const g = group('web', n, { loadBalancingAlgorithm: algorithm });
    const s = lb([g], [1]);
    // Latency 1–8× a base: a slow target holds its requests longer and gets fewer new ones.
    const shares = g.targets.map(() => 1 / (1 + rand() * 7));
    const counts = sampleMultinomial(rand, windowSize(rand), shares);
    causes.push(
      diagnose(
        signals(
          s,
          s,
          healthy(s),
          observed(
            i,
            g.targets.map((t) => t.id),
            counts,
          ),
        ),
        THRESHOLDS,
      ).cause,
    );
  }
  return tally(causes);
}

/** Configuration skew (50/50 → 100/0) under an intent: every window must page. */
export function configurationSkew(seed: number, windows: number, intent: Partial<TargetGroup>): Tally {
  const rand = seededRandom(seed);
  const causes: string[] = [];
  for (let i = 0; i < windows; i++) {
    const a = group('web-a', 2 + Math.floor(rand() * 3), intent);
    const b = group('web-b', 2 + Math.floor(rand() * 3), intent);
    const good = lb([a, b], [50, 50]);
    const flipped = lb([a, b], [100, 0]);
    const ids = [...a.targets, ...b.targets].map((t) => t.id);
    const shares = ids.map((id) => (id.startsWith('i-web-a') ? 1 : 0));
    const counts = sampleMultinomial(rand, windowSize(rand), shares);
    const health = healthy(flipped, intent.anomalyMitigation === true ? a.targets[0]?.id : undefined);
    causes.push(diagnose(signals(flipped, good, health, observed(i, ids, counts)), THRESHOLDS).cause);
  }
  return tally(causes);
}

export interface IntentResults {
  readonly seed: number;
  readonly thresholds: Thresholds['skew'];
  readonly mitigation: Tally;
  readonly sameWindowsWithoutMitigation: Tally;
  readonly leastOutstanding: Tally;
  readonly sameWindowsRoundRobin: Tally;
  readonly configSkewUnderLeastOutstanding: Tally;
  readonly configSkewUnderMitigation: Tally;
}

export function runIntentBenchmark(seed: number, windows: number): IntentResults {
  return {
    seed,
    thresholds: DEFAULT_THRESHOLDS,
    mitigation: underMitigation(seed, windows),
    sameWindowsWithoutMitigation: underMitigation(seed, windows, false),
    leastOutstanding: underLatency(seed + 1, windows, 'least_outstanding_requests'),
    sameWindowsRoundRobin: underLatency(seed + 1, windows, 'round_robin'),
    configSkewUnderLeastOutstanding: configurationSkew(seed + 2, Math.ceil(windows / 10), {
      loadBalancingAlgorithm: 'least_outstanding_requests',
    }),
    configSkewUnderMitigation: configurationSkew(seed + 3, Math.ceil(windows / 10), {
      loadBalancingAlgorithm: 'weighted_random',
      anomalyMitigation: true,
    }),
  };
}

const n = (x: number): string => x.toLocaleString('en-US');

export function renderIntentMarkdown(r: IntentResults): string {
  const row = (what: string, t: Tally, bound: string) =>
    `| ${what} | ${n(t.windows)} | ${n(t.routingSkew)} | ${Object.entries(t.byCause)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([c, k]) => `${c} ${n(k)}`)
      .join(', ')} | ${bound} |`;
  return `${[
    `### Intent benchmark (seed ${r.seed})`,
    '',
    `Thresholds: the shipped defaults (minSamples ${r.thresholds.minSamples}, falsePositiveRate ${r.thresholds.falsePositiveRate}, minEffectSize ${r.thresholds.minEffectSize}). Windows: 30–5,000 requests (log-uniform), per-instance counters and served-by samples alternating.`,
    '',
    '| Windows simulated | Windows | Routing-skew pages | Diagnoses | Bound |',
    '|---|---:|---:|---|---|',
    row('Anomaly mitigation: one of 3–8 targets lowered to ½…1/16 and ramped back', r.mitigation, '0'),
    row(
      'The same mitigation windows, round robin and no anomaly result (control)',
      r.sameWindowsWithoutMitigation,
      '> 0: the test can fire',
    ),
    row('Least outstanding requests: 2–8 targets, latencies 1–8× apart', r.leastOutstanding, '0'),
    row(
      'The same latency windows diagnosed as round robin (control)',
      r.sameWindowsRoundRobin,
      '> 0: the test can fire',
    ),
    row(
      'Configuration skew 50/50 → 100/0 under least outstanding requests',
      r.configSkewUnderLeastOutstanding,
      'all',
    ),
    row('Configuration skew 50/50 → 100/0 under anomaly mitigation', r.configSkewUnderMitigation, 'all'),
  ].join('\n')}\n`;
}

function argument(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

function main(args: readonly string[]): void {
  const results = runIntentBenchmark(argument(args, 'seed', DEFAULT_SEED), argument(args, 'windows', 10_000));
  process.stdout.write(renderIntentMarkdown(results));
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results-intent.json');
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nWrote ${out}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
