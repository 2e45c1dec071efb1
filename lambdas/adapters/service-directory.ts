import type { ServiceConfig } from '../../lib/config/index.ts';
import { type GuardedServices, guardedServices } from '../../lib/fleet/registry.ts';
import type { Scope } from '../../lib/fleet/scope.ts';
import type { Log } from './log.ts';
import type { MetricsSink } from './metrics-sink.ts';
import type { RegistryReader } from './state-store/enrolment-registry.ts';

// Which services a function guards in one invocation: the config's, and with `discovery` the
// load balancers the enrol function enrolled by tags (docs/fleet.md "The registry").

export type { GuardedServices } from '../../lib/fleet/registry.ts';

export interface ServiceDirectory {
  /** Read once per invocation: `config.services` ∪ the registry, the config winning. */
  read(): Promise<GuardedServices>;
}

/** The services a function guards without a directory: its config's, nothing else. */
export function configuredOnly(services: readonly ServiceConfig[]): GuardedServices {
  return guardedServices(services, undefined);
}

/**
 * The config's services and the registry's. A registry that fails a check (MAC, schema, an ARN
 * outside this account and region) or cannot be read is never used: it is logged as an error,
 * counted (`RegistryUnreadable`, alarmable), and the function guards its config's services only.
 */
export function registryDirectory(
  services: readonly ServiceConfig[],
  registry: RegistryReader,
  scope: Scope,
  io: { readonly logger: Log; readonly metrics: MetricsSink },
): ServiceDirectory {
  return {
    async read() {
      let problem: string;
      try {
        const read = await registry.read(scope);
        if (read.kind !== 'refused')
          return guardedServices(services, read.kind === 'read' ? read.registry : undefined);
        problem = read.problem;
      } catch (error) {
        // A KMS or DynamoDB outage must not blind the guard to the config's own services.
        problem = `it could not be read (${error instanceof Error ? error.message : String(error)})`;
      }
      io.logger.error('enrolment registry unreadable: guarding config services only', { problem });
      io.metrics.emit('(registry)', [{ name: 'RegistryUnreadable', unit: 'Count', value: 1 }]);
      return guardedServices(services, undefined);
    },
  };
}

/** The account and region a function runs in, from its notification topic's ARN (same stack). */
export function scopeOfTopic(topicArn: string): Scope | undefined {
  const [, , service, region, account] = topicArn.split(':');
  return service === 'sns' && region && account ? { account, region } : undefined;
}
