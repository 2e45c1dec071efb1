/**
 * Coverage: is every load balancer tagged to be guarded actually guarded? The hub lists each
 * account and region's load balancers itself (it trusts no spoke for *what should* be guarded)
 * and compares with the heartbeats the spokes sent (what *is* guarded). The guards of the guards:
 * a spoke that is deleted, broken, or never deployed cannot report its own absence.
 */
import type { DiscoveryConfig } from '../config/index.ts';
import { type DiscoveredLoadBalancer, enrol } from './enrol.ts';
import type { RefusedLoadBalancer } from './hub-events.ts';
import { compareArns, type Scope } from './scope.ts';

/** One load balancer's entry of the newest heartbeat that listed it (hub table `LB#…`). */
export interface LoadBalancerHeartbeat {
  readonly account: string;
  readonly region: string;
  readonly loadBalancerArn: string;
  readonly status: 'inspected' | 'failed';
  readonly heartbeatAt: string;
}

/** A spoke's newest heartbeat (hub table `SPOKE`). */
export interface SpokeHeartbeat {
  readonly account: string;
  readonly region: string;
  readonly lastHeartbeatAt: string;
  readonly refused: readonly RefusedLoadBalancer[];
}

/** What the hub's own listing of one account and region found. */
export type ScopeListing =
  | (Scope & { readonly status: 'read'; readonly loadBalancers: readonly DiscoveredLoadBalancer[] })
  | (Scope & { readonly status: 'unreadable'; readonly error: string });

export type UncoveredReason =
  /** No heartbeat ever listed it (no spoke there, or the spoke has not enrolled it). */
  | { readonly kind: 'no-heartbeat' }
  /** Its newest heartbeat is older than `coverageMinutes`: the spoke stopped reporting. */
  | { readonly kind: 'stale-heartbeat'; readonly lastSeen: string }
  /** The spoke is alive but its inspection of this load balancer throws. */
  | { readonly kind: 'inspection-failing'; readonly lastSeen: string }
  /** The spoke will not guard it: its tags are unusable. */
  | { readonly kind: 'refused-by-spoke'; readonly code: string; readonly message: string }
  /** The hub could not list this account and region; its load balancers are unknown. */
  | { readonly kind: 'scope-unreadable'; readonly error: string };

export type UncoveredKind = UncoveredReason['kind'];

/** The `loadBalancer` of an account and region the hub could not read. */
export const UNREADABLE_SCOPE = '(unreadable)';

export interface UncoveredLoadBalancer {
  readonly account: string;
  readonly region: string;
  /** The load balancer's name, or `UNREADABLE_SCOPE`. */
  readonly loadBalancer: string;
  /** Absent for an unreadable scope. */
  readonly loadBalancerArn?: string;
  readonly reason: UncoveredReason;
  /** When it was first found uncovered (carried over from the previous result). */
  readonly since: string;
}

export interface CoveredLoadBalancer {
  readonly account: string;
  readonly region: string;
  readonly loadBalancer: string;
  readonly loadBalancerArn: string;
  readonly heartbeatAt: string;
}

/** One coverage check (hub table `COVERAGE/LATEST`); lists sorted by account, region, ARN. */
export interface CoverageResult {
  readonly at: string;
  /** Account × region pairs listed. */
  readonly scopes: number;
  readonly covered: readonly CoveredLoadBalancer[];
  readonly uncovered: readonly UncoveredLoadBalancer[];
  readonly unreadable: readonly (Scope & { readonly error: string })[];
}

export interface CoverageInput {
  readonly scopes: readonly ScopeListing[];
  readonly loadBalancers: readonly LoadBalancerHeartbeat[];
  readonly spokes: readonly SpokeHeartbeat[];
  readonly profiles: DiscoveryConfig['profiles'];
  readonly now: Date;
  /** `fleet.hub.coverageMinutes`. */
  readonly coverageMinutes: number;
  /** The last result, for `since`. */
  readonly previous?: CoverageResult;
}

const key = (account: string, region: string, arn = UNREADABLE_SCOPE) =>
  `${account}\u0000${region}\u0000${arn}`;
const keyOf = (u: { account: string; region: string; loadBalancerArn?: string }) =>
  key(u.account, u.region, u.loadBalancerArn);

function compareEntries(
  a: { account: string; region: string; loadBalancerArn?: string },
  b: { account: string; region: string; loadBalancerArn?: string },
): number {
  return (
    compareArns(a.account, b.account) ||
    compareArns(a.region, b.region) ||
    compareArns(a.loadBalancerArn ?? '', b.loadBalancerArn ?? '')
  );
}

