import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type HeartbeatDetail,
  HUB_DETAIL_TYPES,
  HUB_EVENT_SOURCE,
  type HubEvent,
} from '../../lib/fleet/hub-events.ts';
import { LBGUARD_DEPLOYMENT_METRICS } from '../../lib/metrics.ts';
import type { HubReporter } from './hub-reporter.ts';
import type { Log } from './log.ts';
import { type BorrowedClientConfig, SignedRequests } from './signed-request.ts';

// PutEvents on the function's own default bus, where a rule of the spoke stack forwards
// `source: lbguard` to the hub bus: the function needs no hub ARN, and a spoke without a hub never
// builds this reporter. Signed by hand with the ELBv2 client's parts (signed-request.ts): the
// EventBridge SDK client would add tens of KB to every bundle for this one call.

/** PutEvents' limits: entries per call, and bytes per call (also the most one entry may weigh). */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/** One PutEvents entry; no `EventBusName`: the default bus of the caller's account and region. */
export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

/** An entry's size as EventBridge counts it against the limits (UTF-8 bytes of its fields). */
export function entrySize(e: PutEventsEntry): number {
  return Buffer.byteLength(e.Source) + Buffer.byteLength(e.DetailType) + Buffer.byteLength(e.Detail);
}

function entry(detailType: string, detail: object): PutEventsEntry {
  return { Source: HUB_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) };
}

/**
 * The entries of one event. A heartbeat too large for one entry (thousands of load balancers)
 * becomes several heartbeats of the same shape and `at`, each with some of the load balancers
 * and refusals: the hub keeps one heartbeat item per load balancer, so the parts merge there.
 */
export function toEntries(event: HubEvent, maxBytes = PUT_EVENTS_MAX_BYTES): PutEventsEntry[] {
  const whole = entry(event.detailType, event.detail);
  if (event.detailType !== HUB_DETAIL_TYPES.heartbeat || entrySize(whole) <= maxBytes) return [whole];
  const d: HeartbeatDetail = event.detail;
  const items = [
    ...d.loadBalancers.map((lb) => ({ lb, size: Buffer.byteLength(JSON.stringify(lb)) + 1 })),
    ...d.refused.map((refused) => ({ refused, size: Buffer.byteLength(JSON.stringify(refused)) + 1 })),
  ];
  const base = entrySize(entry(event.detailType, { ...d, loadBalancers: [], refused: [] }));
  const parts: (typeof items)[] = [[]];
  let size = base;
  for (const item of items) {
    const part = parts.at(-1) as typeof items;
    if (part.length > 0 && size + item.size > maxBytes) {
      parts.push([item]);
      size = base + item.size;
    } else {
      part.push(item);
      size += item.size;
    }
  }
  return parts.map((part) =>
    entry(event.detailType, {
      ...d,
      loadBalancers: part.flatMap((i) => ('lb' in i ? [i.lb] : [])),
      refused: part.flatMap((i) => ('refused' in i ? [i.refused] : [])),
    }),
  );
}

/** Entries grouped into PutEvents calls: at most 10 entries and 256 KB each, in order. */
export function toBatches(
  entries: readonly PutEventsEntry[],
  maxBytes = PUT_EVENTS_MAX_BYTES,
): PutEventsEntry[][] {
  const batches: PutEventsEntry[][] = [];
  let size = 0;
  for (const e of entries) {
    const last = batches.at(-1);
    const n = entrySize(e);
    if (last === undefined || last.length >= PUT_EVENTS_MAX_ENTRIES || size + n > maxBytes) {
      batches.push([e]);
      size = n;
    } else {
      last.push(e);
      size += n;
    }
  }
  return batches;
}

interface PutEventsAnswer {
  readonly FailedEntryCount?: number;
  readonly Entries?: readonly { readonly ErrorCode?: string; readonly ErrorMessage?: string }[];
}

export interface EventBridgeHubReporterOptions {
  readonly log: Log;
  /** Called with the number of entries that could not be delivered, once per `report`. */
  readonly countFailures: (entries: number) => void;
  /** Pause before the one retry (tests pass 0). @default 200 */
  readonly retryDelayMs?: number;
}

/**
 * A `HubReporter` putting events on the default bus. Never throws: an entry EventBridge refused
 * (`FailedEntryCount`) or a call that failed is tried once more, then logged and counted; the
 * next heartbeat says again that the guard is alive, so a lost one costs a minute of coverage.
 */
export class EventBridgeHubReporter implements HubReporter {
  readonly #events: SignedRequests;
  readonly #options: EventBridgeHubReporterOptions;

  constructor(config: BorrowedClientConfig, options: EventBridgeHubReporterOptions) {
    // One attempt per call: the retry below is the only one, so reporting never holds an
    // inspection for the SDK's backoff.
    this.#events = new SignedRequests({ ...config, maxAttempts: async () => 1 }, 'events');
    this.#options = options;
  }

  async report(events: readonly HubEvent[]): Promise<void> {
    let failed = 0;
    try {
      const entries = events.flatMap((e) => toEntries(e));
      const fits = entries.filter((e) => entrySize(e) <= PUT_EVENTS_MAX_BYTES);
      if (fits.length < entries.length) {
        failed += entries.length - fits.length;
        this.#options.log.warn('hub event too large for EventBridge, not sent', {
          entries: entries.length - fits.length,
        });
      }
      for (const batch of toBatches(fits)) {
        let left = await this.#put(batch);
        if (left.length > 0) {
          await new Promise((resolve) => setTimeout(resolve, this.#options.retryDelayMs ?? 200));
          left = await this.#put(left);
        }
        failed += left.length;
      }
    } catch (error) {
      // Only a bug can land here (#put catches its own failures); still not the spoke's problem.
      this.#options.log.error('hub report failed', { error });
      failed = Math.max(failed, events.length);
    }
    if (failed > 0) this.#options.countFailures(failed);
  }

  /** Puts one batch; returns the entries not accepted (all of them when the call failed). */
  async #put(batch: readonly PutEventsEntry[]): Promise<PutEventsEntry[]> {
    try {
      const { text } = await this.#events.send({
        operation: 'PutEvents',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
        body: JSON.stringify({ Entries: batch }),
      });
      const answer = JSON.parse(text) as PutEventsAnswer;
      if ((answer.FailedEntryCount ?? 0) === 0) return [];
      const errors = answer.Entries ?? [];
      const left = batch.filter((_, i) => errors[i]?.ErrorCode !== undefined);
      this.#options.log.warn('hub events refused by EventBridge', {
        failed: left.length,
        errors: [...new Set(errors.flatMap((e) => (e.ErrorCode === undefined ? [] : [e.ErrorCode])))],
      });
      return left;
    } catch (error) {
      this.#options.log.warn('hub events not delivered', { entries: batch.length, error });
      return [...batch];
    }
  }
}

/**
 * Publishes `HubReportFailures` = entries (namespace `LbGuard`, no dimension: one per deployment,
 * as `StateWriteFailed`), in its own EMF record so it never picks up a service's dimension.
 */
export function hubReportFailureMetric(metrics: Metrics): (entries: number) => void {
  return (entries) => {
    metrics.addMetric(LBGUARD_DEPLOYMENT_METRICS.hubReportFailures, MetricUnit.Count, entries);
    metrics.publishStoredMetrics();
  };
}
