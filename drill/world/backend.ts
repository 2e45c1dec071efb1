import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// One shop server, played by its own process (see backend-main.ts). This module must stay
// runnable by Node's own type stripping (no enums, no parameter properties) so that a backend
// starts in ~100 ms without a TypeScript loader; a crashed one comes back just as fast.

export type BackendMode = 'normal' | 'fail-500' | 'crash';

export interface BackendTuning {
  /** Requests per second the server handles without slowing down much. */
  readonly capacityRps: number;
  /** Requests in flight past which it answers 503 at once (a full worker pool). */
  readonly maxConcurrent: number;
  /** Service time of `/` at low load, in ms; other paths scale from it. */
  readonly baseLatencyMs: number;
  /** Utilisation (arrivals per second over capacity) that, sustained, makes the process fall over. */
  readonly fallOverUtilisation: number;
  /** How long that utilisation must last before the process exits, in ms. */
  readonly fallOverAfterMs: number;
}

export const defaultBackendTuning: BackendTuning = {
  capacityRps: 100,
  maxConcurrent: 200,
  baseLatencyMs: 8,
  fallOverUtilisation: 1.5,
  fallOverAfterMs: 1_500,
};

export interface BackendOptions extends BackendTuning {
  /** The EC2 instance this server plays; sent as `X-Served-By`. */
  readonly id: string;
  readonly port: number;
  readonly mode?: BackendMode;
}

/** Commands the supervisor sends over IPC. */
export type BackendCommand =
  | { readonly type: 'mode'; readonly mode: BackendMode }
  | { readonly type: 'tune'; readonly tuning: Partial<BackendTuning> };

/** What a backend tells its supervisor over IPC. */
export type BackendMessage =
  | { readonly type: 'ready'; readonly id: string; readonly port: number }
  | { readonly type: 'falling-over'; readonly id: string; readonly reason: string };

export const SERVED_BY_HEADER = 'x-served-by';

/**
 * Latency multiplier at a utilisation: flat up to 70 %, then quadratic, as queueing in a
 * worker pool behaves. 1.0 → ×2.8, 1.5 → ×13.8, 2.0 → ×34.8.
 */
export function latencyFactor(utilisation: number): number {
  const over = Math.max(0, utilisation - 0.7);
  return 1 + 20 * over * over;
}

/** Chance of an error response at a utilisation: none up to capacity, then rising to 90 %. */
export function errorChance(utilisation: number): number {
  return Math.min(0.9, Math.max(0, (utilisation - 1) * 1.2));
}

const PATH_COST: readonly (readonly [RegExp, number])[] = [
  [/^\/health$/, 0.1],
  [/^\/$/, 1],
  [/^\/products\/[^/]+$/, 1.5],
  [/^\/cart$/, 2],
  [/^\/checkout$/, 4],
];

/** Relative service cost of a path, or undefined when the shop has no such page. */
export function pathCost(path: string): number | undefined {
  return PATH_COST.find(([re]) => re.test(path))?.[1];
}

/** Arrivals over the last second in ten 100 ms buckets, so a busy server counts in O(1). */
class ArrivalWindow {
  readonly #buckets = new Array<number>(10).fill(0);
  #bucketStart = 0;
  #index = 0;

