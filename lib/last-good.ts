import type { IncidentState } from './incident.ts';
import type { Diagnosis, ProbeResult, StoredSnapshot } from './types.ts';

/** A last known good snapshot, with the recorded reason for its promotion. */
export interface LastGood extends StoredSnapshot {
  readonly promotedAt: string;
  readonly reason: string;
}

/** When the snapshot with `hash` was first seen healthy; promotion waits for a soak period. */
export interface SoakMarker {
  readonly hash: string;
  readonly since: string;
}

/** What one healthy-or-not observation means for last known good. */
export interface SoakInput {
  readonly at: Date;
  readonly snapshotHash: string;
  readonly diagnosis: Pick<Diagnosis, 'cause'>;
  /** Every probe result under the current routing, blips included: the soak vouches for all of them. */
  readonly probes: readonly Pick<ProbeResult, 'ok'>[];
  /** The service's incident state after this observation (`ok` when there is none). */
  readonly incidentState: IncidentState;
  readonly lastGoodHash: string | undefined;
  readonly marker: SoakMarker | undefined;
  readonly soakSeconds: number;
}

export type SoakVerdict =
  /** Soaked long enough: promote the live snapshot, recording why. */
  | { readonly kind: 'promote'; readonly reason: string }
  /** Healthy, and a new snapshot (or the first healthy sight of it): the soak starts now. */
  | { readonly kind: 'start'; readonly marker: SoakMarker }
  /** Not healthy while a soak was under way: the soak restarts from the next healthy sight. */
  | { readonly kind: 'clear' }
  /** Nothing to record: still soaking, already last known good, or unhealthy with no soak under way. */
  | { readonly kind: 'wait' };

/**
 * Last known good moves only after `soakSeconds` of healthy observations of one snapshot: probes
 * green (and some probe results to prove it), diagnosis healthy, no incident under way. Any other
 * observation restarts the soak. Promotion is an explicit, recorded step, so the verdict carries
 * the reason the record will hold.
 */
export function judgeSoak(input: SoakInput): SoakVerdict {
  const healthy =
    soakWaitsOnIncident(input) && (input.incidentState === 'ok' || input.incidentState === 'resolved');
  if (!healthy) return input.marker === undefined ? { kind: 'wait' } : { kind: 'clear' };
  if (input.lastGoodHash === input.snapshotHash) return { kind: 'wait' };
  if (input.marker === undefined || input.marker.hash !== input.snapshotHash) {
    return { kind: 'start', marker: { hash: input.snapshotHash, since: input.at.toISOString() } };
  }
  const soakedSeconds = (input.at.getTime() - Date.parse(input.marker.since)) / 1000;
  if (soakedSeconds < input.soakSeconds) return { kind: 'wait' };
  return {
    kind: 'promote',
    reason: `healthy for ${Math.round(soakedSeconds)} s since ${input.marker.since}: probes green, routing as expected, no open incident`,
  };
}

/**
 * Whether the soak's verdict on an observation depends on the incident's state. Only a healthy
 * observation (diagnosis healthy, probe results present and all green) can start, continue or
 * promote a soak, and only then can an incident under way hold it back; any other observation
 * clears or waits whatever the incident. Inspect uses this to record that verdict beside the
 * incident's move instead of after the hand-off to remediate.
 */
export function soakWaitsOnIncident(input: Pick<SoakInput, 'diagnosis' | 'probes'>): boolean {
  return input.diagnosis.cause === 'healthy' && input.probes.length > 0 && input.probes.every((p) => p.ok);
}
