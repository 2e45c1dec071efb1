// The probe engine's served-by burst (HttpProber.sampleServedBy) against a local server, beside
// autocannon against the same server in the same run. Both clients run in this process; the
// server runs in its own, so neither shares an event loop with it.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { HttpProber } from '../lambdas/adapters/http-prober.ts';
import { startSite } from './site.ts';
import { percentile } from './stats.ts';

export interface LoadFigure {
  readonly requests: number;
  readonly failed: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ProbeEngineFigures {
  readonly concurrency: number;
  readonly prober: LoadFigure;
  readonly autocannon: LoadFigure;
  /** prober req/s ÷ autocannon req/s. */
  readonly throughputRatio: number;
  /** Distinct X-Served-By values the prober counted (the site has four). */
  readonly servedByDistinct: number;
}

/** The prober caps one burst at 1,000 requests (MAX_SAMPLE_REQUESTS), so bursts are chained. */
const BURST = 1000;

/**
 * Per-request latency of the prober, taken from Node's HTTP client diagnostics channels (request
 * start → response end) so the prober itself runs unmodified.
 */
function recordClientLatencies(): { readonly latencies: number[]; stop(): void } {
  const started = new WeakMap<ClientRequest, number>();
  const latencies: number[] = [];
  const onStart = (message: unknown): void => {
    started.set((message as { request: ClientRequest }).request, performance.now());
  };
  const onResponse = (message: unknown): void => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const t0 = started.get(request);
    if (t0 !== undefined) response.once('end', () => latencies.push(performance.now() - t0));
  };
  subscribe('http.client.request.start', onStart);
  subscribe('http.client.response.finish', onResponse);
  return {
    latencies,
    stop() {
      unsubscribe('http.client.request.start', onStart);
      unsubscribe('http.client.response.finish', onResponse);
    },
  };
}

interface Measured {
  readonly latencies: readonly number[];
  readonly failed: number;
  readonly seconds: number;
}

async function measureProber(
  url: string,
  requests: number,
  concurrency: number,
  seen: Set<string>,
): Promise<Measured> {
  const prober = new HttpProber();
  // Warm-up: open the keep-alive connections, as autocannon's connections are open before it counts.
  // The bench's site listens on 127.0.0.1, which a sample reaches only when allowed.
  await prober.sampleServedBy('bench', url, 'X-Served-By', {
    requests: concurrency,
    concurrency,
    allowLoopback: true,
  });
  const recorder = recordClientLatencies();
  let failed = 0;
  const t0 = performance.now();
  try {
    for (let done = 0; done < requests; done += BURST) {
      const run = await prober.sampleServedBy('bench', url, 'X-Served-By', {
        requests: Math.min(BURST, requests - done),
        concurrency,
        deadlineMs: 60_000,
        allowLoopback: true,
      });
      failed += run.failed + run.withoutHeader;
      for (const who of Object.keys(run.counts)) seen.add(who);
    }
  } finally {
    recorder.stop();
    prober.destroy();
  }
  return { latencies: recorder.latencies, failed, seconds: (performance.now() - t0) / 1000 };
}

async function measureAutocannon(url: string, requests: number, concurrency: number): Promise<Measured> {
  const latencies: number[] = [];
  let lastResponse = 0;
  const t0 = performance.now();
  const instance = autocannon({ url, connections: concurrency, amount: requests });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    lastResponse = performance.now();
  });
  const result = await instance;
  // Timed to the last response: autocannon only notices it is done on its next 1-second tick.
  return { latencies, failed: result.errors + result.non2xx, seconds: (lastResponse - t0) / 1000 };
}

function toFigure(m: Measured): LoadFigure {
  return {
    requests: m.latencies.length,
    failed: m.failed,
    seconds: m.seconds,
    requestsPerSecond: m.latencies.length / m.seconds,
    p50Ms: percentile(m.latencies, 50),
    p99Ms: percentile(m.latencies, 99),
  };
}

/** Sums two halves of a run: requests, failures and time add up; latencies are pooled. */
function combine(a: Measured, b: Measured): Measured {
  return {
    latencies: [...a.latencies, ...b.latencies],
    failed: a.failed + b.failed,
    seconds: a.seconds + b.seconds,
  };
}

/**
 * Runs both clients against one fresh local server, each twice on half the requests in the order
 * prober, autocannon, autocannon, prober, so that neither gains from going first or last on a
 * machine whose load changes during the run.
 */
export async function measureProbeEngine(options: {
  readonly requests: number;
  readonly concurrency: number;
  readonly log: (line: string) => void;
}): Promise<ProbeEngineFigures> {
  const site = await startSite();
  try {
    const url = `${site.url}/health`;
    const half = Math.ceil(options.requests / 2);
    const seen = new Set<string>();
    const p1 = await measureProber(url, half, options.concurrency, seen);
    const c1 = await measureAutocannon(url, half, options.concurrency);
    const c2 = await measureAutocannon(url, options.requests - half, options.concurrency);
    const p2 = await measureProber(url, options.requests - half, options.concurrency, seen);
    const prober = toFigure(combine(p1, p2));
    const cannon = toFigure(combine(c1, c2));
    options.log(
      `probe engine: prober ${prober.requestsPerSecond.toFixed(0)} req/s, autocannon ${cannon.requestsPerSecond.toFixed(0)} req/s`,
    );
    return {
      concurrency: options.concurrency,
      prober,
      autocannon: cannon,
      throughputRatio: prober.requestsPerSecond / cannon.requestsPerSecond,
      servedByDistinct: seen.size,
    };
  } finally {
    await site.stop();
  }
}
