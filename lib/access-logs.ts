/**
 * ALB access logs as a per-target source (DESIGN.md "What CloudWatch can and cannot see").
 *
 * Access logs are the one source that names the target of every request (`target:port`), but
 * ALB delivers them to S3 every 5 minutes: too late for detection, exact for a postmortem. This
 * module parses the documented line format and aggregates the lines of an incident window into
 * a per-target distribution with Wilson intervals, tested against expected shares with the same
 * `testSkew` every other source uses. Reading the objects is the adapter's business
 * (lambdas/adapters/alb-access-logs.ts); everything here is pure and never throws on a bad line.
 */
import { expectedTargetShares, wilsonInterval } from './served-by.ts';
import { testSkew } from './skew.ts';
import type { RoutingModel, SkewResult, SkewThresholds } from './types.ts';

/** What evidence and the postmortem name as the source of these counts. */
export const ACCESS_LOG_SOURCE = 'ALB access logs';

/** The fields of one access-log line that lbguard uses; the rest are kept unparsed. */
export interface AccessLogEntry {
  /** `http`, `https`, `h2`, `grpcs`, `ws` or `wss`. */
  readonly type: string;
  /** When the load balancer answered the client (ISO-8601, microseconds). */
  readonly time: string;
  /** `app/<name>/<id>`. */
  readonly elb: string;
  readonly client: string;
  /** `ip:port` of the target the request went to; undefined when ALB chose none (`-`). */
  readonly target?: string;
  /** Undefined when ALB logged `-` (e.g. the client closed the connection first). */
  readonly elbStatus?: number;
  /** Undefined when no target answered. */
  readonly targetStatus?: number;
  /** `GET https://shop.example.com:443/cart HTTP/2.0`, as logged. */
  readonly request: string;
  readonly targetGroupArn?: string;
}

export type AccessLogParse =
  | { readonly kind: 'ok'; readonly entry: AccessLogEntry }
  | { readonly kind: 'malformed'; readonly reason: string };

/** `type time elb client:port target:port … elb_status target_status rx tx "request"`: 13 fields at least. */
const MIN_FIELDS = 13;
const FIELD = {
  type: 0,
  time: 1,
  elb: 2,
  client: 3,
  target: 4,
  elbStatus: 8,
  targetStatus: 9,
  request: 12,
  targetGroupArn: 16,
} as const;

const TYPE = /^[a-z][a-z0-9]*$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
// `10.0.1.17:80`, `[2001:db8::1]:80`: whatever precedes the last colon, then a port.
const ENDPOINT = /^\S+:\d{1,5}$/;
const STATUS = /^\d{3}$/;

/**
 * Splits a line on single spaces, keeping double-quoted fields whole (`"GET /a b HTTP/1.1"`)
 * and unescaping `\"` and `\\` inside them. Undefined when a quote is never closed.
 */
export function splitAccessLogFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (line[i] === '"') {
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < line.length) {
        const c = line[j];
        if (c === '\\' && j + 1 < line.length) {
          value += line[j + 1];
          j += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          break;
        }
        value += c;
        j++;
      }
      if (!closed) return undefined;
      fields.push(value);
      i = j + 1;
      continue;
    }
    const end = line.indexOf(' ', i);
    const stop = end < 0 ? line.length : end;
    fields.push(line.slice(i, stop));
    i = stop;
  }
  return fields;
}

/**
 * Parses one access-log line in AWS's documented format. Fields AWS appends over time are
 * ignored; a line that cannot be a request record is `malformed` with the reason, never thrown.
 */
