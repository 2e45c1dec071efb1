import type { LookupAddress } from 'node:dns';
import { lookup as systemLookup } from 'node:dns/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createContext, Script } from 'node:vm';
import type { ExpectConfig, PlainProbe, PlainStep } from '../../lib/config/index.ts';
// Not through lib/config/index.ts, whose values pull the YAML parser into every function bundle.
import {
  classifyAddress,
  FORBIDDEN_TARGETS,
  type ForbiddenTarget,
  isIpLiteral,
  isRefused,
} from '../../lib/config/probe-targets.ts';
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
  /** Let the sample reach loopback: pass the sampled probe's `allowLoopback`. Default false. */
  readonly allowLoopback?: boolean | undefined;
}

/** A served-by sample plus what could not be counted, so a thin sample is visibly thin. */
export interface ServedBySampleRun extends ServedBySample {
  readonly sent: number;
  /** Transport errors, timeouts and refused targets. */
  readonly failed: number;
  /** Responses without the served-by header. */
  readonly withoutHeader: number;
}

/**
 * Runs synthetic probes and served-by samples against a site. Neither reaches an address probes
 * may not (lib/config/probe-targets.ts): a probe's `allowLoopback` opens loopback, nothing opens
 * the rest.
 */
export interface Prober {
  run(
    service: string,
    probe: PlainProbe,
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
  /** Every address of a host name, as `dns.promises.lookup(name, { all: true })` gives. Tests inject one. */
  readonly lookup?: ResolveHost;
}

/** Resolves a host name to all its addresses. */
export type ResolveHost = (hostname: string) => Promise<readonly LookupAddress[]>;

interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Outcome =
  | { readonly kind: 'response'; readonly response: HttpResponse }
  | { readonly kind: 'error'; readonly error: string };

/** Where a request may go: its URL and, for a host name, the addresses already checked. */
type Target =
  | { readonly kind: 'target'; readonly url: URL; readonly lookup?: LookupFunction }
  | { readonly kind: 'error'; readonly error: string };

/** Hard caps whatever the config says, so one probe run stays bounded in a 1-minute Lambda. */
const MAX_SAMPLE_REQUESTS = 1000;
const MAX_SAMPLE_CONCURRENCY = 50;

/**
 * Probes over node:http/https with keep-alive agents (connections are reused across steps and
 * samples, as browsers do; ALB balances per request, not per connection). Every failure — refused
 * connection, TLS error, timeout, unexpected status, slow answer, forbidden target — becomes a
 * result, never a throw.
 *
 * A host name is resolved before the request and refused if any of its addresses is one probes may
 * not reach; the request then connects to those checked addresses only (a pinned `lookup`), so a
 * name that answers differently the second time (DNS rebinding) gains nothing. node:http follows
 * no redirects, so there is no further hop to check.
 */
export class HttpProber implements Prober {
  readonly #now: () => Date;
  readonly #mono: () => number;
  readonly #maxBody: number;
  readonly #userAgent: string;
  readonly #lookup: ResolveHost;
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: MAX_SAMPLE_CONCURRENCY });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SAMPLE_CONCURRENCY });

  constructor(options: HttpProberOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    this.#mono = options.monotonicMs ?? (() => performance.now());
    this.#maxBody = options.maxBodyBytes ?? 1024 * 1024;
    this.#userAgent = options.userAgent ?? 'lbguard-probe/1';
    this.#lookup = options.lookup ?? ((hostname) => systemLookup(hostname, { all: true }));
  }

  /**
   * Runs the probe's steps in order and stops at the first failing step: later steps of a journey
   * (cart after product) depend on earlier ones. Cookies set by a step are sent by the next.
   */
  async run(
    service: string,
    probe: PlainProbe,
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
    step: PlainStep,
    probe: PlainProbe,
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
    const signal = AbortSignal.timeout(probe.timeoutMs);
    const target = await this.#target(step.url, probe.allowLoopback === true, signal, probe.timeoutMs);
    const outcome =
      target.kind === 'error'
        ? target
        : await this.#send(target, step.method, headers, step.body, signal, probe.timeoutMs);
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
    const timeoutMs = options.timeoutMs ?? 5_000;
    // One resolution per burst: its first request resolves, the others reuse the checked answer.
    let target: Promise<Target> | undefined;
    await mapBounded(Array.from({ length: requests }), concurrency, async () => {
      if (this.#mono() >= deadline) return;
      sent++;
      const signal = AbortSignal.timeout(timeoutMs);
      target ??= this.#target(url, options.allowLoopback === true, signal, timeoutMs);
      const checked = await target;
      const outcome =
        checked.kind === 'error'
          ? checked
          : await this.#send(checked, 'GET', headers, undefined, signal, timeoutMs);
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

  /**
   * Where `url` may be sent: refused when its host is, or resolves to, an address probes may not
   * reach. Resolution counts against the request's timeout, as it did inside node:http.
   */
  async #target(
    url: string,
    allowLoopback: boolean,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<Target> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { kind: 'error', error: `invalid URL ${url}` };
    }
    const host = parsed.hostname;
    if (isIpLiteral(host)) {
      const kind = classifyAddress(host);
      return isRefused(kind, allowLoopback)
        ? {
            kind: 'error',
            error: `refused: ${host.replace(/^\[|\]$/g, '')} is ${refusal(kind, allowLoopback)}`,
          }
        : { kind: 'target', url: parsed };
    }
    let addresses: readonly LookupAddress[];
    try {
      addresses = await untilAborted(this.#lookup(host), signal);
    } catch (err) {
      return { kind: 'error', error: describeError(err, signal, timeoutMs) };
    }
    if (addresses.length === 0) return { kind: 'error', error: 'ENOTFOUND' };
    for (const { address } of addresses) {
      const kind = classifyAddress(address);
      if (isRefused(kind, allowLoopback)) {
        return {
          kind: 'error',
          error: `refused: ${host} resolves to ${address}, ${refusal(kind, allowLoopback)}`,
        };
      }
    }
    return { kind: 'target', url: parsed, lookup: pinnedLookup(addresses) };
  }

  #send(
    target: Extract<Target, { kind: 'target' }>,
    method: string,
    headers: Readonly<Record<string, string>>,
    body: string | undefined,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<Outcome> {
    const https = target.url.protocol === 'https:';
    return new Promise<Outcome>((resolve) => {
      const fail = (err: unknown) => resolve({ kind: 'error', error: describeError(err, signal, timeoutMs) });
      const req = (https ? httpsRequest : httpRequest)(
        target.url,
        {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
          agent: https ? this.#https : this.#http,
          signal,
          ...(target.lookup === undefined ? {} : { lookup: target.lookup }),
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

/** The rest of a refusal message: what the address is, and for loopback how to allow it. */
function refusal(kind: ForbiddenTarget, allowLoopback: boolean): string {
  return kind === 'loopback' && !allowLoopback
    ? `${FORBIDDEN_TARGETS[kind]}; only a probe with allowLoopback: true (a local drill or test) may reach it`
    : `${FORBIDDEN_TARGETS[kind]}, which probes never reach`;
}

/** A `lookup` for node:net that answers with addresses already checked, never asking DNS again. */
function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    const [first] = usable;
    if (first === undefined) {
      callback(Object.assign(new Error(`no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all === true) {
      callback(
        null,
        usable.map((a) => ({ address: a.address, family: a.family })),
      );
    } else {
      callback(null, first.address, first.family);
    }
  };
}

/** `promise`, or the abort of `signal` if that comes first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
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

/**
 * How long one pattern may run against one response. Config refuses patterns that backtrack
 * exponentially, but not polynomial ones (`.*a` on a long line without an `a`), which no syntax
 * rule tells from ordinary patterns; this bounds them all. Ordinary patterns take well under 1 ms
 * on a 1 MiB body.
 */
const PATTERN_BUDGET_MS = 100;

// A context whose only script tests one pattern: vm's timeout interrupts the regular expression
// engine, which nothing else in the event loop can.
const patternRealm = createContext({ pattern: /$^/, text: '' });
const testPattern = new Script('pattern.test(text)');

/** Whether `source` matches `text`, or `undefined` when it ran over the budget. */
function matchesWithinBudget(source: string, text: string): boolean | undefined {
  patternRealm.pattern = new RegExp(source);
  patternRealm.text = text;
  try {
    return testPattern.runInContext(patternRealm, { timeout: PATTERN_BUDGET_MS }) === true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return undefined;
    throw error;
  } finally {
    patternRealm.text = '';
  }
}

const OVER_BUDGET = `gave up after ${PATTERN_BUDGET_MS} ms: the pattern backtracks too much on this response; anchor it or narrow its wildcards`;

/** Assertion failures of one response, each a sentence. */
export function checkExpectations(expect: ExpectConfig, response: HttpResponse): string[] {
  const failures: string[] = [];
  if (!expect.status.includes(response.status)) {
    failures.push(`status ${response.status} not in [${expect.status.join(', ')}]`);
  }
  if (expect.bodyContains !== undefined && !response.body.includes(expect.bodyContains)) {
    failures.push(`body does not contain ${JSON.stringify(expect.bodyContains)}`);
  }
  if (expect.bodyMatches !== undefined) {
    const matched = matchesWithinBudget(expect.bodyMatches, response.body);
    if (matched === undefined) failures.push(`body match against /${expect.bodyMatches}/ ${OVER_BUDGET}`);
    else if (!matched) failures.push(`body does not match /${expect.bodyMatches}/`);
  }
  for (const [name, wanted] of Object.entries(expect.headers)) {
    const actual = headerValue(response.headers, name);
    if (typeof wanted === 'string') {
      if (actual !== wanted)
        failures.push(
          `header ${name} is ${JSON.stringify(actual ?? null)}, expected ${JSON.stringify(wanted)}`,
        );
    } else {
      const matched = actual === undefined ? false : matchesWithinBudget(wanted.matches, actual);
      if (matched === undefined)
        failures.push(`header ${name} match against /${wanted.matches}/ ${OVER_BUDGET}`);
      else if (!matched) {
        failures.push(
          `header ${name} is ${JSON.stringify(actual ?? null)}, expected to match /${wanted.matches}/`,
        );
      }
    }
  }
  return failures;
}
