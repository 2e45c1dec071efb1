/**
 * Per-instance request counters (DESIGN.md "What CloudWatch can and cannot see"): one line of
 * CloudWatch Embedded Metric Format that any application, in any language, prints to stdout to
 * say how many requests this instance served since its last line. CloudWatch Logs turns it into
 * the metric `LbGuard/Instances InstanceRequests` with dimensions `Service` and `InstanceId`,
 * which lbguard reads back per instance; the same lines can be parsed straight from a log file.
 *
 * Cost is why the format is this narrow: every distinct dimension set is one custom metric
 * ($0.30 a month each, prorated by the hour), so one set of exactly two dimensions, one line per
 * instance per minute (aggregate in process, never one line per request). A fleet of 10
 * instances costs about $3 a month; auto scaling adds a metric per new instance id for the hours
 * it emits. The exact format, with examples in several languages, is in
 * docs/per-target-distribution.md.
 */

import { targetKeyResolver } from './served-by.ts';
import type { LbSnapshot } from './types.ts';

export const INSTANCE_COUNTER_NAMESPACE = 'LbGuard/Instances';
export const INSTANCE_COUNTER_METRIC = 'InstanceRequests';
export const INSTANCE_ID_DIMENSION = 'InstanceId';
/** `Service` as documented; `service` too, which is what Powertools Metrics names its default dimension. */
const SERVICE_DIMENSIONS = ['Service', 'service'] as const;

/** One counter line: requests one instance served in the interval ending at `at`. */
export interface InstanceCounter {
  readonly service: string;
  /** The target as registered: instance id, or `id:port` / `ip:port` when several share an id. */
  readonly instanceId: string;
  readonly count: number;
  /** ISO-8601, from the line's `_aws.Timestamp`. */
  readonly at: string;
}

/** A value read back from CloudWatch (GetMetricData on the metric above), summed over a window. */
export interface InstanceCounterDatapoint {
  readonly service: string;
  readonly instanceId: string;
  readonly count: number;
  readonly at?: string;
}

export type InstanceCounterError =
  /** Not a JSON object: most log lines are this, and are skipped quietly. */
  | 'not-json'
  /** JSON without EMF metadata (`_aws.CloudWatchMetrics`). */
  | 'not-emf'
  /** EMF for some other metric. */
  | 'other-metric'
  /** Meant as a counter line but wrong: the reason says how to fix it. */
  | 'invalid';

export type InstanceCounterParse =
  | { readonly kind: 'ok'; readonly counter: InstanceCounter }
  | { readonly kind: 'error'; readonly code: InstanceCounterError; readonly reason: string };

/**
 * Parses and validates one log line as an instance counter. Strict where a mistake would cost
 * money or silently drop data (extra dimension sets, a unit other than Count, a negative count),
 * lenient where EMF is (the value may be an array of counts, which are summed).
 */
export function parseInstanceCounterLine(line: string): InstanceCounterParse {
  const text = line.trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('not-json', 'not valid JSON');
  }
  if (!isRecord(value)) return fail('not-json', 'not a JSON object');
  const aws = value._aws;
  if (!isRecord(aws) || !Array.isArray(aws.CloudWatchMetrics)) {
    return fail('not-emf', 'no _aws.CloudWatchMetrics: not an Embedded Metric Format line');
  }
  const directive = aws.CloudWatchMetrics.find(
    (d): d is Record<string, unknown> =>
      isRecord(d) &&
      d.Namespace === INSTANCE_COUNTER_NAMESPACE &&
      Array.isArray(d.Metrics) &&
      d.Metrics.some((m) => isRecord(m) && m.Name === INSTANCE_COUNTER_METRIC),
  );
  if (directive === undefined) {
    return fail(
      'other-metric',
      `no ${INSTANCE_COUNTER_NAMESPACE} ${INSTANCE_COUNTER_METRIC} metric in this line`,
    );
  }
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) {
    return fail('invalid', '_aws.Timestamp must be milliseconds since the epoch (a number)');
  }
  const metric = (directive.Metrics as unknown[]).find(
    (m): m is Record<string, unknown> => isRecord(m) && m.Name === INSTANCE_COUNTER_METRIC,
  ) as Record<string, unknown>;
  if (metric.Unit !== undefined && metric.Unit !== 'Count') {
    return fail(
      'invalid',
      `${INSTANCE_COUNTER_METRIC} must have Unit "Count", not ${JSON.stringify(metric.Unit)}`,
    );
  }
  const dimensions = checkDimensions(directive.Dimensions);
  if (dimensions.kind === 'wrong') return fail('invalid', dimensions.reason);
  const service = value[dimensions.service];
  const instanceId = value[INSTANCE_ID_DIMENSION];
  if (typeof service !== 'string' || service === '') {
    return fail('invalid', `${dimensions.service} must be a non-empty string`);
  }
  if (typeof instanceId !== 'string' || instanceId === '') {
    return fail('invalid', `${INSTANCE_ID_DIMENSION} must be a non-empty string`);
  }
  const count = sumCount(value[INSTANCE_COUNTER_METRIC]);
  if (count === undefined) {
    return fail('invalid', `${INSTANCE_COUNTER_METRIC} must be a non-negative number (or an array of them)`);
  }
  return {
    kind: 'ok',
    counter: { service, instanceId, count, at: new Date(timestamp).toISOString() },
  };
}

