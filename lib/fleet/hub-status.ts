/**
 * `lbguard status --fleet --hub`'s verdict over what the hub table holds: per spoke whether its
 * heartbeat is recent, per service its diagnosis, incident and last transition, and the coverage
 * check's uncovered load balancers. Pure: the CLI reads the table (hub-items.ts) and renders.
 */
import type { RefusedLoadBalancer } from './hub-events.ts';
import type { HubCoverageItem, HubServiceItem, HubTable, UncoveredLoadBalancer } from './hub-items.ts';

/** One spoke (account and region) as the hub last heard from it. */
export interface HubSpokeStatus {
  readonly account: string;
  readonly region: string;
  readonly lastHeartbeatAt: string;
  readonly ageSeconds: number;
  /** No heartbeat for longer than `coverageMinutes`: the guard there may be down. */
  readonly stale: boolean;
  readonly lbguardVersion: string;
  readonly guarded: number;
  readonly refused: readonly RefusedLoadBalancer[];
}

/** One service as its spoke's last heartbeat listed it, with its latest transition. */
export interface HubServiceStatus {
  readonly account: string;
  readonly region: string;
  readonly service: string;
  readonly loadBalancerArn: string;
  /** `unreported`: the hub has its finding or transition but no recent heartbeat lists it. */
  readonly status: 'inspected' | 'failed' | 'unreported';
  readonly diagnosis?: string;
  readonly incidentState?: string;
  readonly heartbeatAt?: string;
  readonly lastTransition?: NonNullable<HubServiceItem['lastTransition']>;
  readonly healthy: boolean;
}

export interface HubStatus {
  readonly at: string;
  readonly coverageMinutes: number;
  /** The coverage check's latest run; null when it never ran. */
  readonly coverage: {
    readonly at: string;
    readonly ageSeconds: number;
    readonly stale: boolean;
    readonly scopes: number;
  } | null;
  readonly spokes: readonly HubSpokeStatus[];
  readonly services: readonly HubServiceStatus[];
  readonly uncovered: readonly UncoveredLoadBalancer[];
  readonly unreadable: HubCoverageItem['unreadable'];
  readonly malformed: readonly string[];
  /** Everything covered, every spoke heard from and every service healthy. */
  readonly healthy: boolean;
}

/** Incident states that mean nothing is open. */
const CLOSED = new Set(['ok', 'resolved']);

const ageOf = (at: string, now: Date) => Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
const scopeOf = (x: { account: string; region: string }) => `${x.account}#${x.region}`;

/**
 * Judges the hub's view of the fleet at `now`. A spoke is stale, as the coverage check judges a
 * load balancer, after `coverageMinutes` without a heartbeat; the coverage check is stale after
 * as long without a run (it runs every minute). A load balancer line older than its spoke's last
 * heartbeat by more than `coverageMinutes` was not in the recent heartbeats (released, deleted):
 * it is left out, and whether it should still be guarded is the coverage check's to say.
 * Sorted by account, region, then service, so two runs over the same table print the same.
 */
export function summariseHub(table: HubTable, now: Date, coverageMinutes: number): HubStatus {
  const window = coverageMinutes * 60;
  const spokes = table.spokes
    .map((s): HubSpokeStatus => {
      const ageSeconds = ageOf(s.lastHeartbeatAt, now);
      return { ...s, ageSeconds, stale: ageSeconds > window };
    })
    .sort((a, b) => scopeOf(a).localeCompare(scopeOf(b)));
  const lastHeartbeat = new Map(spokes.map((s) => [scopeOf(s), Date.parse(s.lastHeartbeatAt)]));
  const latest = new Map(table.services.map((s) => [`${scopeOf(s)}#${s.service}`, s]));
  const services = new Map<string, HubServiceStatus>();
  for (const lb of table.loadBalancers) {
    const last = lastHeartbeat.get(scopeOf(lb)) ?? Number.NEGATIVE_INFINITY;
    if (Date.parse(lb.heartbeatAt) < last - window * 1000) continue;
    const key = `${scopeOf(lb)}#${lb.service}`;
    const transition = latest.get(key)?.lastTransition;
    services.set(key, {
      ...lb,
      ...(transition === undefined ? {} : { lastTransition: transition }),
      healthy:
        lb.status === 'inspected' &&
        lb.diagnosis === 'healthy' &&
        (lb.incidentState === undefined || CLOSED.has(lb.incidentState)),
    });
  }
  for (const [key, s] of latest) {
    if (services.has(key)) continue;
    // Known by its events only: reported as such, not judged (the coverage check judges it).
    services.set(key, {
      account: s.account,
      region: s.region,
      service: s.service,
      loadBalancerArn: s.loadBalancerArn,
      status: 'unreported',
      ...(s.lastTransition === undefined ? {} : { lastTransition: s.lastTransition }),
      healthy: true,
    });
  }
  const coverage =
    table.coverage === undefined
      ? null
      : {
          at: table.coverage.at,
          ageSeconds: ageOf(table.coverage.at, now),
          stale: ageOf(table.coverage.at, now) > window,
          scopes: table.coverage.scopes,
        };
  const uncovered = table.coverage?.uncovered ?? [];
  const unreadable = table.coverage?.unreadable ?? [];
  const sorted = [...services.values()].sort(
    (a, b) => scopeOf(a).localeCompare(scopeOf(b)) || a.service.localeCompare(b.service),
  );
  return {
    at: now.toISOString(),
    coverageMinutes,
    coverage,
    spokes,
    services: sorted,
    uncovered,
    unreadable,
    malformed: table.malformed,
    healthy:
      coverage !== null &&
      !coverage.stale &&
      uncovered.length === 0 &&
      unreadable.length === 0 &&
      spokes.every((s) => !s.stale && s.refused.length === 0) &&
      sorted.every((s) => s.healthy),
  };
}
