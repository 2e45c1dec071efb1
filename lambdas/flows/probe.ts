import type { LbGuardConfig, ServiceConfig } from '../../lib/config/index.ts';
// Not through index.ts, whose YAML parser no function bundles.
import { type PlainProbe, plainProbe, secretReferences } from '../../lib/config/secrets.ts';
import { LbGuardError } from '../../lib/errors.ts';
import type { ProbeResult, ServedBySample } from '../../lib/types.ts';
import type { Now, Sleep } from '../adapters/clock.ts';
import type { Prober } from '../adapters/http-prober.ts';
import type { Log } from '../adapters/log.ts';
import type { MetricsSink, MetricValue } from '../adapters/metrics-sink.ts';
import { type SecretReader, SecretUnreadableError } from '../adapters/secrets.ts';
import type { EvidenceStore } from '../adapters/state-store/ports.ts';
import type { ProbeEvent } from '../runtime/events.ts';
import { type GuardedDeps, readGuarded } from './guarded.ts';

export interface ProbeDeps extends GuardedDeps {
  readonly config: LbGuardConfig;
  readonly prober: Prober;
  /** Reads the secrets probes send; only probe's role may. */
  readonly secrets: SecretReader;
  readonly store: EvidenceStore;
  readonly metrics: MetricsSink;
  readonly logger: Log;
  readonly now: Now;
  readonly sleep: Sleep;
  /** Milliseconds the invocation has left; absent outside Lambda. */
  readonly remainingTimeMs?: () => number;
}

export interface ServiceProbeSummary {
  readonly service: string;
  readonly runs: number;
  readonly failed: number;
  /** Distinct targets seen in the served-by sample, when one was taken. */
  readonly servedBySpread?: number;
}

export type ProbeOutcome =
  | { readonly kind: 'probed'; readonly rounds: number; readonly services: readonly ServiceProbeSummary[] }
  | { readonly kind: 'unknown-service'; readonly service: string };

interface Tally {
  runs: number;
  failed: number;
  spread?: number;
}

/** Left over after the last round for the runtime to flush logs and metrics. */
const SAFETY_MARGIN_MS = 1_000;

/**
 * Probes every service (or the one named) in rounds every `probeIntervalSeconds` for
 * `probeLoopSeconds`, so detection is not bound to EventBridge's one-minute floor. A round never
 * starts unless the invocation has time left to finish it. The first round also takes the
 * served-by samples: one burst per invocation is enough evidence and keeps load on the site low.
 */
export async function probe(event: ProbeEvent, deps: ProbeDeps): Promise<ProbeOutcome> {
  const { config } = deps;
  const named = 'kind' in event ? event.service : undefined;
  const guarded = await readGuarded(deps);
  const services = guarded.services.filter((s) => named === undefined || s.name === named);
  if (named !== undefined && services.length === 0) {
    deps.logger.warn('probe requested for an unknown service', { service: named });
    return { kind: 'unknown-service', service: named };
  }
  const loopSeconds = ('kind' in event ? event.loopSeconds : undefined) ?? config.schedule.probeLoopSeconds;
  const loopMs = loopSeconds * 1000;
  const intervalMs = config.schedule.probeIntervalSeconds * 1000;
  const reserveMs = roundBudgetMs(services) + SAFETY_MARGIN_MS;
  const totals = new Map<string, Tally>(services.map((s) => [s.name, { runs: 0, failed: 0 }]));

  const start = deps.now().getTime();
  let rounds = 0;
  const unreadable = new Map<string, SecretUnreadableError>();
  for (;;) {
    const results = await Promise.all(services.map((s) => probeService(s, rounds === 0, deps, unreadable)));
    for (const r of results) {
      const total = totals.get(r.service);
      if (total === undefined) continue;
      total.runs += r.runs;
      total.failed += r.failed;
      if (r.servedBySpread !== undefined) total.spread = r.servedBySpread;
    }
    rounds++;
    const nextAt = start + rounds * intervalMs;
    if (nextAt - start >= loopMs) break;
    const wait = Math.max(0, nextAt - deps.now().getTime());
    const remaining = deps.remainingTimeMs?.();
    if (remaining !== undefined && remaining - wait < reserveMs) {
      deps.logger.info('probe loop ends early: not enough invocation time for another round', {
        rounds,
        remainingMs: remaining,
      });
      break;
    }
    await deps.sleep(wait);
  }

  const summaries = services.map((s): ServiceProbeSummary => {
    const t: Tally = totals.get(s.name) ?? { runs: 0, failed: 0 };
    return {
      service: s.name,
      runs: t.runs,
      failed: t.failed,
      ...(t.spread === undefined ? {} : { servedBySpread: t.spread }),
    };
  });
  deps.logger.info('probe run complete', { rounds, services: summaries });
  // The other services were probed; this invocation still fails, so the errors alarm pages.
  if (unreadable.size > 0) {
    throw new LbGuardError([...unreadable.values()].map((e) => e.message).join('\n'));
  }
  return { kind: 'probed', rounds, services: summaries };
}

