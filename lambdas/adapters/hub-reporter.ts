import type { HubEvent } from '../../lib/fleet/hub-events.ts';

/**
 * Where a spoke's findings, incident transitions, enrolments and heartbeats go on their way to the
 * hub (lib/fleet/hub-events.ts). A spoke never depends on the hub to act: `report` never throws; an
 * adapter that cannot deliver logs it and counts it, and the next heartbeat tries again.
 */
export interface HubReporter {
  report(events: readonly HubEvent[]): Promise<void>;
}

/** The reporter of a spoke deployed without a hub: nothing to tell, nothing to pay for. */
export class NoHubReporter implements HubReporter {
  async report(_events: readonly HubEvent[]): Promise<void> {}
}
