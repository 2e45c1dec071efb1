import { Agent, request } from 'node:http';
import { seededRandom } from '../../lib/random.ts';

// An open-model load generator: request i is due at start + i / rate whatever happened to
// the ones before it, as customers arrive at a shop whether or not it is slow. Bounded in
// duration, total count and requests in flight (past which an arrival is recorded as a
// client-side failure rather than queued, so a stuck server cannot stall the schedule).

export interface PathMixEntry {
  readonly weight: number;
  readonly method: 'GET' | 'POST';
  /** Builds the path from a uniform random number in [0, 1). */
  readonly path: (u: number) => string;
}

/** Mostly browsing, some carts, a few checkouts. */
export const shopPathMix: readonly PathMixEntry[] = [
  { weight: 40, method: 'GET', path: () => '/' },
  { weight: 40, method: 'GET', path: (u) => `/products/${1 + Math.floor(u * 500)}` },
  { weight: 15, method: 'GET', path: () => '/cart' },
  { weight: 5, method: 'POST', path: () => '/checkout' },
];

export interface LoadOptions {
  /** Base URL, e.g. `http://127.0.0.1:41000`. */
  readonly url: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** Hard cap on requests sent. Default rate × duration. */
  readonly maxRequests?: number;
  /** Default 512. */
  readonly maxInFlight?: number;
  /** Per-request deadline. Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly pathMix?: readonly PathMixEntry[];
  readonly servedByHeader?: string;
  /** Sent as Host (for host-header rules). */
  readonly hostHeader?: string;
  /** Seed of the path choice, so two runs send the same sequence. Default 1. */
  readonly seed?: number;
}

export interface ResponseRecord {
  /** Ms since the run started at which the request was sent. */
  readonly t: number;
  /** Epoch ms at which it was sent. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly latencyMs: number;
  readonly servedBy?: string;
  /** Transport failure: `timeout`, `ECONNRESET`, `client-overload`… */
  readonly error?: string;
}

export interface LoadResult {
  readonly records: readonly ResponseRecord[];
  readonly sent: number;
  readonly durationMs: number;
  /** Requests sent per second of the run, as achieved. */
  readonly achievedRate: number;
}

export interface LoadRun {
  /** Grows while the run is going. */
  readonly records: readonly ResponseRecord[];
  readonly done: Promise<LoadResult>;
  /** Changes the arrival rate from now on. */
  setRate(ratePerSecond: number): void;
  /** Stops scheduling; in-flight requests still complete (bounded by their timeout). */
  stop(): void;
}

/** Picks a request from the mix. */
export function pickRequest(
  mix: readonly PathMixEntry[],
  random: () => number,
): { method: string; path: string } {
  const total = mix.reduce((a, m) => a + m.weight, 0);
  let x = random() * total;
  for (const m of mix) {
    x -= m.weight;
    if (x < 0) return { method: m.method, path: m.path(random()) };
  }
  const last = mix.at(-1);
  return last ? { method: last.method, path: last.path(random()) } : { method: 'GET', path: '/' };
}

