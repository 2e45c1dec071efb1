/**
 * The fleet fan-out, one implementation for the CLI (`lint --org`, `status --fleet`) and the hub's
 * coverage check: list the accounts, assume the fleet role in each, list every region's load
 * balancers with their tags, and hand each account and region to the caller. Every account and
 * region is read on its own: a failure is reported for it, never for the fleet.
 */
import type { FleetConfig } from '../../lib/config/index.ts';
import { type DiscoveredLoadBalancer, type Scope, scopesOf } from '../../lib/fleet/index.ts';
import type { LoadBalancerDiscovery } from '../adapters/elbv2/discovery.ts';
import type { AccountDirectory } from '../adapters/fleet-accounts.ts';
import type { AccountCredentials, RoleAssumer } from '../adapters/fleet-roles.ts';
import { mapBounded } from '../adapters/map-bounded.ts';

/**
 * What the scan reads the fleet through. `S` is one account and region's session (the clients
 * signed with its assumed role): the CLI's whole AWS context, the hub's ELBv2 client alone.
 */
export interface FleetScanPorts<S> {
  readonly accounts: AccountDirectory;
  readonly roles: RoleAssumer;
  open(scope: Scope, credentials: AccountCredentials): S;
  discoveryFor(session: S): LoadBalancerDiscovery;
  close(session: S): void;
}

/** Where reading an account and region stopped before the caller's work. */
export type ScanStage = 'assume-role' | 'list-load-balancers';

export type ScannedScope<T> =
  | (Scope & { readonly status: 'read'; readonly value: T })
  | (Scope & { readonly status: 'failed'; readonly stage: ScanStage; readonly error: string });

export interface FleetScan<T> {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly scopes: readonly ScannedScope<T>[];
}

/** `Name: message`, what an operator needs to tell AccessDenied from a timeout. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.name === 'Error' || error.message.startsWith(error.name)
      ? error.message
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}

/** Runs `work`, turning a throw into its description: one account's failure is its report, not the scan's. */
export async function attempt<T>(
  work: () => Promise<T>,
  describe: (error: unknown) => string = describeError,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}

/**
 * Reads every account × region of `fleet` with at most `fleet.concurrency` in flight, in a
 * stable order (accounts, then regions), and calls `visit` with each one's session and load
 * balancers; the session is closed after. `visit` must not throw (it reports its own failures in
 * `T`); an assume-role or listing failure becomes that scope's `failed` entry. Throws only when
 * the list of accounts itself cannot be had.
 */
export async function scanFleet<S, T>(
  fleet: Pick<FleetConfig, 'regions' | 'concurrency'>,
  ports: FleetScanPorts<S>,
  visit: (session: S, scope: Scope, loadBalancers: readonly DiscoveredLoadBalancer[]) => Promise<T>,
): Promise<FleetScan<T>> {
  const accounts = await ports.accounts.listAccounts();
  const scopes = await mapBounded(
    scopesOf(accounts, fleet.regions),
    fleet.concurrency,
    async (scope): Promise<ScannedScope<T>> => {
      const failed = (stage: ScanStage, error: string): ScannedScope<T> => ({
        ...scope,
        status: 'failed',
        stage,
        error,
      });
      const credentials = await attempt(() => ports.roles.credentialsFor(scope.account));
      if (!credentials.ok) return failed('assume-role', credentials.error);
      const session = ports.open(scope, credentials.value);
      try {
        const listed = await attempt(() => ports.discoveryFor(session).listLoadBalancers());
        if (!listed.ok) return failed('list-load-balancers', listed.error);
        return { ...scope, status: 'read', value: await visit(session, scope, listed.value) };
      } finally {
        ports.close(session);
      }
    },
  );
  return { accounts, regions: [...fleet.regions], scopes };
}
