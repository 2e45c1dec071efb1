import type { ServiceConfig } from '../../lib/config/index.ts';
import type { GuardedServices } from '../../lib/fleet/registry.ts';
import { type InspectedService, inspectionEvents } from '../../lib/fleet/reports.ts';
import type { Diagnosis } from '../../lib/types.ts';
import { LBGUARD_RUNTIME_VERSION } from '../../lib/version.ts';
import type { Now } from '../adapters/clock.ts';
import type { HubReporter } from '../adapters/hub-reporter.ts';
import type { Log } from '../adapters/log.ts';

/** What inspect.ts's `ServiceInspection` carries that the report reads. */
interface Inspected {
  readonly diagnosis: Diagnosis;
  readonly incidentId?: string;
  readonly incidentState: string;
}

// The scheduled inspection's report to the hub (lib/fleet/reports.ts): one heartbeat naming every
// guarded load balancer, inspected or failed, and the refused ones, plus a finding per diagnosis
// other than healthy. Apart from inspect.ts, which has no room left.

export interface ReportDeps {
  readonly hub?: HubReporter;
  readonly logger: Log;
  readonly now: Now;
}

/**
 * Inspects every guarded service in turn, going on past one that fails so that one broken load
 * balancer never blinds the guard to the others; then reports, and then throws the first failure
 * so the invocation still fails into Lambda's retries and the errors alarm.
 */
export async function inspectEachAndReport<T extends Inspected>(
  guarded: GuardedServices,
  inspectOne: (service: ServiceConfig) => Promise<T>,
  deps: ReportDeps,
): Promise<T[]> {
  const done: T[] = [];
  const seen: InspectedService[] = [];
  const failures: unknown[] = [];
  for (const service of guarded.services) {
    const base = { service: service.name, loadBalancerArn: service.loadBalancerArn };
    try {
      const s = await inspectOne(service);
      done.push(s);
      seen.push({
        ...base,
        status: 'inspected',
        diagnosis: s.diagnosis,
        incidentState: s.incidentState,
        ...(s.incidentId === undefined ? {} : { incidentId: s.incidentId }),
      });
    } catch (error) {
      failures.push(error);
      seen.push({ ...base, status: 'failed' });
      deps.logger.error('inspection failed; going on with the other services', {
        service: service.name,
        error,
      });
    }
  }
  await deps.hub?.report(
    inspectionEvents({
      at: deps.now().toISOString(),
      lbguardVersion: LBGUARD_RUNTIME_VERSION,
      services: seen,
      refused: guarded.refused,
    }),
  );
  if (failures.length > 0) throw failures[0];
  return done;
}
