/**
 * The hub's words: its metric names (shared with the hub stack's alarms and dashboard) and the
 * one notification per change of the uncovered set.
 */
import type {
  CoverageChange,
  RecoveredLoadBalancer,
  UncoveredLoadBalancer,
  UncoveredReason,
} from './coverage.ts';

/** CloudWatch namespace of the hub's metrics; apart from the spokes' `LbGuard`. */
export const FLEET_NAMESPACE = 'LbGuard/Fleet';

export const FLEET_METRICS = {
  /** 1 per uncovered load balancer per check, 0 once when it is covered again; dims Account, Region, LoadBalancer. */
  uncovered: 'Uncovered',
  /** 1 per completed coverage check, no dimensions: its absence is the hub's own failure. */
  coverageChecks: 'CoverageChecks',
  /** 1 per accepted event; dim DetailType. */
  hubEvents: 'HubEvents',
  /** 1 per refused event; dim Reason (a HubRefusalCode). */
  hubEventsRefused: 'HubEventsRefused',
  /** 1 per accepted event older than what the table holds (skipped); dim DetailType. */
  hubEventsStale: 'HubEventsStale',
} as const;

/** The dimension names of `Uncovered`, in the order the Metrics Insights query groups them. */
export const UNCOVERED_DIMENSIONS = ['Account', 'Region', 'LoadBalancer'] as const;

/** A reason in a sentence an on-call person can act on. */
export function describeReason(reason: UncoveredReason): string {
  switch (reason.kind) {
    case 'no-heartbeat':
      return 'no heartbeat has listed it: is a spoke deployed there, with discovery?';
    case 'stale-heartbeat':
      return `no heartbeat since ${reason.lastSeen} (last seen): the spoke stopped reporting`;
    case 'inspection-failing':
      return `the spoke's inspection of it fails (last heartbeat ${reason.lastSeen}): read its inspect logs`;
    case 'refused-by-spoke':
      return `the spoke refuses it (${reason.code}): ${reason.message}`;
    case 'scope-unreadable':
      return `the hub cannot list this account and region: ${reason.error}`;
  }
}

const where = (u: UncoveredLoadBalancer) =>
  `${u.account} ${u.region} ${u.loadBalancerArn === undefined ? u.loadBalancer : `${u.loadBalancer} (${u.loadBalancerArn})`}`;

function line(u: UncoveredLoadBalancer): string {
  return `- ${where(u)}: ${describeReason(u.reason)}; uncovered since ${u.since}`;
}

const NOW: Record<RecoveredLoadBalancer['now'], string> = {
  covered: 'covered again',
  readable: 'readable again',
  'not-tagged': 'no longer tagged to be guarded (untagged, opted out or deleted)',
};

function recoveredLine(u: RecoveredLoadBalancer): string {
  return `- ${where(u)}: ${NOW[u.now]}; was ${u.reason.kind} since ${u.since}`;
}

/**
 * The one message for a change of the uncovered set: every newly uncovered load balancer with its
 * account, region, name, ARN, reason and since when, then every recovered one.
 */
export function coverageChangeMessage(
  change: CoverageChange,
  at: string,
): { readonly subject: string; readonly message: string } {
  const n = change.uncovered.length;
  const r = change.recovered.length;
  const parts = [
    ...(n > 0 ? [`${n} load balancer${n === 1 ? '' : 's'} uncovered`] : []),
    ...(r > 0 ? [`${r} recovered`] : []),
  ];
  const subject = `lbguard fleet coverage: ${parts.join(', ')}`;
  const body = [
    `Coverage check at ${at}.`,
    ...(n > 0
      ? ['', 'Uncovered (tagged lbguard:guard, and no guard is watching):', ...change.uncovered.map(line)]
      : []),
    ...(r > 0 ? ['', 'Recovered:', ...change.recovered.map(recoveredLine)] : []),
  ];
  return { subject, message: body.join('\n') };
}
