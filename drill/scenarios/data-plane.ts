import { checkFollowing } from '../world/data-plane-following.ts';
import type { Scenario, ScenarioContext } from './types.ts';

// Issue 16: the API accepted the change and the data plane has not followed. A canary tool sends
// every request to web-a; lbguard restores 50/50; HAProxy routes by the restore only after a
// delay, or never, while moto (the API) reports the restored listener at once. "Verified" must
// mean the traffic moved.

/** Drill ms the data plane lags in `data-plane-lag`: two AWS minutes, inside the 300 s verify deadline. */
export const DEFAULT_APPLY_DELAY_MS = 2_000;

/** A canary step gone wrong: all traffic to web-a, every target still registered. */
async function canaryToWebA(ctx: ScenarioContext): Promise<void> {
  ctx.mark('fault', 'deploy-pipeline (canary): listener 100/0 to web-a; web-b’s two targets get nothing');
  await ctx.deploy.forward({ 'web-a': 100, 'web-b': 0 });
}

const story = (after: string): string =>
  `A canary step sends every request to web-a: two servers of four take the whole shop. lbguard restores 50/50 and the API accepts it at once, but the load balancer’s data plane ${after}`;

/** The data plane applies lbguard's restore `delayMs` drill ms after the API accepted it. */
export function dataPlaneLag(delayMs: number = DEFAULT_APPLY_DELAY_MS): Scenario {
  const following = checkFollowing({ mode: 'delayed', delayMs });
  return {
    name: 'data-plane-lag',
    title: `The data plane follows the restore ${(delayMs / 1000).toFixed(1)} s late`,
    story: story(
      `routes by it only ${(delayMs / 1000).toFixed(1)} drill s (as many AWS minutes) later. lbguard must report the propagation lag it observed, within one probe round of the truth, and call the incident resolved only once traffic has moved.`,
    ),
    world: { dataPlane: following },
    ratePerSecond: 120,
    inject: canaryToWebA,
    observeMs: 15_000,
    expect: {
      incident: 'resolved',
      causes: ['routing-skew', 'listener-drift'],
      writes: ['ModifyListener'],
      requiredWrites: ['ModifyListener'],
      recovered: true,
      dataPlane: 'follows-late',
    },
  };
}

/** The data plane never applies lbguard's restore. */
export const dataPlaneStuck: Scenario = {
  name: 'data-plane-stuck',
  title: 'The data plane never follows the restore',
  story: story(
    'never routes by it: traffic stays on web-a while every API read says 50/50. lbguard must never call it verified, and must escalate: the data plane is not following the configuration.',
  ),
  world: { dataPlane: { mode: 'stuck' } },
  ratePerSecond: 120,
  inject: canaryToWebA,
  observeMs: 15_000,
  expect: {
    incident: 'escalated',
    writes: ['ModifyListener'],
    requiredWrites: ['ModifyListener'],
    // Two servers carry the shop at this rate: customers may never notice.
    recovered: 'either',
    dataPlane: 'stuck',
  },
};
