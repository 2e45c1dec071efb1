import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { LbGuardConfig, RemediationConfig } from '../lib/config/index.ts';
import { type LoadBalancerArnParts, parseLoadBalancerArn } from './arns.ts';

/** What the CDK app knows about a guarded service beyond its config (`LbGuardProps.services`). */
export interface GuardedServiceResources {
  /**
   * The load balancer, when it is created (or imported) in the same CDK app. Its ARN replaces
   * `loadBalancerArn` from the config, so the runtime config and every scope follow it.
   * @default - the config's `loadBalancerArn`
   */
  readonly loadBalancer?: elbv2.IApplicationLoadBalancer;
  /**
   * Target groups behind the load balancer. When given, `RegisterTargets` is granted on exactly
   * these, the routing-change rule watches exactly these, and an unhealthy-hosts alarm is created.
   * @default - every target group in the load balancer's account and region may receive
   * re-registered targets, and no unhealthy-hosts alarm is created
   */
  readonly targetGroupArns?: readonly string[];
}

/** One guarded service as the construct builds it: config and per-service resources merged. */
export interface ResolvedService {
  readonly name: string;
  readonly loadBalancer: LoadBalancerArnParts;
  readonly targetGroupArns: readonly string[];
  readonly allowCreateRule: boolean;
  /** Decides whether remediate may write to this service's load balancer at all. */
  readonly remediationMode: RemediationConfig['mode'];
  /** The CodeDeploy applications remediate reads for a deployment in flight; undefined: all. */
  readonly codeDeployApplications: readonly string[] | undefined;
  readonly soakSeconds: number;
}

/** Merges the config's services with their resources; a resource for an unknown service throws. */
export function resolveServices(
  config: LbGuardConfig,
  overrides: Readonly<Record<string, GuardedServiceResources>>,
): ResolvedService[] {
  if (config.services.length === 0) {
    // A fleet-only config drives the CLI's fan-out commands; a deployment guards listed services.
    throw new Error(
      'lbguard: services is empty: a deployment guards the services it lists; list at least one ' +
        '(the fleet section alone drives `lbguard status --fleet` and `lbguard lint --org`, see docs/fleet.md)',
    );
  }
  const known = new Set(config.services.map((s) => s.name));
  for (const name of Object.keys(overrides)) {
    if (!known.has(name)) {
      throw new Error(
        `lbguard: services.${name} is not a service in the config (known: ${[...known].join(', ')})`,
      );
    }
  }
  return config.services.map((s) => ({
    name: s.name,
    loadBalancer: parseLoadBalancerArn(loadBalancerArnOf(s, overrides)),
    targetGroupArns: overrides[s.name]?.targetGroupArns ?? [],
    allowCreateRule: s.remediation.allowCreateRule,
    remediationMode: s.remediation.mode,
    codeDeployApplications: s.remediation.codeDeployApplications,
    soakSeconds: s.thresholds.soakSeconds,
  }));
}

/**
 * The config the functions receive: each service's `loadBalancerArn` follows a load balancer
 * given in the same app (a token until deployment), so the runtime watches what was deployed.
 * The fleet section stays out: only the CLI reads it, the bundles carry no schema for it
 * (infra/bundling.ts), and it would spend the functions' 4 KB environment. So does the approval
 * section: only the construct reads it (whether to create the approval endpoint).
 */
export function runtimeConfigFor(
  config: LbGuardConfig,
  overrides: Readonly<Record<string, GuardedServiceResources>>,
): LbGuardConfig {
  const { fleet: _cliOnly, approval: _constructOnly, ...functionsConfig } = config;
  return {
    ...functionsConfig,
    services: config.services.map((s) =>
      overrides[s.name]?.loadBalancer === undefined
        ? s
        : { ...s, loadBalancerArn: loadBalancerArnOf(s, overrides) },
    ),
  };
}

function loadBalancerArnOf(
  service: LbGuardConfig['services'][number],
  overrides: Readonly<Record<string, GuardedServiceResources>>,
): string {
  return overrides[service.name]?.loadBalancer?.loadBalancerArn ?? service.loadBalancerArn;
}
