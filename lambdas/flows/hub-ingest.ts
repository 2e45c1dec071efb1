/**
 * The hub's intake: one EventBridge event from the hub bus per invocation (the rule's target).
 * Valid events are written to the hub table, newest wins; refused ones are logged and counted
 * and never written. A refusal is an answer, not an error: throwing would make Lambda retry a
 * poison event that can never succeed. Only a failing write throws (a retry may succeed).
 */

import { planHubWrite } from '../../lib/fleet/hub-records.ts';
import type { HubRefusalCode } from '../../lib/fleet/hub-validation.ts';
import { validateHubEvent } from '../../lib/fleet/hub-validation.ts';
import type { Now } from '../adapters/clock.ts';
import type { FleetMetrics } from '../adapters/fleet-metrics.ts';
import type { HubTable } from '../adapters/hub-table.ts';
import type { Log } from '../adapters/log.ts';

export interface HubIngestDeps {
  readonly table: HubTable;
  readonly metrics: FleetMetrics;
  readonly logger: Log;
  readonly now: Now;
}

interface From {
  readonly detailType: string;
  readonly account: string;
  readonly region: string;
}

export type IngestOutcome =
  | (From & { readonly kind: 'written' })
  /** The table already held something newer (a late or repeated delivery). */
  | (From & { readonly kind: 'stale' })
  /** Accepted, nothing to keep (enrolments: the next heartbeat carries the state). */
  | (From & { readonly kind: 'recorded' })
  | { readonly kind: 'refused'; readonly code: HubRefusalCode; readonly reason: string };

/** What an envelope says about itself, for logging a refused one (never trusted for anything else). */
function claimed(envelope: unknown): Record<string, unknown> {
  if (typeof envelope !== 'object' || envelope === null) return {};
  const e = envelope as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 128) : undefined);
  return {
    id: text(e.id),
    detailType: text(e['detail-type']),
    account: text(e.account),
    region: text(e.region),
  };
}

/** Validates, writes and counts one hub event. */
export async function ingestHubEvent(envelope: unknown, deps: HubIngestDeps): Promise<IngestOutcome> {
  const validation = validateHubEvent(envelope, deps.now());
  if (!validation.ok) {
    const { code, reason } = validation.refusal;
    const from = claimed(envelope);
    deps.logger.warn('hub event refused', { code, reason, ...from });
    deps.metrics.ingested('hubEventsRefused', String(from.detailType ?? ''), { reason: code });
    return { kind: 'refused', code, reason };
  }
  const { received } = validation;
  const from: From = {
    detailType: received.event.detailType,
    account: received.account,
    region: received.region,
  };
  const written = await deps.table.write(planHubWrite(received));
  switch (written) {
    case 'written':
    case 'nothing-to-write':
      deps.metrics.ingested('hubEvents', from.detailType);
      deps.logger.info('hub event recorded', { ...from, id: received.id, at: received.event.detail.at });
      return { ...from, kind: written === 'written' ? 'written' : 'recorded' };
    case 'stale':
      deps.metrics.ingested('hubEventsStale', from.detailType);
      deps.logger.info('hub event older than the stored record, skipped', {
        ...from,
        id: received.id,
        at: received.event.detail.at,
      });
      return { ...from, kind: 'stale' };
  }
}