type DimensionCheck =
  | { readonly kind: 'right'; readonly service: (typeof SERVICE_DIMENSIONS)[number] }
  | { readonly kind: 'wrong'; readonly reason: string };

/** The one dimension set allowed, and the name its service dimension uses. */
function checkDimensions(value: unknown): DimensionCheck {
  const expected = `[["Service", "${INSTANCE_ID_DIMENSION}"]]`;
  if (!Array.isArray(value) || value.length === 0) {
    return { kind: 'wrong', reason: `Dimensions must be ${expected}` };
  }
  if (value.length > 1) {
    return {
      kind: 'wrong',
      reason: `Dimensions must be exactly ${expected}: each further dimension set is another custom metric ($0.30 a month each)`,
    };
  }
  const set: unknown = value[0];
  const service = SERVICE_DIMENSIONS.find((name) => Array.isArray(set) && set.includes(name));
  if (
    !Array.isArray(set) ||
    set.length !== 2 ||
    !set.includes(INSTANCE_ID_DIMENSION) ||
    service === undefined
  ) {
    return { kind: 'wrong', reason: `Dimensions must be ${expected}, not ${JSON.stringify(value)}` };
  }
  return { kind: 'right', service };
}

function sumCount(value: unknown): number | undefined {
  const values = Array.isArray(value) ? value : [value];
  let total = 0;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
    total += v;
  }
  return total;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fail(code: InstanceCounterError, reason: string): InstanceCounterParse {
  return { kind: 'error', code, reason };
}

/**
 * The canonical counter line for `counter`, exactly as docs/per-target-distribution.md shows it.
 * @throws RangeError when `counter.at` is not a time.
 */
export function formatInstanceCounterLine(counter: InstanceCounter): string {
  const timestamp = Date.parse(counter.at);
  if (Number.isNaN(timestamp)) throw new RangeError(`at ${counter.at} is not a time`);
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: INSTANCE_COUNTER_NAMESPACE,
          Dimensions: [['Service', INSTANCE_ID_DIMENSION]],
          Metrics: [{ Name: INSTANCE_COUNTER_METRIC, Unit: 'Count' }],
        },
      ],
    },
    Service: counter.service,
    [INSTANCE_ID_DIMENSION]: counter.instanceId,
    [INSTANCE_COUNTER_METRIC]: counter.count,
  });
}

export interface CountsByInstanceOptions {
  /** Only this service's counters. */
  readonly service?: string;
  /** Only counters at or after this time (ISO-8601); counters without a time are kept. */
  readonly since?: string;
  /** Only counters before this time. */
  readonly until?: string;
  /** Map instance ids to target keys (`i-0a` → `i-0a:8080`); unmatched ids are kept as printed. */
  readonly snapshot?: LbSnapshot;
}

/**
 * Requests per instance summed over log lines (lines that are not counters are skipped) or
 * CloudWatch datapoints: the per-target counts `sharesFromInstanceCounts` tests for skew.
 */
export function countsByInstance(
  input: readonly (string | InstanceCounterDatapoint)[],
  options: CountsByInstanceOptions = {},
): Record<string, number> {
  const resolve = options.snapshot === undefined ? undefined : targetKeyResolver(options.snapshot);
  const counts: Record<string, number> = {};
  for (const item of input) {
    const counter = typeof item === 'string' ? parsedCounter(item) : item;
    if (counter === undefined || !selected(counter, options)) continue;
    const key = resolve?.(counter.instanceId) ?? counter.instanceId;
    counts[key] = (counts[key] ?? 0) + counter.count;
  }
  return counts;
}

function parsedCounter(line: string): InstanceCounter | undefined {
  const parsed = parseInstanceCounterLine(line);
  return parsed.kind === 'ok' ? parsed.counter : undefined;
}

function selected(counter: InstanceCounterDatapoint, options: CountsByInstanceOptions): boolean {
  if (options.service !== undefined && counter.service !== options.service) return false;
  if (counter.at === undefined) return true;
  const at = Date.parse(counter.at);
  if (options.since !== undefined && at < Date.parse(options.since)) return false;
  if (options.until !== undefined && at >= Date.parse(options.until)) return false;
  return true;
}
