import type { FleetConfig, HubConfig, LbGuardConfig, ProfileConfig } from '../../lib/config/index.ts';

/** What the hub is built from: the config's fleet section with its hub part, and the profiles. */
export interface HubSettings {
  readonly fleet: FleetConfig;
  readonly hub: HubConfig;
  readonly profiles: Readonly<Record<string, ProfileConfig>>;
}

/** Raised at synth when the config cannot describe a hub. */
export class HubConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubConfigError';
  }
}

/**
 * The hub's part of a validated config, or a `HubConfigError` naming the missing section and what
 * to add. The hub needs `fleet` (which accounts, regions and role to read) and `fleet.hub` (the
 * bus and the coverage window); `discovery.profiles` are the profiles tags may name.
 */
export function hubSettingsFor(config: LbGuardConfig): HubSettings {
  const { fleet } = config;
  if (fleet === undefined) {
    throw new HubConfigError(
      'lbguard hub: the config has no fleet section; add fleet: { roleName, accounts or organization: true, regions, hub: {} } (docs/fleet-hub.md)',
    );
  }
  if (fleet.hub === undefined) {
    throw new HubConfigError(
      'lbguard hub: the config has no fleet.hub section; add fleet.hub: {} (busName and coverageMinutes have defaults; organizationId is required with organization: true) (docs/fleet-hub.md)',
    );
  }
  return { fleet, hub: fleet.hub, profiles: config.discovery?.profiles ?? {} };
}

/** `LBGUARD_FLEET_CONFIG`: what hub-coverage reads the fleet with (contract: `{fleet, profiles}`). */
export function fleetConfigJson(settings: HubSettings): string {
  return JSON.stringify({ fleet: settings.fleet, profiles: settings.profiles });
}
