import type { ServiceConfig } from '../../lib/config/index.ts';
import {
  changesInFlight,
  deferralLines,
  lookupFailedLines,
  ownerId,
  type StackOwner,
  writtenResources,
} from '../../lib/owners.ts';
import type { PlanStep } from '../../lib/types.ts';
import type { Now } from '../adapters/clock.ts';
import type { DeploymentOwners } from '../adapters/deployment-owners.ts';
import type { EvidenceStore } from '../adapters/state-store/ports.ts';

export interface OwnerCheckDeps {
  readonly owners: DeploymentOwners;
  readonly store: Pick<EvidenceStore, 'recentConfigChanges'>;
  readonly now: Now;
}

export type OwnerCheck =
  /** No owner in flight; `stacks` hold some of what the plan writes (they will have drifted). */
  | { readonly kind: 'clear'; readonly stacks: readonly StackOwner[] }
  /** An owner is in flight, or a transient failure left it unknown: write nothing, look again later. */
  | { readonly kind: 'defer'; readonly owners: readonly string[]; readonly lines: readonly string[] }
  /** The lookup failed in a way no retry cures (access denied): a human must fix it. */
  | { readonly kind: 'refuse'; readonly error: string };

/**
 * Looks for an owner in flight of what `steps` write: a stack or deployment the port finds, or a
 * deployment service's change within `deploymentQuietSeconds` (lib/owners.ts). A failed lookup is
 * never "no owner": a transient one defers (the next inspection hands off again), a permanent one
 * refuses, since deferring would wait forever on a missing permission.
 */
export async function checkOwners(
  service: ServiceConfig,
  steps: readonly PlanStep[],
  deps: OwnerCheckDeps,
): Promise<OwnerCheck> {
  const written = writtenResources(steps);
  const quiet = service.remediation.deploymentQuietSeconds;
  const now = deps.now();
  const [changes, lookup] = await Promise.all([
    quiet > 0
      ? deps.store.recentConfigChanges(service.name, new Date(now.getTime() - quiet * 1000).toISOString())
      : [],
    deps.owners.lookUp(written, { codeDeployApplications: service.remediation.codeDeployApplications }),
  ]);
  if (lookup.kind === 'failed') {
    if (lookup.permanent) return { kind: 'refuse', error: lookup.error };
    return { kind: 'defer', owners: ['owner lookup failed'], lines: lookupFailedLines(lookup.error) };
  }
  const inFlight = [...lookup.inFlight, ...changesInFlight(changes, written, now, quiet)];
  if (inFlight.length === 0) return { kind: 'clear', stacks: lookup.stacks };
  return { kind: 'defer', owners: inFlight.map(ownerId), lines: deferralLines(inFlight, quiet) };
}