/** Starts a constant-arrival-rate run. */
export function startLoad(opts: LoadOptions): LoadRun {
  const target = new URL(opts.url);
  const records: ResponseRecord[] = [];
  const mix = opts.pathMix ?? shopPathMix;
  const random = seededRandom(opts.seed ?? 1);
  const maxInFlight = opts.maxInFlight ?? 512;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const maxRequests = opts.maxRequests ?? Math.ceil((opts.ratePerSecond * opts.durationMs) / 1000);
  const header = (opts.servedByHeader ?? 'x-served-by').toLowerCase();
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight, keepAliveMsecs: 1_000 });
  const start = Date.now();
  let rate = opts.ratePerSecond;
  // Arrivals are scheduled against a credit that grows with time at the current rate.
  let credit = 0;
  let lastTick = start;
  let sent = 0;
  let inFlight = 0;
  let stopped = false;
  let finish: (r: LoadResult) => void = () => {};
  const done = new Promise<LoadResult>((resolve) => {
    finish = resolve;
  });

  const settle = (): void => {
    if (!stopped || inFlight > 0) return;
    agent.destroy();
    const durationMs = Date.now() - start;
    finish({ records, sent, durationMs, achievedRate: durationMs > 0 ? (sent * 1000) / durationMs : 0 });
  };

  const send = (method: string, path: string, t: number, retried: boolean): void => {
    const sentAt = Date.now();
    let settled = false;
    const complete = (r: Omit<ResponseRecord, 't' | 'at' | 'method' | 'path' | 'latencyMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      records.push({ t, at: start + t, method, path, latencyMs: Date.now() - sentAt, ...r });
      inFlight--;
      settle();
    };
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        agent,
        headers: {
          ...(opts.hostHeader === undefined ? {} : { host: opts.hostHeader }),
          ...(method === 'POST' ? { 'content-type': 'application/json', 'content-length': '2' } : {}),
        },
      },
      (res) => {
        const servedBy = res.headers[header];
        res.resume();
        res.on('end', () =>
          complete({
            status: res.statusCode ?? 0,
            ...(typeof servedBy === 'string' ? { servedBy } : {}),
          }),
        );
        res.on('error', (err) => complete({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
        // A response cut short (server crashed mid-body, our timeout) must still settle.
        res.on('close', () => complete({ error: 'aborted' }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error('timeout'));
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed as we reused it (HAProxy reloads do that):
      // a browser retries such a request once, so the drill does too.
      if (!settled && !retried && req.reusedSocket && err.code === 'ECONNRESET') {
        settled = true;
        clearTimeout(timer);
        send(method, path, t, true);
        return;
      }
      complete({ error: err.message === 'timeout' ? 'timeout' : (err.code ?? err.message) });
    });
    req.end(method === 'POST' ? '{}' : undefined);
  };

  const tick = (): void => {
    const now = Date.now();
    credit += ((now - lastTick) * rate) / 1000;
    lastTick = now;
    while (credit >= 1 && sent < maxRequests && !stopped) {
      credit -= 1;
      sent++;
      const { method, path } = pickRequest(mix, random);
      const t = now - start;
      if (inFlight >= maxInFlight) {
        records.push({ t, at: now, method, path, latencyMs: 0, error: 'client-overload' });
        continue;
      }
      inFlight++;
      send(method, path, t, false);
    }
    if (sent >= maxRequests || now - start >= opts.durationMs) stopNow();
  };

  const interval = setInterval(tick, 5);
  const stopNow = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(interval);
    settle();
  };

  return {
    records,
    done,
    setRate(r: number): void {
      tick();
      rate = Math.max(0, r);
    },
    stop: stopNow,
  };
}

export interface SecondSummary {
  /** Whole seconds since the run started. */
  readonly second: number;
  readonly requests: number;
  readonly ok: number;
  readonly status4xx: number;
  readonly status5xx: number;
  readonly errors: number;
  readonly byServedBy: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface LoadSummary {
  readonly requests: number;
  readonly ok: number;
  readonly status5xx: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly errors: number;
  /** Share of requests that failed a customer: 5xx or no answer. */
  readonly failureRate: number;
  readonly byServedBy: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** Per-second buckets of a run: volume, outcomes and who served. */
export function summariseBySecond(records: readonly ResponseRecord[]): SecondSummary[] {
  const buckets = new Map<number, ResponseRecord[]>();
  for (const r of records) {
    const s = Math.floor(r.t / 1000);
    const b = buckets.get(s) ?? [];
    b.push(r);
    buckets.set(s, b);
  }
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([second, rs]) => {
      const byServedBy: Record<string, number> = {};
      for (const r of rs)
        if (r.servedBy !== undefined) byServedBy[r.servedBy] = (byServedBy[r.servedBy] ?? 0) + 1;
      const lat = rs
        .filter((r) => r.error === undefined)
        .map((r) => r.latencyMs)
        .sort((a, b) => a - b);
      return {
        second,
        requests: rs.length,
        ok: rs.filter((r) => r.status !== undefined && r.status < 400).length,
        status4xx: rs.filter((r) => r.status !== undefined && r.status >= 400 && r.status < 500).length,
        status5xx: rs.filter((r) => r.status !== undefined && r.status >= 500).length,
        errors: rs.filter((r) => r.error !== undefined).length,
        byServedBy,
        p50Ms: percentile(lat, 0.5),
        p99Ms: percentile(lat, 0.99),
      };
    });
}

/** Totals of a run (or of any slice of its records). */
export function summarise(records: readonly ResponseRecord[]): LoadSummary {
  const byStatus: Record<string, number> = {};
  const byServedBy: Record<string, number> = {};
  let ok = 0;
  let s5 = 0;
  let errors = 0;
  for (const r of records) {
    const key = r.error === undefined ? String(r.status) : `error:${r.error}`;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    if (r.servedBy !== undefined) byServedBy[r.servedBy] = (byServedBy[r.servedBy] ?? 0) + 1;
    if (r.error !== undefined) errors++;
    else if ((r.status ?? 0) >= 500) s5++;
    else if ((r.status ?? 0) < 400) ok++;
  }
  const lat = records
    .filter((r) => r.error === undefined)
    .map((r) => r.latencyMs)
    .sort((a, b) => a - b);
  return {
    requests: records.length,
    ok,
    status5xx: s5,
    byStatus,
    errors,
    failureRate: records.length === 0 ? 0 : (s5 + errors) / records.length,
    byServedBy,
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
  };
}

/** One JSON object per line, for a report or `jq`. */
export function toNdjson(records: readonly ResponseRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
}