/** The later of two ISO instants (undefined is earliest). */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * Decides one load balancer from its newest heartbeat entry and its spoke's newest heartbeat:
 * the newer of the two speaks (a spoke that refuses it now outranks an entry a minute older).
 */
function decide(
  lb: LoadBalancerHeartbeat | undefined,
  spoke: SpokeHeartbeat | undefined,
  arn: string,
  freshSince: number,
): { covered: true; heartbeatAt: string } | { covered: false; reason: UncoveredReason } {
  const refusal = spoke?.refused.find((r) => r.loadBalancerArn === arn);
  const refusedNow =
    refusal !== undefined &&
    spoke !== undefined &&
    (lb === undefined || Date.parse(spoke.lastHeartbeatAt) > Date.parse(lb.heartbeatAt));
  const lastSeen = later(lb?.heartbeatAt, refusedNow ? spoke?.lastHeartbeatAt : undefined);
  if (lastSeen === undefined) return { covered: false, reason: { kind: 'no-heartbeat' } };
  if (Date.parse(lastSeen) < freshSince)
    return { covered: false, reason: { kind: 'stale-heartbeat', lastSeen } };
  if (refusedNow) {
    return {
      covered: false,
      reason: { kind: 'refused-by-spoke', code: refusal.code, message: refusal.message },
    };
  }
  // lastSeen is defined and not a refusal, so it is the entry's.
  const entry = lb as LoadBalancerHeartbeat;
  switch (entry.status) {
    case 'inspected':
      return { covered: true, heartbeatAt: entry.heartbeatAt };
    case 'failed':
      return { covered: false, reason: { kind: 'inspection-failing', lastSeen } };
  }
}

/**
 * One listing per scope, whatever the input's order: a scope listed twice (a caller's mistake)
 * is unreadable if any listing is, else the union of its load balancers, one entry per ARN.
 */
