/**
 * The CLI's side of the fleet fan-out (lambdas/flows/fleet-scan.ts, shared with the hub): per
 * account and region, enrol the tagged load balancers and run one command's per-service work
 * there. A failing service is reported for that service, never for its account and region.
 */

import type { LoadBalancerDiscovery } from '../../lambdas/adapters/elbv2/discovery.ts';
import type { AccountDirectory } from '../../lambdas/adapters/fleet-accounts.ts';
import type { AccountCredentials, RoleAssumer } from '../../lambdas/adapters/fleet-roles.ts';
import { attempt, describeError, type ScanStage, scanFleet } from '../../lambdas/flows/fleet-scan.ts';
import type { DiscoveryConfig, FleetConfig, ServiceConfig } from '../../lib/config/index.ts';
import { type Enrolment, type EnrolmentSource, enrol, type Scope } from '../../lib/fleet/index.ts';
import type { AwsContext } from '../context.ts';
import { CliError } from '../exit.ts';

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
export type FailedStage = ScanStage | 'prepare';

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

/** `Name: message`; the CLI's own errors (a missing state table) are already written for the operator. */
export function describeFailure(error: unknown): string {
  if (error instanceof CliError) return error.message;
  return describeError(error);
}

const attemptHere = <T>(work: () => Promise<T>) => attempt(work, describeFailure);

/** What enrols a load balancer besides its tags: the config's `services[]` and `discovery.profiles`. */
export interface EnrolmentSettings {
  readonly services: readonly ServiceConfig[];
  readonly profiles: DiscoveryConfig['profiles'];
}

async function workOn<R>(
  aws: AwsContext,
  scope: Scope,
  enrolment: Enrolment,
  work: FleetWork<R>,
): Promise<ScopeReport<R>> {
  if (work.prepare !== undefined && enrolment.services.length > 0) {
    const prepare = work.prepare;
    const prepared = await attemptHere(() => prepare(aws));
    if (!prepared.ok) return { status: 'failed', ...scope, stage: 'prepare', error: prepared.error };
  }
  // Services of one region one after another: ELBv2 throttles per account and region, and the
  // fan-out already reads `fleet.concurrency` regions at once.
  const read: FleetService<R>[] = [];
  for (const enrolled of enrolment.services) {
    const outcome = await attemptHere(() => work.perService(aws, enrolled.service));
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
}

/** The whole fleet's answer: the accounts read and one report per account and region. */
export interface FleetReport<R> {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly scopes: readonly ScopeReport<R>[];
}

/**
 * Reads every account × region of `fleet` (scanFleet), enrols each one's load balancers and runs
 * `work` there. `settings.services` are the config's `services[]`: each is enrolled in its own
 * account and region, ahead of tags there. Throws only when the list of accounts itself cannot be
 * had; everything after that is reported per account and region.
 */
export async function fanOut<R>(
  fleet: FleetConfig,
  settings: EnrolmentSettings,
  ports: FleetPorts,
  work: FleetWork<R>,
): Promise<FleetReport<R>> {
  const scan = await scanFleet(
    fleet,
    {
      accounts: ports.accounts,
      roles: ports.roles,
      open: (scope, credentials) => ports.contextFor(scope, credentials),
      discoveryFor: (aws) => ports.discoveryFor(aws),
      close: (aws) => aws.close(),
    },
    (aws, scope, loadBalancers) => workOn(aws, scope, enrol({ loadBalancers, ...settings, scope }), work),
  );
  return {
    accounts: scan.accounts,
    regions: scan.regions,
    scopes: scan.scopes.map((s): ScopeReport<R> => (s.status === 'read' ? s.value : s)),
  };
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
