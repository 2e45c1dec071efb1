import { seededRandom } from '../../lib/random.ts';
import { defaultShopSpec, type ShopWorldSpec } from '../world/aws-world.ts';
import type { Scenario } from './types.ts';

// Things that are not outages, or not only: traffic noise that must raise nothing, a last known
// good that went stale, and an intended blue/green cut-over that must become the new normal.

/** Nothing breaks; traffic swings between half and one and a half times the base rate. */
export const healthyNoisySoak: Scenario = {
  name: 'healthy-noisy-soak',
  title: 'A healthy shop under noisy traffic',
  story:
    'Nothing is wrong. Customer traffic jumps every half second between 75 and 225 requests per second, so per-target counts wobble. lbguard must raise nothing and change nothing.',
  ratePerSecond: 150,
  async inject(ctx) {
    ctx.mark('note', 'traffic starts swinging between 75 and 225 req/s');
    const random = seededRandom(7);
    for (let i = 0; i < 16; i++) {
      ctx.setRate(75 + Math.round(random() * 150));
      await ctx.sleep(500);
    }
    ctx.setRate(150);
  },
  observeMs: 3_000,
  expect: { incident: 'none', writes: 'none', recovered: true },
};

/** web-b has three servers, so one scale-in leaves it at two of three (not halved). */
export const scaledShop: ShopWorldSpec = {
  ...defaultShopSpec,
  groups: [
    { name: 'web-a', instances: 2 },
    { name: 'web-b', instances: 3 },
  ],
};

/** Last known good names a server that auto scaling has since terminated. */
export const staleLastGood: Scenario = {
  name: 'stale-last-good',
  title: 'Last known good names a terminated server',
  story:
    'After last known good was recorded, auto scaling scaled in web-b-3 (deregistered and terminated it). Then the seed deployment hits. lbguard restores the weights and re-registers the servers that still exist, cannot bring back the terminated one, and escalates so a human refreshes last known good.',
  shop: scaledShop,
  async inject(ctx) {
    const [, a2] = ctx.instances('web-a');
    const [b1, b2, b3] = ctx.instances('web-b');
    if (a2 === undefined || b1 === undefined || b2 === undefined || b3 === undefined) {
      throw new Error('the shop needs two instances in web-a and three in web-b');
    }
    await ctx.autoscaling.scaleIn('web-b', b3.instanceId);
    // Inside the soak (one AWS minute in the drill config), so last known good still names web-b-3.
    await ctx.sleep(300);
    ctx.mark('fault', 'deploy-pipeline: listener 100/0 to web-a; web-a-2, web-b-1 and web-b-2 deregistered');
    await ctx.deploy.forward({ 'web-a': 100, 'web-b': 0 });
    await ctx.deploy.deregister('web-a', [a2.instanceId]);
    await ctx.deploy.deregister('web-b', [b1.instanceId, b2.instanceId]);
  },
  observeMs: 15_000,
  expect: {
    incident: 'escalated',
    causes: ['routing-skew', 'missing-targets'],
    writes: ['ModifyListener', 'RegisterTargets'],
    // The weights must come back even though one target of last known good cannot.
    requiredWrites: ['ModifyListener', 'RegisterTargets'],
    recovered: true,
  },
};

/** Blue serves everything; green stands by with weight 0. */
export const blueGreenShop: ShopWorldSpec = {
  ...defaultShopSpec,
  groups: [
    { name: 'blue', instances: 2 },
    { name: 'green', instances: 2 },
  ],
  defaultAction: { forward: { blue: 100, green: 0 } },
};

/** An intended cut-over to a healthy green group: no incident, and green becomes last known good. */
export const blueGreenShift: Scenario = {
  name: 'blue-green-shift',
  title: 'An intended blue/green cut-over',
  story:
    'The pipeline shifts the listener from blue 100/0 to green 0/100. Green is healthy and just as large: the spread of traffic is unchanged. lbguard must not call it an incident, and must promote the new routing to last known good after the soak.',
  shop: blueGreenShop,
  ratePerSecond: 120,
  async inject(ctx) {
    ctx.mark('change', 'deploy-pipeline: blue/green cut-over, listener blue 0 / green 100');
    await ctx.deploy.forward({ blue: 0, green: 100 });
  },
  observeMs: 8_000,
  expect: { incident: 'none', writes: 'none', recovered: true, promotesNewConfig: true },
};
