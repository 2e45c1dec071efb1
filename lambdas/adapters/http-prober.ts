import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import type { ExpectConfig, ProbeConfig, ProbeStepConfig } from '../../lib/config/index.ts';
import type { ProbeResult, ProbeStepResult, ServedBySample } from '../../lib/types.ts';
import { mapBounded } from './map-bounded.ts';

export interface ServedBySampleOptions {
  readonly requests: number;
  readonly concurrency: number;
  /** Per-request timeout. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** No new request starts after this long. Default 10 000 ms. */
  readonly deadlineMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A served-by sample plus what could not be counted, so a thin sample is visibly thin. */
export interface ServedBySampleRun extends ServedBySample {
  readonly sent: number;
  /** Transport errors and timeouts. */
  readonly failed: number;
  /** Responses without the served-by header. */
  readonly withoutHeader: number;
}

/** Runs synthetic probes and served-by samples against a site. */
export interface Prober {
  run(
    service: string,
    probe: ProbeConfig,
    options?: { readonly servedByHeader?: string },
  ): Promise<ProbeResult>;
  sampleServedBy(
    service: string,
    url: string,
    header: string,
    options: ServedBySampleOptions,
  ): Promise<ServedBySampleRun>;
}

export interface HttpProberOptions {
  /** Wall clock for `at`. */
  readonly now?: () => Date;
  /** Monotonic milliseconds for latencies. */
  readonly monotonicMs?: () => number;
  /** Bodies are read up to this many bytes for assertions. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  readonly userAgent?: string;
}

interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Outcome =
  | { readonly kind: 'response'; readonly response: HttpResponse }
  | { readonly kind: 'error'; readonly error: string };

/** Hard caps whatever the config says, so one probe run stays bounded in a 1-minute Lambda. */
const MAX_SAMPLE_REQUESTS = 1000;
const MAX_SAMPLE_CONCURRENCY = 50;

/**
 * Probes over node:http/https with keep-alive agents (connections are reused across steps and
 * samples, as browsers do; ALB balances per request, not per connection). Every failure — refused
 * connection, TLS error, timeout, unexpected status, slow answer — becomes a result, never a throw.
 */
export class HttpProber implements Prober {
  readonly #now: () => Date;
  readonly #mono: () => number;
  readonly #maxBody: number;
  readonly #userAgent: string;
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: MAX_SAMPLE_CONCURRENCY });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SAMPLE_CONCURRENCY });

  constructor(options: HttpProberOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#mono = options.monotonicMs ?? (() => performance.now());
    this.#maxBody = options.maxBodyBytes ?? 1024 * 1024;
    this.#userAgent = options.userAgent ?? 'lbguard-probe/1';
  }

  /**
   * Runs the probe's steps in order and stops at the first failing step: later steps of a journey
   * (cart after product) depend on earlier ones. Cookies set by a step are sent by the next.
   */
  async run(
    service: string,
    probe: ProbeConfig,
    options: { readonly servedByHeader?: string } = {},
  ): Promise<ProbeResult> {
    const at = this.#now().toISOString();
    const started = this.#mono();
    // Cookies per host, so a journey never hands one site's session to another.
    const cookies = new Map<string, Map<string, string>>();
    const steps: ProbeStepResult[] = [];
    for (const step of probe.steps) {
      const result = await this.#runStep(step, probe, cookies, options.servedByHeader);
      steps.push(result);
      if (!result.ok) break;
    }
    return {
      service,
      probe: probe.name,
      at,
      ok: steps.length === probe.steps.length && steps.every((s) => s.ok),
      steps,
      totalMs: Math.round(this.#mono() - started),
    };
  }

  async #runStep(
    step: ProbeStepConfig,
    probe: ProbeConfig,
    cookies: Map<string, Map<string, string>>,
    servedByHeader: string | undefined,
  ): Promise<ProbeStepResult> {
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...step.headers };
    const host = hostOf(step.url);
    const jar = cookies.get(host) ?? new Map<string, string>();
    cookies.set(host, jar);
    if (jar.size > 0 && !Object.keys(headers).some((h) => h.toLowerCase() === 'cookie')) {
      headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    const started = this.#mono();
    const outcome = await this.#send(step.url, step.method, headers, step.body, probe.timeoutMs);
    const latencyMs = Math.round(this.#mono() - started);
    const base = { name: step.name, url: step.url, method: step.method, latencyMs };
    if (outcome.kind === 'error') return { ...base, ok: false, error: outcome.error, failures: [] };
    const { response } = outcome;
    rememberCookies(jar, response.headers['set-cookie']);
    const failures = checkExpectations(step.expect, response);
    if (latencyMs > probe.latencyBudgetMs) {
      failures.push(`latency ${latencyMs} ms over budget ${probe.latencyBudgetMs} ms`);
    }
    const servedBy = servedByHeader === undefined ? undefined : headerValue(response.headers, servedByHeader);
    return {
      ...base,
      ok: failures.length === 0,
      status: response.status,
      failures,
      ...(servedBy === undefined ? {} : { servedBy }),
    };
  }

  async sampleServedBy(
    service: string,
    url: string,
    header: string,
    options: ServedBySampleOptions,
  ): Promise<ServedBySampleRun> {
    const at = this.#now().toISOString();
    const requests = Math.max(0, Math.min(options.requests, MAX_SAMPLE_REQUESTS));
    const concurrency = Math.max(1, Math.min(options.concurrency, MAX_SAMPLE_CONCURRENCY));
    const deadline = this.#mono() + (options.deadlineMs ?? 10_000);
    const headers = { 'user-agent': this.#userAgent, ...options.headers };
    const counts: Record<string, number> = {};
    let sent = 0;
    let failed = 0;
    let withoutHeader = 0;
    await mapBounded(Array.from({ length: requests }), concurrency, async () => {
      if (this.#mono() >= deadline) return;
      sent++;
      const outcome = await this.#send(url, 'GET', headers, undefined, options.timeoutMs ?? 5_000);
      if (outcome.kind === 'error') {
        failed++;
        return;
      }
      const who = headerValue(outcome.response.headers, header);
      if (who === undefined) withoutHeader++;
      else counts[who] = (counts[who] ?? 0) + 1;
    });
    return { service, at, counts, sent, failed, withoutHeader };
  }

  /** Closes pooled keep-alive connections (tests, CLI exit). */
  destroy(): void {
    this.#http.destroy();
    this.#https.destroy();
  }

  #send(
    url: string,
    method: string,
    headers: Readonly<Record<string, string>>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<Outcome> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return Promise.resolve({ kind: 'error', error: `invalid URL ${url}` });
    }
    const https = parsed.protocol === 'https:';
    const signal = AbortSignal.timeout(timeoutMs);
    return new Promise<Outcome>((resolve) => {
      const fail = (err: unknown) => resolve({ kind: 'error', error: describeError(err, signal, timeoutMs) });
      const req = (https ? httpsRequest : httpRequest)(
        parsed,
        {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
          agent: https ? this.#https : this.#http,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < this.#maxBody) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('error', fail);
          res.on('end', () =>
            resolve({
              kind: 'response',
              response: {
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).subarray(0, this.#maxBody).toString('utf8'),
              },
            }),
          );
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }
}

function describeError(err: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `timeout after ${timeoutMs} ms`;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  // EPROTO is OpenSSL failing the handshake (e.g. plain HTTP on the HTTPS port).
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|^EPROTO$/.test(code)) return `tls: ${code}`;
  return code !== '' ? code : (e.message ?? String(err));
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

function rememberCookies(cookies: Map<string, string>, setCookie: readonly string[] | undefined): void {
  for (const line of setCookie ?? []) {
    const pair = line.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

/** Assertion failures of one response, each a sentence. */
export function checkExpectations(expect: ExpectConfig, response: HttpResponse): string[] {
  const failures: string[] = [];
  if (!expect.status.includes(response.status)) {
    failures.push(`status ${response.status} not in [${expect.status.join(', ')}]`);
  }
  if (expect.bodyContains !== undefined && !response.body.includes(expect.bodyContains)) {
    failures.push(`body does not contain ${JSON.stringify(expect.bodyContains)}`);
  }
  if (expect.bodyMatches !== undefined && !new RegExp(expect.bodyMatches).test(response.body)) {
    failures.push(`body does not match /${expect.bodyMatches}/`);
  }
  for (const [name, wanted] of Object.entries(expect.headers)) {
    const actual = headerValue(response.headers, name);
    if (typeof wanted === 'string') {
      if (actual !== wanted)
        failures.push(
          `header ${name} is ${JSON.stringify(actual ?? null)}, expected ${JSON.stringify(wanted)}`,
        );
    } else if (actual === undefined || !new RegExp(wanted.matches).test(actual)) {
      failures.push(
        `header ${name} is ${JSON.stringify(actual ?? null)}, expected to match /${wanted.matches}/`,
      );
    }
  }
  return failures;
}