function canonicalScopes(scopes: readonly ScopeListing[]): ScopeListing[] {
  const groups = new Map<string, ScopeListing[]>();
  for (const s of scopes) {
    const k = key(s.account, s.region);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  return [...groups.values()].map((group): ScopeListing => {
    const { account, region } = group[0] as ScopeListing;
    const errors = group.flatMap((s) => (s.status === 'unreadable' ? [s.error] : [])).sort(compareArns);
    if (errors.length > 0) return { status: 'unreadable', account, region, error: errors[0] as string };
    const byArn = new Map<string, DiscoveredLoadBalancer>();
    const all = group
      .flatMap((s) => (s.status === 'read' ? s.loadBalancers : []))
      .map((lb) => ({
        lb,
        id: JSON.stringify([lb.loadBalancerArn, lb.loadBalancerName, Object.entries(lb.tags).sort()]),
      }))
      .sort((a, b) => compareArns(a.id, b.id));
    for (const { lb } of all) if (!byArn.has(lb.loadBalancerArn)) byArn.set(lb.loadBalancerArn, lb);
    return { status: 'read', account, region, loadBalancers: [...byArn.values()] };
  });
}

/**
 * Assesses coverage at `now`. Should be guarded: every load balancer of a read scope whose
 * `lbguard:guard` tag asks for a guard (`enrol()` with `profiles`: enrolled, or in error, since a
 * spoke will refuse the latter). Covered: the newest heartbeat listing it says `inspected` and is
 * at most `coverageMinutes` old (a heartbeat dated after `now` counts as fresh). Everything else
 * is uncovered with its reason, and an unreadable scope is one uncovered entry of its own. The
 * result does not depend on the order of any input list; `since` is the previous result's for an
 * entry uncovered then too, else `now`.
 */
export function assessCoverage(input: CoverageInput): CoverageResult {
  const at = input.now.toISOString();
  const freshSince = input.now.getTime() - input.coverageMinutes * 60_000;
  const newestEntry = new Map<string, LoadBalancerHeartbeat>();
  for (const lb of input.loadBalancers) {
    const k = key(lb.account, lb.region, lb.loadBalancerArn);
    const seen = newestEntry.get(k);
    if (seen === undefined || later(seen.heartbeatAt, lb.heartbeatAt) !== seen.heartbeatAt)
      newestEntry.set(k, lb);
    else if (seen.heartbeatAt === lb.heartbeatAt && seen.status === 'inspected' && lb.status === 'failed') {
      // Two entries at one instant (a duplicate delivery): the worse one, whatever the order.
      newestEntry.set(k, lb);
    }
  }
  const newestSpoke = new Map<string, SpokeHeartbeat>();
  for (const s of input.spokes) {
    const k = key(s.account, s.region);
    const seen = newestSpoke.get(k);
    if (seen === undefined || Date.parse(s.lastHeartbeatAt) > Date.parse(seen.lastHeartbeatAt))
      newestSpoke.set(k, s);
  }
  const previousSince = new Map((input.previous?.uncovered ?? []).map((u) => [keyOf(u), u.since]));
  const since = (k: string) => previousSince.get(k) ?? at;

  const covered: CoveredLoadBalancer[] = [];
  const uncovered: UncoveredLoadBalancer[] = [];
  const unreadable: (Scope & { error: string })[] = [];
  for (const scope of canonicalScopes(input.scopes)) {
    const scopeId = key(scope.account, scope.region);
    if (scope.status === 'unreadable') {
      unreadable.push({ account: scope.account, region: scope.region, error: scope.error });
      uncovered.push({
        account: scope.account,
        region: scope.region,
        loadBalancer: UNREADABLE_SCOPE,
        reason: { kind: 'scope-unreadable', error: scope.error },
        since: since(scopeId),
      });
      continue;
    }
    const enrolment = enrol({
      loadBalancers: scope.loadBalancers,
      services: [],
      profiles: input.profiles,
      scope,
    });
    const names = new Map(scope.loadBalancers.map((lb) => [lb.loadBalancerArn, lb.loadBalancerName]));
    const shouldGuard = [...enrolment.services, ...enrolment.errors].map((e) => e.loadBalancerArn);
    const spoke = newestSpoke.get(scopeId);
    for (const arn of shouldGuard) {
      const k = key(scope.account, scope.region, arn);
      const base = {
        account: scope.account,
        region: scope.region,
        // Every ARN enrol() returns is one of this scope's listed load balancers.
        loadBalancer: names.get(arn) as string,
        loadBalancerArn: arn,
      };
      const d = decide(newestEntry.get(k), spoke, arn, freshSince);
      if (d.covered) covered.push({ ...base, heartbeatAt: d.heartbeatAt });
      else uncovered.push({ ...base, reason: d.reason, since: since(k) });
    }
  }
  return {
    at,
    scopes: canonicalScopes(input.scopes).length - unreadable.length,
    covered: covered.sort(compareEntries),
    uncovered: uncovered.sort(compareEntries),
    unreadable: unreadable.sort(compareEntries),
  };
}

/** What changed in the uncovered set since the last check: what to tell people. */
export interface CoverageChange {
  /** Uncovered now and not before, or uncovered for another kind of reason than before. */
  readonly uncovered: readonly UncoveredLoadBalancer[];
  /** Uncovered before and not now: the entry as it was, and what it is now. */
  readonly recovered: readonly RecoveredLoadBalancer[];
}

/**
 * Why an entry left the uncovered set: a guard heartbeat covers it, the hub can read its account
 * and region again (an `(unreadable)` entry), or it is no longer tagged to be guarded (untagged,
 * opted out or deleted), which is not the same good news.
 */
export type RecoveredLoadBalancer = UncoveredLoadBalancer & {
  readonly now: 'covered' | 'readable' | 'not-tagged';
};

/**
 * The change from `previous` to `current` (no previous result: everything uncovered is new). A
 * load balancer of a scope unreadable now is not "recovered" (nobody knows); a scope readable
 * again is (its own entry), and its load balancers are then judged one by one. The reason's kind,
 * not its text, decides a change: an error message differing per request must not notify every minute.
 */
export function diffCoverage(previous: CoverageResult | undefined, current: CoverageResult): CoverageChange {
  const before = new Map((previous?.uncovered ?? []).map((u) => [keyOf(u), u]));
  const now = new Map(current.uncovered.map((u) => [keyOf(u), u]));
  const unreadableNow = new Set(current.unreadable.map((s) => key(s.account, s.region)));
  const uncovered = current.uncovered.filter((u) => before.get(keyOf(u))?.reason.kind !== u.reason.kind);
  const coveredNow = new Set(current.covered.map(keyOf));
  const recovered = [...before.values()]
    .filter((u) => !now.has(keyOf(u)) && !unreadableNow.has(key(u.account, u.region)))
    .map(
      (u): RecoveredLoadBalancer => ({
        ...u,
        now:
          u.loadBalancerArn === undefined ? 'readable' : coveredNow.has(keyOf(u)) ? 'covered' : 'not-tagged',
      }),
    )
    .sort(compareEntries);
  return { uncovered, recovered };
}

/** Whether a change has anything to tell. */
export function hasCoverageChange(change: CoverageChange): boolean {
  return change.uncovered.length > 0 || change.recovered.length > 0;
}