export function parseAccessLogLine(line: string): AccessLogParse {
  const trimmed = line.replace(/\r$/, '');
  const fields = splitAccessLogFields(trimmed);
  if (fields === undefined) return malformed('a double-quoted field is not closed');
  if (fields.length < MIN_FIELDS) {
    return malformed(`${fields.length} fields; a request record has at least ${MIN_FIELDS}`);
  }
  const get = (index: number) => fields[index] as string;
  const type = get(FIELD.type);
  if (!TYPE.test(type)) return malformed(`type ${JSON.stringify(type)} is not a protocol`);
  const time = get(FIELD.time);
  if (!ISO_TIME.test(time) || Number.isNaN(Date.parse(time))) {
    return malformed(`time ${JSON.stringify(time)} is not an ISO-8601 UTC time`);
  }
  const client = get(FIELD.client);
  if (!ENDPOINT.test(client)) return malformed(`client ${JSON.stringify(client)} is not ip:port`);
  const target = get(FIELD.target);
  if (target !== '-' && !ENDPOINT.test(target)) {
    return malformed(`target ${JSON.stringify(target)} is neither ip:port nor -`);
  }
  const elbStatus = status(get(FIELD.elbStatus));
  const targetStatus = status(get(FIELD.targetStatus));
  if (elbStatus === null) return malformed(`elb_status_code ${JSON.stringify(get(FIELD.elbStatus))}`);
  if (targetStatus === null) {
    return malformed(`target_status_code ${JSON.stringify(get(FIELD.targetStatus))}`);
  }
  const targetGroupArn = fields[FIELD.targetGroupArn];
  return {
    kind: 'ok',
    entry: {
      type,
      time,
      elb: get(FIELD.elb),
      client,
      ...(target === '-' ? {} : { target }),
      ...(elbStatus === undefined ? {} : { elbStatus }),
      ...(targetStatus === undefined ? {} : { targetStatus }),
      request: get(FIELD.request),
      ...(targetGroupArn === undefined || targetGroupArn === '-' ? {} : { targetGroupArn }),
    },
  };
}

/** A status code, undefined for `-`, null for anything else. */
function status(value: string): number | undefined | null {
  if (value === '-') return undefined;
  return STATUS.test(value) ? Number(value) : null;
}

function malformed(reason: string): AccessLogParse {
  return { kind: 'malformed', reason };
}

// ---------------------------------------------------------------------------------------------
// Aggregation over a window
// ---------------------------------------------------------------------------------------------

/** One target's row of the distribution. */
export interface AccessLogTargetRow {
  /** The target key when `aliases` names it, else `ip:port` as logged. */
  readonly key: string;
  readonly requests: number;
  /** Share of the requests that reached a target, with its Wilson interval. */
  readonly share: number;
  readonly low: number;
  readonly high: number;
  /** Responses the target itself answered 5xx. */
  readonly target5xx: number;
  /** Responses ALB answered 5xx after choosing this target (502 refused, 504 timeout, …). */
  readonly elb5xx: number;
}

export type AccessLogSkewTest =
  | {
      readonly kind: 'tested';
      readonly expected: Readonly<Record<string, number>>;
      readonly skew: SkewResult;
      /** Requests to targets the expected shares do not name, left out of the test. */
      readonly excluded: number;
    }
  | { readonly kind: 'untested'; readonly reason: string };

/** A malformed line, for the reader to see what was skipped. */
export interface MalformedLine {
  /** Where the line came from (`<object key>:<line number>`, or just the line number). */
  readonly where: string;
  readonly reason: string;
}

/** The per-target distribution of requests in one window, read from ALB access logs. */
export interface AccessLogDistribution {
  readonly kind: 'distribution';
  readonly source: typeof ACCESS_LOG_SOURCE;
  readonly from: string;
  readonly to: string;
  readonly confidence: number;
  /** Request records in the window; equals the targets' requests plus `noTarget.requests`. */
  readonly requests: number;
  /** Heaviest first. */
  readonly targets: readonly AccessLogTargetRow[];
  /** Requests ALB answered without choosing a target (`target:port` is `-`). */
  readonly noTarget: { readonly requests: number; readonly elb5xx: number };
  readonly test: AccessLogSkewTest;
  readonly lines: {
    readonly read: number;
    readonly outsideWindow: number;
    readonly malformed: number;
    /** The first few malformed lines. */
    readonly malformedExamples: readonly MalformedLine[];
  };
  /** Log objects read, when the caller counted them. */
  readonly objects?: number;
  /** Set when the reader stopped early: the counts are a lower bound. Never silent. */
  readonly truncation?: string;
}

