/**
 * The fleet fan-out shared by `lbguard lint --org` and `lbguard status --fleet`: list the accounts,
 * assume the fleet role in each, list and enrol every region's tagged load balancers, and run one
 * command's per-service work there. Every account and region is read on its own: a failure is
 * reported for that account and region (and a failing service for that service), never for the
 * fleet.
 */

import type { LoadBalancerDiscovery } from '../../lambdas/adapters/elbv2/discovery.ts';
import { mapBounded } from '../../lambdas/adapters/map-bounded.ts';
import type { DiscoveryConfig, FleetConfig, ServiceConfig } from '../../lib/config/index.ts';
import { type Enrolment, type EnrolmentSource, enrol, type Scope, scopesOf } from '../../lib/fleet/index.ts';
import type { AwsContext } from '../context.ts';
import { CliError } from '../exit.ts';
import type { AccountDirectory } from './accounts.ts';
import type { AccountCredentials, RoleAssumer } from './roles.ts';

/** What the fan-out reads the fleet through; tests pass fakes or moto-backed adapters. */
export interface FleetPorts {
  readonly accounts: AccountDirectory;
  readonly roles: RoleAssumer;
  /** The clients and adapters of one account and region, signed with that account's session. */
  contextFor(scope: Scope, credentials: AccountCredentials): AwsContext;
  discoveryFor(aws: AwsContext): LoadBalancerDiscovery;
}

/** One command's work in an account and region: an optional check, then one call per service. */
export interface FleetWork<R> {
  /** Runs before any service (status: the state table exists); throwing fails the scope at `prepare`. */
  readonly prepare?: (aws: AwsContext) => Promise<void>;
  readonly perService: (aws: AwsContext, service: ServiceConfig) => Promise<R>;
}

/** Where reading an account and region stopped. */
export type FailedStage = 'assume-role' | 'list-load-balancers' | 'prepare';

export type ServiceOutcome<R> =
  | { readonly status: 'read'; readonly result: R }
  | { readonly status: 'failed'; readonly error: string };

export interface FleetService<R> {
  readonly service: string;
  readonly loadBalancerArn: string;
  readonly source: EnrolmentSource;
  readonly outcome: ServiceOutcome<R>;
}

export type ScopeReport<R> =
  | {
      readonly status: 'read';
      readonly account: string;
      readonly region: string;
      readonly enrolment: Enrolment;
      readonly services: readonly FleetService<R>[];
    }
  | {
      readonly status: 'failed';
      readonly account: string;
      readonly region: string;
      readonly stage: FailedStage;
      readonly error: string;
    };

/** `Name: message`, what an operator needs to tell AccessDenied from a timeout. */
export function describeFailure(error: unknown): string {
  // The CLI's own errors (a missing state table) are already written for the operator.
  if (error instanceof CliError) return error.message;
  if (error instanceof Error) {
    return error.name === 'Error' || error.message.startsWith(error.name)
      ? error.message
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}

async function attempt<T>(
  work: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: describeFailure(error) };
  }
}

/** What enrols a load balancer besides its tags: the config's `services[]` and `discovery.profiles`. */
export interface EnrolmentSettings {
  readonly services: readonly ServiceConfig[];
  readonly profiles: DiscoveryConfig['profiles'];
}

async function readScope<R>(
  scope: Scope,
  settings: EnrolmentSettings,
  ports: FleetPorts,
  work: FleetWork<R>,
): Promise<ScopeReport<R>> {
  const failed = (stage: FailedStage, error: string): ScopeReport<R> => ({
    status: 'failed',
    ...scope,
    stage,
    error,
  });
  const credentials = await attempt(() => ports.roles.credentialsFor(scope.account));
  if (!credentials.ok) return failed('assume-role', credentials.error);
  const aws = ports.contextFor(scope, credentials.value);
  try {
    const listed = await attempt(() => ports.discoveryFor(aws).listLoadBalancers());
    if (!listed.ok) return failed('list-load-balancers', listed.error);
    const enrolment = enrol({ loadBalancers: listed.value, ...settings, scope });
    if (work.prepare !== undefined && enrolment.services.length > 0) {
      const prepare = work.prepare;
      const prepared = await attempt(() => prepare(aws));
      if (!prepared.ok) return failed('prepare', prepared.error);
    }
    // Services of one region one after another: ELBv2 throttles per account and region, and the
    // fan-out already reads `fleet.concurrency` regions at once.
    const read: FleetService<R>[] = [];
    for (const enrolled of enrolment.services) {
      const outcome = await attempt(() => work.perService(aws, enrolled.service));
      read.push({
        service: enrolled.service.name,
        loadBalancerArn: enrolled.loadBalancerArn,
        source: enrolled.source,
        outcome: outcome.ok
          ? { status: 'read', result: outcome.value }
          : { status: 'failed', error: outcome.error },
      });
    }
    return { status: 'read', ...scope, enrolment, services: read };
  } finally {
    aws.close();
  }
}

/** The whole fleet's answer: the accounts read and one report per account and region. */
export interface FleetReport<R> {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly scopes: readonly ScopeReport<R>[];
}

/**
 * Reads every account × region of `fleet` with at most `fleet.concurrency` in flight, in a
 * stable order (accounts, then regions). `settings.services` are the config's `services[]`: each
 * is enrolled in its own account and region, ahead of tags there. Throws only when the list of
 * accounts itself cannot be had; everything after that is reported per account and region.
 */
export async function fanOut<R>(
  fleet: FleetConfig,
  settings: EnrolmentSettings,
  ports: FleetPorts,
  work: FleetWork<R>,
): Promise<FleetReport<R>> {
  const accounts = await ports.accounts.listAccounts();
  const scopes = scopesOf(accounts, fleet.regions);
  const reports = await mapBounded(scopes, fleet.concurrency, (scope) =>
    readScope(scope, settings, ports, work),
  );
  return { accounts, regions: [...fleet.regions], scopes: reports };
}

/** Whether any account, region or service could not be read. */
export function hasFailures(report: FleetReport<unknown>): boolean {
  return report.scopes.some(
    (s) => s.status === 'failed' || s.services.some((service) => service.outcome.status === 'failed'),
  );
}

/** Whether any load balancer's tags could not be used. */
export function hasTagErrors(report: FleetReport<unknown>): boolean {
  return report.scopes.some((s) => s.status === 'read' && s.enrolment.errors.length > 0);
}
