/**
 * The hub functions' configuration (`LBGUARD_FLEET_CONFIG`): the config file's `fleet` section
 * (with its `hub` subsection) and `discovery.profiles`, as JSON `{ "fleet": …, "profiles": … }`.
 * Parsed with the config file's own schemas, so a value the CLI accepts the hub accepts too.
 */
import * as z from 'zod/mini';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { toConfigIssues } from './issues.ts';
import { type DiscoveryConfig, discoverySchema } from './schema/discovery.ts';
import { type FleetConfig, fleetSchema, type HubConfig } from './schema/fleet.ts';
import { strict } from './schema/helpers.ts';
import './zod-english.ts';

export interface HubFunctionConfig {
  readonly fleet: FleetConfig;
  readonly hub: HubConfig;
  readonly profiles: DiscoveryConfig['profiles'];
}

const hubConfigSchema = strict({
  fleet: fleetSchema,
  profiles: discoverySchema.def.shape.profiles,
});

/**
 * Parses `text` (JSON) into the hub's configuration, or throws a ConfigError naming `source` and
 * every field that is wrong (`fleet.regions: …`), so a bad deploy fails the function's init.
 */
export function loadHubConfigOrThrow(text: string, source: string): HubFunctionConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // V8's message quotes the text; profiles may hold probe headers with tokens.
    throw new ConfigError(source, [{ path: '(top level)', message: 'is not valid JSON (JSON syntax)' }]);
  }
  const parsed = z.safeParse(hubConfigSchema, data);
  if (!parsed.success) throw new ConfigError(source, toConfigIssues(parsed.error.issues));
  const { fleet, profiles } = parsed.data;
  if (fleet.hub === undefined) {
    const issue: ConfigIssue = {
      path: 'fleet.hub',
      message: 'is required by the hub functions: add fleet: { hub: {} } (docs/fleet.md "Hub")',
    };
    throw new ConfigError(source, [issue]);
  }
  return { fleet, hub: fleet.hub, profiles };
}