export interface AccessLogWindowOptions {
  /** Window start (ISO-8601), inclusive. */
  readonly from: string;
  /** Window end (ISO-8601), exclusive. */
  readonly to: string;
  /** Expected share per target key; the skew test runs only when given. */
  readonly expected?: Readonly<Record<string, number>>;
  /** Needed with `expected`. */
  readonly thresholds?: SkewThresholds;
  /** Logged `ip:port` → target key (`i-0a:80`), for targets the snapshot names otherwise. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Of the share intervals, in (0, 1). Default 0.95. */
  readonly confidence?: number;
  /** Only lines of this load balancer (`app/<name>/<id>`). */
  readonly elb?: string;
}

/** Extra facts the reader knows once it stops reading. */
export interface AccessLogReadSummary {
  readonly objects?: number;
  readonly truncation?: string;
}

/** Feeds lines one at a time (a streaming reader never holds a whole object) and summarises. */
export interface AccessLogAggregator {
  /** Counts one line; `where` labels it if it is malformed. Blank lines are ignored. */
  add(line: string, where?: string): void;
  finish(summary?: AccessLogReadSummary): AccessLogDistribution;
}

const MAX_MALFORMED_EXAMPLES = 5;
const DEFAULT_CONFIDENCE = 0.95;

interface Tally {
  requests: number;
  target5xx: number;
  elb5xx: number;
}

/**
 * An aggregator of the lines of the window [`from`, `to`), by the time ALB answered.
 * @throws RangeError when `from` or `to` is not a time, `to` is before `from`, `expected` is given
 * without `thresholds`, or the confidence is not in (0, 1).
 */
