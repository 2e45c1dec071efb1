import { defaultShopSpec, type ShopWorldSpec } from '../world/aws-world.ts';
import type { Scenario, ScenarioContext } from './types.ts';

// Faults in the load balancer's own configuration: the ones lbguard exists to put right.

function ids(ctx: ScenarioContext, group: string, from = 0): string[] {
  return ctx
    .instances(group)
    .slice(from)
    .map((i) => i.instanceId);
}

/** The postmortem's outage: all traffic to web-a, three of four targets deregistered. */
export const seedOutage: Scenario = {
  name: 'seed-outage',
  title: 'A deployment routes all traffic to one server',
  story:
    'The deployment pipeline sets the listener to forward 100/0 to web-a and deregisters three of the four targets. The one server left takes every request, falls over under the load, and customers get 503 — the outage in the reference postmortem.',
  async inject(ctx) {
    ctx.mark('fault', 'deploy-pipeline: listener 100/0 to web-a; 3 of 4 targets deregistered');
    await ctx.deploy.forward({ 'web-a': 100, 'web-b': 0 });
    await ctx.deploy.deregister('web-a', ids(ctx, 'web-a', 1));
    await ctx.deploy.deregister('web-b', ids(ctx, 'web-b'));
  },
  // One AWS hour, as long as the outage in the postmortem lasted.
  observeMs: 60_000,
  expect: {
    incident: 'resolved',
    causes: ['routing-skew', 'missing-targets'],
    writes: ['ModifyListener', 'RegisterTargets'],
    requiredWrites: ['ModifyListener', 'RegisterTargets'],
    recovered: true,
  },
  compareUnguardedByDefault: true,
};

/** Targets deregistered, weights untouched: half the traffic goes to an empty group. */
export const targetsDeregistered: Scenario = {
  name: 'targets-deregistered',
  title: 'A deployment deregisters three of four targets',
  story:
    'The pipeline deregisters web-a-2 and both web-b targets but leaves the 50/50 weights: half of all requests go to a group with no targets and ALB answers them 503.',
  async inject(ctx) {
    ctx.mark('fault', 'deploy-pipeline: web-a-2, web-b-1, web-b-2 deregistered');
    await ctx.deploy.deregister('web-a', ids(ctx, 'web-a', 1));
    await ctx.deploy.deregister('web-b', ids(ctx, 'web-b'));
  },
  observeMs: 15_000,
  expect: {
    incident: 'resolved',
    causes: ['missing-targets'],
    writes: ['RegisterTargets'],
    requiredWrites: ['RegisterTargets'],
    recovered: true,
  },
};

/** The shop with a checkout rule and a leftover, empty canary group. */
export const checkoutRuleShop: ShopWorldSpec = {
  ...defaultShopSpec,
  groups: [...defaultShopSpec.groups, { name: 'web-canary', instances: 0 }],
  rules: [
    {
      name: 'checkout',
      priority: 10,
      conditions: { path: ['/checkout', '/checkout/*'] },
      action: { forward: { 'web-a': 50, 'web-b': 50 } },
    },
  ],
};

/** One path rule pointed at the wrong group: checkout breaks, the rest of the shop does not. */
export const pathRuleFlipped: Scenario = {
  name: 'path-rule-flipped',
  title: 'The /checkout/* rule is flipped to an empty canary group',
  story:
    'A deployment repoints the checkout rule at web-canary, a target group with no targets. Browsing still works; every checkout gets 503. Only one rule drifted, so only that rule may be touched.',
  shop: checkoutRuleShop,
  async inject(ctx) {
    ctx.mark('fault', 'deploy-pipeline: checkout rule → web-canary (no targets)');
    await ctx.deploy.modifyRule('checkout', { forward: { 'web-canary': 1 } });
  },
  observeMs: 15_000,
  expect: {
    incident: 'resolved',
    causes: ['missing-targets', 'listener-drift', 'routing-skew'],
    writes: ['ModifyRule'],
    requiredWrites: ['ModifyRule'],
    recovered: true,
  },
};

/** The maintenance page left on: the default action answers a fixed 503. */
export const fixed503Default: Scenario = {
  name: 'fixed-503-default',
  title: 'The default action is replaced by a fixed 503',
  story:
    'A maintenance switch replaces the listener default action with a fixed-response 503 and nobody switches it back. Every request gets 503 from the load balancer itself; no server is involved.',
  async inject(ctx) {
    ctx.mark('fault', 'deploy-pipeline: default action → fixed-response 503');
    await ctx.deploy.setDefaultAction({
      fixedResponse: { statusCode: '503', contentType: 'text/plain', messageBody: 'Down for maintenance' },
    });
  },
  observeMs: 15_000,
  expect: {
    incident: 'resolved',
    causes: ['listener-drift', 'missing-targets', 'routing-skew'],
    writes: ['ModifyListener'],
    requiredWrites: ['ModifyListener'],
    recovered: true,
  },
};
