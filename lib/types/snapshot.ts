/**
 * The load balancer snapshot: what decides routing (configuration only; health is observed
 * separately). Re-exported by lib/types.ts, which every module imports.
 */

export type TargetType = 'instance' | 'ip' | 'lambda' | 'alb';

/** A registered target. `port` is absent for lambda targets. */
export interface Target {
  readonly id: string;
  readonly port?: number;
  readonly availabilityZone?: string;
}

export interface HealthCheck {
  readonly protocol?: string;
  readonly port?: string;
  readonly path?: string;
  readonly intervalSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly healthyThreshold?: number;
  readonly unhealthyThreshold?: number;
  /** HTTP codes that count as healthy, as ALB writes them: "200", "200-299", "200,302". */
  readonly matcher?: string;
}

/** ALB's own guard against the single survivor (`target_group_health.unhealthy_state_routing.*`). */
export interface UnhealthyStateRouting {
  readonly minimumHealthyTargetsCount?: number;
  readonly minimumHealthyTargetsPercentage?: number;
}

/**
 * Target-group stickiness (`stickiness.enabled=true`): requests of one client session go to one
 * target, so per-target shares of real traffic follow sessions, not requests.
 */
export interface GroupStickiness {
  /** `lb_cookie` or `app_cookie`, as ALB writes `stickiness.type`. */
  readonly type: string;
  readonly durationSeconds?: number;
}

export interface TargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly protocol?: string;
  readonly port?: number;
  readonly targetType: TargetType;
  readonly healthCheck: HealthCheck;
  readonly targets: readonly Target[];
  readonly unhealthyStateRouting?: UnhealthyStateRouting;
  /**
   * `target_group_health.dns_failover.minimum_healthy_targets.*`, absent at ALB's default (count 1,
   * percentage off): below it, ALB takes the zone out of DNS.
   */
  readonly dnsFailover?: UnhealthyStateRouting;
  /** `round_robin` (ALB's default), `least_outstanding_requests` or `weighted_random`, as read. */
  readonly loadBalancingAlgorithm?: string;
  // The load balancer's own intent: each field absent at ALB's default, so that snapshots stored
  // before lbguard read them hash the same.
  /** `load_balancing.algorithm.anomaly_mitigation=on` (only with `weighted_random`). */
  readonly anomalyMitigation?: true;
  /** `slow_start.duration_seconds` when above 0: a new target's share ramps up over this time. */
  readonly slowStartSeconds?: number;
  readonly stickiness?: GroupStickiness;
  /**
   * The target optimizer's control port (`TargetControlPort`): an agent on each target caps its
   * concurrent requests, so shares follow each target's capacity.
   */
  readonly targetControlPort?: number;
}

export interface WeightedTargetGroup {
  readonly targetGroupArn: string;
  /** 0–999 as ALB accepts it. A plain `TargetGroupArn` forward is normalised to weight 1. */
  readonly weight: number;
}

export interface ForwardAction {
  readonly type: 'forward';
  readonly order?: number;
  readonly targetGroups: readonly WeightedTargetGroup[];
  readonly stickiness?: { readonly enabled: boolean; readonly durationSeconds?: number };
}

export interface FixedResponseAction {
  readonly type: 'fixed-response';
  readonly order?: number;
  /** As the API writes it: "503". */
  readonly statusCode: string;
  readonly contentType?: string;
  readonly messageBody?: string;
}

export interface RedirectAction {
  readonly type: 'redirect';
  readonly order?: number;
  readonly statusCode: 'HTTP_301' | 'HTTP_302';
  readonly protocol?: string;
  readonly host?: string;
  readonly port?: string;
  readonly path?: string;
  readonly query?: string;
}

/**
 * Authentication and JWT validation precede the routing action; lbguard carries their
 * configuration through untouched (never a client secret: see the ELBv2 adapter).
 */
export interface AuthenticateAction {
  readonly type: 'authenticate-oidc' | 'authenticate-cognito' | 'jwt-validation';
  readonly order?: number;
  readonly config: Readonly<Record<string, unknown>>;
}

export type Action = ForwardAction | FixedResponseAction | RedirectAction | AuthenticateAction;

export const CONDITION_FIELDS = [
  'host-header',
  'path-pattern',
  'http-header',
  'http-request-method',
  'query-string',
  'source-ip',
] as const;
export type ConditionField = (typeof CONDITION_FIELDS)[number];

export interface Condition {
  readonly field: ConditionField;
  /** Only for `http-header`. */
  readonly headerName?: string;
  /** For `query-string`, each value is written `key=value` (or `=value` when the key is absent). */
  readonly values: readonly string[];
  /** Regular expressions (host-header, path-pattern, http-header), ORed with `values`; absent when none. */
  readonly regexValues?: readonly string[];
}

/** One rewrite of a transform: ALB replaces what `regex` matches with `replace` (`$1` for groups). */
export interface Rewrite {
  readonly regex: string;
  readonly replace: string;
}

/** A rule transform: ALB rewrites the host header or the URL before forwarding. */
export interface RuleTransform {
  readonly type: 'host-header-rewrite' | 'url-rewrite';
  readonly rewrites: readonly Rewrite[];
}

/**
 * A listener or rule element ELBv2 returned that this version of lbguard cannot represent (an
 * action type, condition field or transform type added after it), kept verbatim so that the hash
 * still sees it change. Its listener is guarded read-only: watched, never written.
 */
export interface UnrepresentedElement {
  /** What it is, as people read it: `action type jwt-foo`, `condition field bar`. */
  readonly element: string;
  /** The SDK's shape of it, as canonical JSON. */
  readonly raw: string;
}

/** A non-default listener rule. The default rule lives in `Listener.defaultActions`. */
export interface Rule {
  readonly arn: string;
  readonly priority: number;
  readonly conditions: readonly Condition[];
  readonly actions: readonly Action[];
  /** Absent when the rule has none (the hash of a rule without transforms is unchanged). */
  readonly transforms?: readonly RuleTransform[];
  readonly unrepresented?: readonly UnrepresentedElement[];
}

/**
 * Mutual TLS on an HTTPS listener: in `verify` mode ALB refuses clients without a valid
 * certificate, so it decides which requests are served. Absent when off (ALB's default).
 */
export interface MutualAuthentication {
  readonly mode: string;
  readonly trustStoreArn?: string;
  readonly ignoreClientCertificateExpiry?: boolean;
}

export interface Listener {
  readonly arn: string;
  readonly port: number;
  readonly protocol: string;
  readonly defaultActions: readonly Action[];
  readonly rules: readonly Rule[];
  readonly mutualAuthentication?: MutualAuthentication;
  /** Elements of the default actions lbguard cannot represent; absent when none. */
  readonly unrepresented?: readonly UnrepresentedElement[];
}

export interface LbSnapshot {
  readonly loadBalancerArn: string;
  readonly listeners: readonly Listener[];
  /** Every target group referenced by a listener or rule of this load balancer. */
  readonly targetGroups: readonly TargetGroup[];
}

/**
 * Which load balancers use each target group, by target group ARN (ELBv2
 * `TargetGroup.LoadBalancerArns`): empty for a group no load balancer uses, absent when not read.
 * Read beside a snapshot, never inside it: it says who else routes to a group, not how this load
 * balancer routes, and adding it to the snapshot would change every stored hash.
 */
export type TargetGroupAttachments = ReadonlyMap<string, readonly string[]>;

/** A snapshot as recorded: content hash (see `hashSnapshot`) and when it was taken. */
export interface StoredSnapshot {
  readonly hash: string;
  readonly takenAt: string;
  readonly snapshot: LbSnapshot;
}
