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
  if (config.services.length === 0 && config.discovery === undefined) {
    // A fleet-only config drives the CLI's fan-out commands; a deployment guards listed services,
    // or tagged ones when it has a discovery section.
    throw new Error(
      'lbguard: services is empty: a deployment guards the services it lists, or with a discovery ' +
        'section the load balancers tagged lbguard:guard; list at least one service or add discovery ' +
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

/**
 * What discovery mode changes in the grants: remediate may write to any ALB of the account and
 * region (a tag may set any mode), so what is left to decide at synth is whether a profile lets it
 * recreate deleted rules and which CodeDeploy applications it reads (undefined: all).
 */
export interface DiscoveryGrants {
  readonly allowCreateRule: boolean;
  readonly codeDeployApplications: readonly string[] | undefined;
}

/** The discovery grants of a config, or undefined when it has no discovery section. */
export function discoveryGrantsFor(config: LbGuardConfig): DiscoveryGrants | undefined {
  if (config.discovery === undefined) return undefined;
  const profiles = Object.values(config.discovery.profiles);
  const services = config.services.map((s) => s.remediation);
  const remediations = [...profiles.map((p) => p.remediation), ...services];
  const everyApplication =
    remediations.length === 0 || remediations.some((r) => r.codeDeployApplications === undefined);
  return {
    allowCreateRule: remediations.some((r) => r.allowCreateRule),
    codeDeployApplications: everyApplication
      ? undefined
      : [...new Set(remediations.flatMap((r) => r.codeDeployApplications ?? []))],
  };
}