/** Worst case of one round: a service's probes run side by side, each step up to its timeout. */
function roundBudgetMs(services: readonly ServiceConfig[]): number {
  const probes = services.flatMap((s) => s.probes);
  const sampleMs = services.some((s) => s.probes.some((p) => p.servedBySample !== undefined)) ? 10_000 : 0;
  return Math.max(0, ...probes.map((p) => p.steps.length * p.timeoutMs)) + sampleMs;
}

async function probeService(
  service: ServiceConfig,
  sample: boolean,
  deps: ProbeDeps,
  unreadable: Map<string, SecretUnreadableError>,
): Promise<ServiceProbeSummary> {
  const options = service.servedByHeader === undefined ? {} : { servedByHeader: service.servedByHeader };
  let probes: PlainProbe[];
  try {
    // Cached by the reader: a round reads nothing new unless a secret's cache time ran out.
    const values = await deps.secrets.read(secretReferences(service.probes));
    probes = service.probes.map((p) => plainProbe(p, values));
  } catch (error) {
    if (!(error instanceof SecretUnreadableError)) throw error;
    // Probing without the credential would report the site down; report lbguard broken instead
    // (the invocation fails at the end: the functions' errors alarm, no metric of its own).
    unreadable.set(service.name, error);
    deps.logger.error('probe secret unreadable; service not probed this round', {
      service: service.name,
      error: error.message,
    });
    return { service: service.name, runs: 0, failed: 0 };
  }
  const [results, samples] = await Promise.all([
    Promise.all(probes.map((p) => deps.prober.run(service.name, p, options))),
    sample ? sampleServedBy(service, probes, deps) : Promise.resolve([]),
  ]);
  await deps.store.putProbeResults(service.name, results);
  for (const s of samples) await deps.store.putServedBySample(s);
  for (const r of results.filter((x) => !x.ok)) {
    const step = r.steps.find((s) => !s.ok);
    deps.logger.warn('probe failed', {
      service: service.name,
      probe: r.probe,
      step: step?.name,
      status: step?.status,
      error: step?.error,
      failures: step?.failures,
    });
  }
  const spread =
    samples.length === 0 ? undefined : Math.max(...samples.map((s) => Object.keys(s.counts).length));
  deps.metrics.emit(service.name, probeMetrics(results, spread));
  return {
    service: service.name,
    runs: results.length,
    failed: results.filter((r) => !r.ok).length,
    ...(spread === undefined ? {} : { servedBySpread: spread }),
  };
}

async function sampleServedBy(
  service: ServiceConfig,
  probes: readonly PlainProbe[],
  deps: ProbeDeps,
): Promise<ServedBySample[]> {
  const header = service.servedByHeader;
  if (header === undefined) return [];
  const sampled = probes.filter(
    (p): p is PlainProbe & { servedBySample: NonNullable<PlainProbe['servedBySample']> } =>
      p.servedBySample !== undefined,
  );
  return Promise.all(
    sampled.map(async (p) => {
      const first = p.steps[0];
      if (first === undefined) return { service: service.name, at: deps.now().toISOString(), counts: {} };
      const run = await deps.prober.sampleServedBy(service.name, first.url, header, {
        requests: p.servedBySample.requests,
        concurrency: p.servedBySample.concurrency,
        timeoutMs: p.timeoutMs,
        headers: first.headers,
        allowLoopback: p.allowLoopback,
      });
      if (run.failed > 0 || run.withoutHeader > 0) {
        deps.logger.info('served-by sample incomplete', {
          service: service.name,
          probe: p.name,
          sent: run.sent,
          failed: run.failed,
          withoutHeader: run.withoutHeader,
        });
      }
      return { service: run.service, at: run.at, counts: run.counts };
    }),
  );
}

/** Exported for tests: the EMF values of one round of one service. */
export function probeMetrics(
  results: readonly ProbeResult[],
  servedBySpread: number | undefined,
): MetricValue[] {
  const statuses = results.flatMap((r) => r.steps.flatMap((s) => (s.status === undefined ? [] : [s.status])));
  return [
    ...results.map((r): MetricValue => ({ name: 'ProbeSuccess', unit: 'Count', value: r.ok ? 1 : 0 })),
    ...results.map((r): MetricValue => ({ name: 'ProbeLatency', unit: 'Milliseconds', value: r.totalMs })),
    { name: 'Probe503', unit: 'Count', value: statuses.filter((s) => s === 503).length },
    ...(servedBySpread === undefined
      ? []
      : [{ name: 'ServedBySpread', unit: 'Count', value: servedBySpread } satisfies MetricValue]),
  ];
}