  #advance(now: number): void {
    const slot = Math.floor(now / 100);
    if (this.#bucketStart === 0) this.#bucketStart = slot;
    const steps = Math.min(10, slot - this.#bucketStart);
    for (let i = 0; i < steps; i++) {
      this.#index = (this.#index + 1) % 10;
      this.#buckets[this.#index] = 0;
    }
    if (steps > 0) this.#bucketStart = slot;
  }

  add(now: number): void {
    this.#advance(now);
    this.#buckets[this.#index] = (this.#buckets[this.#index] ?? 0) + 1;
  }

  perSecond(now: number): number {
    this.#advance(now);
    return this.#buckets.reduce((a, b) => a + b, 0);
  }
}

function body(id: string, path: string): string {
  if (path === '/') return JSON.stringify({ page: 'home', featured: [1, 2, 3], servedBy: id });
  if (path.startsWith('/products/')) {
    const productId = path.slice('/products/'.length);
    return JSON.stringify({ page: 'product', id: productId, price: 19.99, servedBy: id });
  }
  if (path === '/cart') return JSON.stringify({ page: 'cart', items: 2, servedBy: id });
  return JSON.stringify({ page: 'checkout', order: 'accepted', servedBy: id });
}

export interface RunningBackend {
  readonly server: Server;
  setMode(mode: BackendMode): void;
  tune(tuning: Partial<BackendTuning>): void;
  /** Current utilisation (arrivals in the last second / capacity). */
  utilisation(): number;
  close(): Promise<void>;
}

/**
 * Starts the shop server. `fallOver` is called once when sustained overload (or `crash` mode)
 * should end the process; the caller exits, so a crash looks like one from outside.
 */
export async function startBackend(
  opts: BackendOptions,
  fallOver: (reason: string) => void,
  random: () => number = Math.random,
): Promise<RunningBackend> {
  let tuning: BackendTuning = { ...opts };
  let mode: BackendMode = opts.mode ?? 'normal';
  let inFlight = 0;
  let overloadedSince: number | undefined;
  let fallen = false;
  const arrivals = new ArrivalWindow();

  const fall = (reason: string): void => {
    if (fallen) return;
    fallen = true;
    fallOver(reason);
  };

  const utilisation = (now: number): number => arrivals.perSecond(now) / Math.max(1, tuning.capacityRps);

  const watchOverload = (now: number): void => {
    if (utilisation(now) >= tuning.fallOverUtilisation) {
      overloadedSince ??= now;
      if (now - overloadedSince >= tuning.fallOverAfterMs) {
        fall(
          `overloaded: ${Math.round(utilisation(now) * 100)}% of capacity for ${now - overloadedSince} ms`,
        );
      }
    } else {
      overloadedSince = undefined;
    }
  };

  const send = (res: ServerResponse, status: number, payload: string): void => {
    res.writeHead(status, {
      'content-type': 'application/json',
      [SERVED_BY_HEADER]: opts.id,
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const now = Date.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const cost = pathCost(path);
    req.resume();
    if (cost === undefined) {
      send(res, 404, JSON.stringify({ error: 'not found' }));
      return;
    }
    arrivals.add(now);
    watchOverload(now);
    if (inFlight >= tuning.maxConcurrent) {
      send(res, 503, JSON.stringify({ error: 'server busy' }));
      return;
    }
    const u = utilisation(now);
    const isHealth = path === '/health';
    // Errors are decided on arrival; the slowness is what the caller sees first.
    const failWith =
      !isHealth && mode === 'fail-500'
        ? { status: 500, error: 'database connection refused' }
        : !isHealth && random() < errorChance(u)
          ? random() < 0.75
            ? { status: 503, error: 'worker pool exhausted' }
            : { status: 500, error: 'request timed out in application' }
          : undefined;
    const jitter = 0.8 + 0.4 * random();
    const delay = Math.min(5_000, tuning.baseLatencyMs * cost * latencyFactor(u) * jitter);
    inFlight++;
    setTimeout(() => {
      inFlight--;
      if (res.destroyed) return;
      if (failWith) send(res, failWith.status, JSON.stringify({ error: failWith.error }));
      else if (isHealth) send(res, 200, JSON.stringify({ status: 'ok', id: opts.id }));
      else send(res, 200, body(opts.id, path));
    }, delay);
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  // A quiet overloaded server still has to notice it is drowning.
  const ticker = setInterval(() => watchOverload(Date.now()), 100);
  ticker.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });

  return {
    server,
    setMode(next: BackendMode): void {
      mode = next;
      if (next === 'crash') fall('crash requested');
    },
    tune(next: Partial<BackendTuning>): void {
      tuning = { ...tuning, ...next };
    },
    utilisation: () => utilisation(Date.now()),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(ticker);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
