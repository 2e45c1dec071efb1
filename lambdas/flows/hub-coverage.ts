/**
 * The hub's coverage check, every minute: list what should be guarded across the fleet (the hub's
 * own fan-out, fleet-scan.ts), compare with the spokes' heartbeats (lib/fleet/coverage.ts), keep
 * the result, count each uncovered load balancer, and tell people once per change.
 */
import type { DiscoveryConfig, FleetConfig } from '../../lib/config/index.ts';
import {
  assessCoverage,
  type CoverageChange,
  type CoverageResult,
  diffCoverage,
  hasCoverageChange,
  type ScopeListing,
} from '../../lib/fleet/coverage.ts';
import { coverageChangeMessage } from '../../lib/fleet/coverage-message.ts';
import type { Now } from '../adapters/clock.ts';
import type { FleetMetrics } from '../adapters/fleet-metrics.ts';
import type { HubTable } from '../adapters/hub-table.ts';
import type { HubTopic } from '../adapters/hub-topic.ts';
import type { Log } from '../adapters/log.ts';
import { type FleetScanPorts, scanFleet } from './fleet-scan.ts';

export interface HubCoverageDeps<S = unknown> {
  readonly fleet: FleetConfig;
  readonly profiles: DiscoveryConfig['profiles'];
  /** `fleet.hub.coverageMinutes`. */
  readonly coverageMinutes: number;
  /** Built per run: role sessions last 15 minutes and a warm function lives for hours. */
  readonly scanPorts: () => FleetScanPorts<S>;
  readonly table: HubTable;
  readonly topic: HubTopic;
  readonly metrics: FleetMetrics;
  readonly logger: Log;
  readonly now: Now;
}

export type CoverageOutcome =
  | {
      readonly kind: 'checked';
      readonly result: CoverageResult;
      readonly change: CoverageChange;
      readonly notified: boolean;
    }
  /** An overlapping check stored its result first; it reports, this one stays silent. */
  | { readonly kind: 'superseded'; readonly result: CoverageResult };

/** What an absent previous result is put back as when the notification fails. */
const NOTHING_KNOWN: CoverageResult = {
  at: new Date(0).toISOString(),
  scopes: 0,
  covered: [],
  uncovered: [],
  unreadable: [],
};

/**
 * One coverage check. Throws only when the accounts cannot be listed, the hub table cannot be
 * read or written, or the notification cannot be sent; then no `CoverageChecks` is counted and
 * the missing-checks alarm speaks. The stored result is claimed before notifying (so two
 * overlapping checks never both notify) and put back when notifying fails (so the next check
 * notifies the change again rather than never).
 */
export async function checkCoverage<S>(deps: HubCoverageDeps<S>): Promise<CoverageOutcome> {
  const scan = await scanFleet(deps.fleet, deps.scanPorts(), async (_session, _scope, lbs) => lbs);
  const scopes: ScopeListing[] = scan.scopes.map((s) =>
    s.status === 'read'
      ? { status: 'read', account: s.account, region: s.region, loadBalancers: s.value }
      : { status: 'unreadable', account: s.account, region: s.region, error: `${s.stage}: ${s.error}` },
  );
  const [heartbeats, previous] = await Promise.all([
    deps.table.readHeartbeats(scan.scopes),
    deps.table.readCoverage(),
  ]);
  const result = assessCoverage({
    scopes,
    ...heartbeats,
    profiles: deps.profiles,
    now: deps.now(),
    coverageMinutes: deps.coverageMinutes,
    ...(previous === undefined ? {} : { previous }),
  });
  const change = diffCoverage(previous, result);
  if (!(await deps.table.replaceCoverage(previous, result))) {
    deps.logger.info('coverage check superseded by an overlapping one', { at: result.at });
    return { kind: 'superseded', result };
  }
  const notify = hasCoverageChange(change);
  if (notify) {
    try {
      await deps.topic.publish(coverageChangeMessage(change, result.at));
    } catch (error) {
      await deps.table.replaceCoverage(result, previous ?? NOTHING_KNOWN);
      throw error;
    }
  }
  deps.metrics.uncovered(result.uncovered, 1);
  deps.metrics.uncovered(change.recovered, 0);
  deps.metrics.coverageCheck();
  deps.logger.info('coverage checked', {
    scopes: result.scopes,
    unreadable: result.unreadable.length,
    covered: result.covered.length,
    uncovered: result.uncovered.map((u) => ({
      account: u.account,
      region: u.region,
      loadBalancer: u.loadBalancer,
      reason: u.reason.kind,
      since: u.since,
    })),
    newlyUncovered: change.uncovered.length,
    recovered: change.recovered.length,
  });
  return { kind: 'checked', result, change, notified: notify };
}
