import type { LbGuardConfig } from '../../lib/config/index.ts';
import {
  configuredOnly,
  type GuardedServices,
  type ServiceDirectory,
} from '../adapters/service-directory.ts';

/** What a flow needs to know the services it guards. */
export interface GuardedDeps {
  readonly config: LbGuardConfig;
  /** With `discovery`: the config's services and the registry's; without, the config's alone. */
  readonly directory?: ServiceDirectory;
}

/** The services guarded in this invocation: read once, then passed down. */
export function readGuarded(deps: GuardedDeps): Promise<GuardedServices> {
  return deps.directory?.read() ?? Promise.resolve(configuredOnly(deps.config.services));
}
