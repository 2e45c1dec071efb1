import type { ProbeHysteresisStates } from '../../../lib/hysteresis.ts';
import type { Incident } from '../../../lib/incident.ts';
import type { LastGood, SoakMarker } from '../../../lib/last-good.ts';
import type { ConfigChange, ProbeResult, ServedBySample, StoredSnapshot } from '../../../lib/types.ts';

// What lbguard keeps between invocations, as three ports by concept. One DynamoDB table holds all
// three (dynamodb-state-store.ts); a flow asks only for the ports it uses.

export type LockResult =
  | { readonly acquired: true; readonly expiresAt: string }
  | { readonly acquired: false; readonly heldBy: string; readonly expiresAt: string };

export type ReleaseResult =
  | { readonly released: true }
  | { readonly released: false; readonly heldBy?: string };

export type PutIncidentResult =
  | { readonly written: true }
  /** Someone else updated the incident since `expectUpdatedAt`; re-read and re-apply. */
  | { readonly written: false; readonly current?: Incident };

/** Snapshots as they were seen, last known good and its promotions, and the soak towards the next. */
export interface SnapshotStore {
  putSnapshot(service: string, stored: StoredSnapshot): Promise<void>;
  getLatestSnapshot(service: string): Promise<StoredSnapshot | undefined>;
  /** Newest first. */
  listSnapshots(service: string, limit?: number): Promise<StoredSnapshot[]>;
  getLastGood(service: string): Promise<LastGood | undefined>;
  promoteLastGood(service: string, stored: StoredSnapshot, reason: string, at: string): Promise<void>;
  /** Promotions, newest first: the record of every last-known-good change and why. */
  listPromotions(service: string, limit?: number): Promise<Omit<LastGood, 'snapshot'>[]>;
  getSoak(service: string): Promise<SoakMarker | undefined>;
  setSoak(service: string, marker: SoakMarker): Promise<void>;
  clearSoak(service: string): Promise<void>;
}

/** Incidents, and the per-service lock that keeps two remediations from acting at once. */
export interface IncidentStore {
  putIncident(
    incident: Incident,
    options?: { readonly expectUpdatedAt?: string },
  ): Promise<PutIncidentResult>;
  getIncident(service: string, id: string): Promise<Incident | undefined>;
  getOpenIncident(service: string): Promise<Incident | undefined>;
  /** Newest first by `openedAt`. */
  listIncidents(service: string, limit?: number): Promise<Incident[]>;
  acquireLock(service: string, owner: string, ttlSeconds: number, now: string): Promise<LockResult>;
  releaseLock(service: string, owner: string): Promise<ReleaseResult>;
}

/** What was seen between inspections: probe results, served-by samples, changes, probe hysteresis. */
export interface EvidenceStore {
  putProbeResults(service: string, results: readonly ProbeResult[]): Promise<void>;
  /** Results at or after `since`, oldest first. */
  recentProbeResults(service: string, since: string): Promise<ProbeResult[]>;
  putServedBySample(sample: ServedBySample): Promise<void>;
  recentServedBySamples(service: string, since: string): Promise<ServedBySample[]>;
  putConfigChange(service: string, change: ConfigChange): Promise<void>;
  /** Changes at or after `since`, oldest first. */
  recentConfigChanges(service: string, since: string): Promise<ConfigChange[]>;
  /** The service's probe hysteresis states, with the version to write them back under. */
  getProbeHysteresis(service: string): Promise<StoredProbeHysteresis | undefined>;
  /**
   * Writes the states if the stored version is still `expectVersion` (absent: nothing stored yet).
   * `written: false` means another run advanced them first: its notifications were its to send.
   */
  putProbeHysteresis(
    service: string,
    states: ProbeHysteresisStates,
    expectVersion: number | undefined,
  ): Promise<{ readonly written: boolean }>;
}

/** All of lbguard's state: what the one table holds. */
export interface StateStore extends SnapshotStore, IncidentStore, EvidenceStore {}

/** Probe hysteresis states as stored: one item per service, versioned for conditional writes. */
export interface StoredProbeHysteresis {
  readonly states: ProbeHysteresisStates;
  readonly version: number;
}