export function createAccessLogAggregator(options: AccessLogWindowOptions): AccessLogAggregator {
  const from = Date.parse(options.from);
  const to = Date.parse(options.to);
  if (Number.isNaN(from)) throw new RangeError(`from ${options.from} is not a time`);
  if (Number.isNaN(to)) throw new RangeError(`to ${options.to} is not a time`);
  if (to < from) throw new RangeError(`to ${options.to} is before from ${options.from}`);
  if (options.expected !== undefined && options.thresholds === undefined) {
    throw new RangeError('expected shares need thresholds for the skew test (thresholds.skew)');
  }
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence ${confidence} is not in (0, 1)`);

  const byTarget = new Map<string, Tally>();
  const noTarget = { requests: 0, elb5xx: 0 };
  let read = 0;
  let outsideWindow = 0;
  let malformedCount = 0;
  const examples: MalformedLine[] = [];

  return {
    add(line, where) {
      if (line.trim() === '') return;
      read++;
      const parsed = parseAccessLogLine(line);
      if (parsed.kind === 'malformed') {
        malformedCount++;
        if (examples.length < MAX_MALFORMED_EXAMPLES) {
          examples.push({ where: where ?? `line ${read}`, reason: parsed.reason });
        }
        return;
      }
      const { entry } = parsed;
      const at = Date.parse(entry.time);
      if (at < from || at >= to || (options.elb !== undefined && entry.elb !== options.elb)) {
        outsideWindow++;
        return;
      }
      const elbError = entry.elbStatus !== undefined && entry.elbStatus >= 500;
      if (entry.target === undefined) {
        noTarget.requests++;
        if (elbError) noTarget.elb5xx++;
        return;
      }
      const key = options.aliases?.[entry.target] ?? entry.target;
      const tally = byTarget.get(key) ?? { requests: 0, target5xx: 0, elb5xx: 0 };
      tally.requests++;
      if (entry.targetStatus !== undefined && entry.targetStatus >= 500) tally.target5xx++;
      if (elbError) tally.elb5xx++;
      byTarget.set(key, tally);
    },
    finish(summary = {}) {
      const targeted = [...byTarget.values()].reduce((n, t) => n + t.requests, 0);
      const targets = [...byTarget]
        .map(([key, t]) => ({
          key,
          requests: t.requests,
          share: t.requests / targeted,
          ...wilsonInterval(t.requests, targeted, confidence),
          target5xx: t.target5xx,
          elb5xx: t.elb5xx,
        }))
        .sort((a, b) => b.requests - a.requests || a.key.localeCompare(b.key));
      const counts = Object.fromEntries(targets.map((t) => [t.key, t.requests]));
      return {
        kind: 'distribution',
        source: ACCESS_LOG_SOURCE,
        from: options.from,
        to: options.to,
        confidence,
        requests: targeted + noTarget.requests,
        targets,
        noTarget: { ...noTarget },
        test: testAgainstExpected(counts, options),
        lines: { read, outsideWindow, malformed: malformedCount, malformedExamples: [...examples] },
        ...(summary.objects === undefined ? {} : { objects: summary.objects }),
        ...(summary.truncation === undefined ? {} : { truncation: summary.truncation }),
      };
    },
  };
}

/**
 * Per-target distribution of `lines` in a window, in one call (see `createAccessLogAggregator`).
 * @throws RangeError on invalid options, never on a bad line.
 */
export function aggregateAccessLogs(
  lines: Iterable<string>,
  options: AccessLogWindowOptions,
  summary?: AccessLogReadSummary,
): AccessLogDistribution {
  const aggregator = createAccessLogAggregator(options);
  for (const line of lines) aggregator.add(line);
  return aggregator.finish(summary);
}

function testAgainstExpected(
  counts: Readonly<Record<string, number>>,
  options: AccessLogWindowOptions,
): AccessLogSkewTest {
  const { expected, thresholds } = options;
  if (expected === undefined || thresholds === undefined) {
    return { kind: 'untested', reason: 'no expected per-target shares were given' };
  }
  const named = Object.keys(counts).filter((key) => key in expected);
  if (Object.keys(counts).length > 0 && named.length === 0) {
    // Testing keys that can never match would read as "all traffic went somewhere unexpected".
    return {
      kind: 'untested',
      reason:
        'no logged target:port names a target of the expected shares (instance targets are logged by private IP)',
    };
  }
  const observed = Object.fromEntries(named.map((key) => [key, counts[key] as number]));
  const excluded = Object.entries(counts)
    .filter(([key]) => !(key in expected))
    .reduce((n, [, count]) => n + count, 0);
  return { kind: 'tested', expected, skew: testSkew(observed, expected, thresholds), excluded };
}

export type ExpectedTargetShares =
  | { readonly kind: 'known'; readonly expected: Readonly<Record<string, number>> }
  | { readonly kind: 'unknown'; readonly reason: string };

/**
 * The expected per-target shares of a whole load balancer's access logs, when the routing model
 * can say: logs mix every listener and rule, so this holds only when a single route forwards to
 * targets. Keys are target keys (`10.0.1.17:80` for IP targets, `i-0a:80` for instances).
 */
export function expectedAccessLogShares(model: RoutingModel): ExpectedTargetShares {
  const forwarding = model.routes
    .map(expectedTargetShares)
    .filter((expected) => Object.keys(expected).length > 0);
  if (forwarding.length === 1) return { kind: 'known', expected: forwarding[0] as Record<string, number> };
  return {
    kind: 'unknown',
    reason:
      forwarding.length === 0
        ? 'no route of the load balancer forwards to a target'
        : `${forwarding.length} routes forward to targets and access-log counts mix them`,
  };
}
