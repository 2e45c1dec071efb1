// What the construct hands its functions: the config less the CLI-only fleet section and the
// construct-only approval section, and a
// refusal, at synth, of a deployment with nothing listed to guard.
import { describe, expect, it } from 'vitest';
import { resolveServices, runtimeConfigFor } from '../../../infra/services.ts';
import { fleetSchema } from '../../../lambdas/bundle-shims/no-fleet-schema.ts';
import type { LbGuardConfig } from '../../../lib/config/index.ts';
import { testConfig } from './support.ts';

const FLEET = { roleName: 'lbguard-fleet-reader', accounts: ['111111111111'], regions: ['eu-west-1'] };

function withFleet(config: LbGuardConfig): LbGuardConfig {
  return { ...config, fleet: FLEET } as LbGuardConfig;
}

describe('the config the functions receive', () => {
  it('leaves the fleet section out and keeps everything else', () => {
    const config = testConfig();
    const runtime = runtimeConfigFor(withFleet(config), {});
    expect(runtime).not.toHaveProperty('fleet');
    expect(runtime).toEqual(config);
  });

  it('leaves the approval section out too: only the construct reads it', () => {
    const config = testConfig({ mode: 'approve' });
    const runtime = runtimeConfigFor({ ...config, approval: { endpoint: true } }, {});
    expect(runtime).not.toHaveProperty('approval');
    expect(runtime).toEqual(config);
  });

  it('is what the bundles can parse: their stand-in fleet schema refuses any fleet section, saying why', () => {
    const refused = fleetSchema.safeParse(FLEET);
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toMatch(/read by the lbguard CLI only/);
  });
});

describe('a deployment with no service listed', () => {
  it('fails at synth, naming services and where the fleet section is used instead', () => {
    const config = { ...withFleet(testConfig()), services: [] };
    expect(() => resolveServices(config, {})).toThrow(
      /services is empty.*lbguard status --fleet.*docs\/fleet\.md/,
    );
  });
});
