import type { LbSnapshot, Target, TargetGroup, TargetHealth } from '../../lib/types.ts';
import type { StoredTransform } from './alb-stand-in.ts';

// The HAProxy plan: what rendering takes (the ELBv2 state, where targets listen, admin states)
// and what it hands the sync loop (the text, the weight maps, and every server, backend and
// frontend by name, so the runtime API and the metrics can address them).

/** Where a target is really listening on this machine. */
export interface ResolvedAddress {
  readonly host: string;
  readonly port: number;
}

export type ServerState = 'ready' | 'maint';

export interface HaproxyRenderInput {
  readonly snapshot: LbSnapshot;
  readonly health: readonly TargetHealth[];
  /** ALB listener port → loopback port to bind. Listeners without one are left out. */
  readonly listenerBinds: ReadonlyMap<number, number>;
  /**
   * Targets to declare per target group ARN: the registered ones plus any seen before, so a
   * deregistration is a run-time `state maint`, not a reload. Default: the registered ones.
   */
  readonly knownTargets?: ReadonlyMap<string, readonly Target[]>;
  /** Local address of a target; undefined for one the drill does not run (health checks fail). */
  readonly resolve: (group: TargetGroup, target: Target) => ResolvedAddress | undefined;
  /** Directory for sockets, maps and error files; must not contain whitespace. */
  readonly dir: string;
  /** ALB health-check seconds are divided by this (the clock's factor). Default 1. */
  readonly healthCheckScale?: number;
  /**
   * Floors for compressed health checks, ms. Defaults 200 and 250 (capped at the interval): a
   * busy two-core machine must not fail checks that a real target would pass.
   */
  readonly minCheckIntervalMs?: number;
  readonly minCheckTimeoutMs?: number;
  /** Admin state written into the config per `backend/server`; absent → `maint` (`disabled`). */
  readonly configStates?: ReadonlyMap<string, ServerState>;
  /** `timeout server`, ms: what the load balancer waits for a target. Default 10000. */
  readonly serverTimeoutMs?: number;
  /**
   * Rule ARN → its transforms (url-rewrite, host-header-rewrite). Kept beside the snapshot
   * because moto drops them and the stand-in (alb-stand-in.ts) holds them.
   */
  readonly ruleTransforms?: ReadonlyMap<string, readonly StoredTransform[]>;
}

export interface RenderedServer {
  readonly backend: string;
  readonly name: string;
  /** `backend/name`, the runtime API's handle. */
  readonly key: string;
  readonly targetGroupArn: string;
  readonly targetId: string;
  readonly port?: number;
  readonly availabilityZone?: string;
  /** The unchecked fail-open copy. */
  readonly backup: boolean;
  /** Registered and not on a stopped instance → ready. */
  readonly desired: ServerState;
  readonly address: ResolvedAddress;
}

export type RenderedBackend =
  | { readonly name: string; readonly kind: 'target-group'; readonly targetGroupArn: string }
  | { readonly name: string; readonly kind: 'fixed-response'; readonly statusCode: string }
  | { readonly name: string; readonly kind: 'redirect' }
  | { readonly name: string; readonly kind: 'no-route' };

export interface RenderedFrontend {
  readonly name: string;
  readonly listenerArn: string;
  readonly listenerPort: number;
  readonly bindPort: number;
}

/** One line of a range map: `0:499 tg_web-a`. */
export interface MapEntry {
  readonly key: string;
  readonly value: string;
}

export interface HaproxyPlan {
  /** The configuration to write, with `disabled` per `configStates`. */
  readonly config: string;
  /** The configuration without admin states or weights: a change here needs a reload. */
  readonly structureKey: string;
  /** Map file path → entries (the weights). */
  readonly maps: ReadonlyMap<string, readonly MapEntry[]>;
  readonly servers: readonly RenderedServer[];
  readonly backends: readonly RenderedBackend[];
  readonly frontends: readonly RenderedFrontend[];
  readonly loadBalancerArn: string;
}

/** Backend that answers 503 when no rule or weight applies (e.g. every weight 0). */
export const NO_ROUTE_BACKEND = 'elb_no_route';
/** Buckets of the per-request random draw; ALB weights are integers 0–999. */
export const WEIGHT_BUCKETS = 1000;
/** Every checked server's configured weight: anomaly mitigation lowers it at run time. */
export const SERVER_WEIGHT = 100;
/** An address nothing listens on: targets the drill does not run fail their health checks. */
export const UNRESOLVED_ADDRESS: ResolvedAddress = { host: '127.0.0.1', port: 1 };
