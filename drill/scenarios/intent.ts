import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { defaultShopSpec, type ShopWorldSpec } from '../world/aws-world.ts';
import { codeDeployClient, startDeployment, stopDeployment } from '../world/codedeploy.ts';
import { shopPathMix } from '../world/loadgen.ts';
import type { Scenario, ScenarioCheck, ScenarioContext } from './types.ts';

// Issue 15: what the load balancer and the deployment tools do on purpose. Unevenness the load
// balancer makes to protect customers is not skew; a change made under a deployment in flight is
// that deployment's to finish; a rule's rewrite is part of the rule and outlives a restore.

function ids(ctx: ScenarioContext, group: string, from = 0): string[] {
  return ctx
    .instances(group)
    .slice(from)
    .map((i) => i.instanceId);
}

/** The seed outage's change, made by the deployment pipeline. */
async function seedChange(ctx: ScenarioContext): Promise<void> {
  await ctx.deploy.forward({ 'web-a': 100, 'web-b': 0 });
  await ctx.deploy.deregister('web-a', ids(ctx, 'web-a', 1));
  await ctx.deploy.deregister('web-b', ids(ctx, 'web-b'));
}

const WEIGHTED_RANDOM_MITIGATED = {
  'load_balancing.algorithm.type': 'weighted_random',
  'load_balancing.algorithm.anomaly_mitigation': 'on',
};

/** Three servers per group (ALB detects anomalies from three healthy targets up), mitigation on. */
export const mitigatedShop: ShopWorldSpec = {
  ...defaultShopSpec,
  groups: [
    { name: 'web-a', instances: 3, attributes: WEIGHTED_RANDOM_MITIGATED },
    { name: 'web-b', instances: 3, attributes: WEIGHTED_RANDOM_MITIGATED },
  ],
};

/** The world's own part: the data plane turned the failing server down and back up. */
async function mitigatedAndRestored(ctx: ScenarioContext): Promise<readonly ScenarioCheck[]> {
  const [victim] = ctx.instances('web-a');
  const events = ctx.world.mitigation.events.filter((e) => e.targetId === victim?.instanceId);
  const weights = events.map((e) => e.weight);
  const group = victim?.targetGroupArn ?? '';
  const id = victim?.instanceId ?? '';
  return [
    {
      name: 'the load balancer mitigated the failing server',
      ok: weights.includes(10) && ctx.world.mitigation.weight(group, id) === 100,
      detail: `weights ${weights.join(' → ') || 'never changed'}; now ${ctx.world.mitigation.weight(group, id)}, ${ctx.world.mitigation.report(group, id)?.result ?? 'no result'}`,
    },
  ];
}

/** One server answers 500s; the load balancer's anomaly mitigation turns it down, then back up. */
export const anomalyMitigation: Scenario = {
  name: 'anomaly-mitigation',
  title: 'The load balancer mitigates an anomalous server',
  story:
    'web-a-1 answers 500 to every page for 12 AWS minutes while its health check stays green. Both groups are weighted_random with anomaly mitigation on: the load balancer lowers web-a-1’s share step by step, and ramps it back once it answers like its peers. Traffic is uneven on purpose; lbguard must not page routing skew and must not write.',
  shop: mitigatedShop,
  async inject(ctx) {
    const [victim] = ctx.instances('web-a');
    if (victim === undefined) throw new Error('the shop has no web-a instance');
    ctx.mark('fault', `${victim.instanceId} (web-a) answers 500 to every page; its health check passes`);
    ctx.world.fleet.setMode(victim.instanceId, 'fail-500');
    // Twelve AWS minutes: long enough for lbguard's served-by samples to see the uneven spread.
    await ctx.sleep(12_000);
    ctx.mark('note', `${victim.instanceId} recovers; the load balancer ramps its share back`);
    ctx.world.fleet.setMode(victim.instanceId, 'normal');
  },
  observeMs: 10_000,
  verify: mitigatedAndRestored,
  expect: {
    incident: 'any',
    neverCauses: ['routing-skew'],
    writes: 'none',
    recovered: true,
    // One server of six unmitigated for 12 s of 22 would fail ~9 % of all requests; the
    // mitigation holds it to a fraction of that.
    maxFailureRate: 0.05,
  },
};

/** A CodeDeploy deployment on the shop's groups is in progress while the seed change lands. */
export const deploymentInFlight: Scenario = {
  name: 'deployment-in-flight',
  title: 'A deployment in flight changes the listener',
  story:
    'A CodeDeploy deployment on a group that uses web-a and web-b is in progress when the listener goes 100/0 and three of four targets are deregistered. Restoring underneath it would race the deployment: lbguard must defer and tell people. The deployment is then stopped with the routing still broken, and lbguard must restore it.',
  async inject(ctx) {
    const codedeploy = codeDeployClient(ctx.world.awsUrl);
    try {
      const d = await startDeployment(codedeploy, {
        name: 'shop-release',
        targetGroupNames: ['web-a', 'web-b'],
      });
      ctx.mark(
        'change',
        `CodeDeploy ${d.deploymentId} in progress on ${d.deploymentGroupName} (web-a, web-b)`,
      );
      ctx.mark('fault', 'during the deployment: listener 100/0 to web-a; 3 of 4 targets deregistered');
      await seedChange(ctx);
      // Eight AWS minutes in flight: lbguard has seen the change many times over by now.
      await ctx.sleep(8_000);
      await stopDeployment(codedeploy, d.deploymentId);
      ctx.mark('settled', `${d.deploymentId} stopped; it left the listener 100/0 with one target`);
    } finally {
      codedeploy.destroy();
    }
  },
  observeMs: 15_000,
  expect: {
    incident: 'resolved',
    causes: ['routing-skew', 'missing-targets'],
    writes: ['ModifyListener', 'RegisterTargets'],
    requiredWrites: ['ModifyListener', 'RegisterTargets'],
    noWritesBefore: 'settled',
    recovered: true,
  },
};

const LEGACY_PREFIX = '/shop/*';

/** The shop with a legacy URL space: `/shop/…` is rewritten to `/…` by the rule's url-rewrite. */
export const rewriteShop: ShopWorldSpec = {
  ...defaultShopSpec,
  rules: [
    {
      name: 'legacy-shop',
      priority: 5,
      conditions: { path: [LEGACY_PREFIX] },
      action: { forward: { 'web-a': 50, 'web-b': 50 } },
      transforms: [
        { Type: 'url-rewrite', UrlRewriteConfig: { Rewrites: [{ Regex: '^/shop/(.*)$', Replace: '/$1' }] } },
      ],
    },
  ],
};

/** Requests to `/shop/products/7` answer product 7: the backend saw the rewritten path. */
async function rewriteInEffect(ctx: ScenarioContext): Promise<readonly ScenarioCheck[]> {
  let rewritten = 0;
  const tries = 20;
  for (let i = 0; i < tries; i++) {
    try {
      const res = await fetch(`${ctx.world.listenerUrl()}/shop/products/7`, {
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await res.json().catch(() => ({}))) as { page?: string; id?: string };
      if (res.status === 200 && body.page === 'product' && body.id === '7') rewritten++;
    } catch {
      // Counted as not rewritten.
    }
  }
  const rules = await ctx.world.clients.elbv2.send(
    new DescribeRulesCommand({ ListenerArn: ctx.world.control.listenerArn }),
  );
  const legacy = rules.Rules?.find((r) =>
    r.Conditions?.some((c) => (c.PathPatternConfig?.Values ?? c.Values)?.includes(LEGACY_PREFIX)),
  );
  const kept = legacy?.Transforms?.find((t) => t.Type === 'url-rewrite');
  return [
    {
      name: 'rewrite still served',
      ok: rewritten === tries,
      detail: `${rewritten} of ${tries} requests to /shop/products/7 reached a server as /products/7`,
    },
    {
      name: 'rewrite still configured',
      ok: kept !== undefined,
      detail:
        kept === undefined
          ? `the ${LEGACY_PREFIX} rule ${legacy === undefined ? 'is gone' : 'has no url-rewrite'}`
          : `${LEGACY_PREFIX} rule keeps url-rewrite ${kept.UrlRewriteConfig?.Rewrites?.map((r) => `${r.Regex} → ${r.Replace}`).join(', ')}`,
    },
  ];
}

/** The seed change plus the rewrite rule repointed: the restore must keep the rewrite. */
export const rewriteRuleRestore: Scenario = {
  name: 'rewrite-rule-restore',
  title: 'A restore keeps a rule’s URL rewrite',
  story:
    'Old links under /shop/… reach the shop through a rule whose url-rewrite strips the prefix. The seed deployment sends the listener 100/0, deregisters three of four targets and repoints the rewrite rule at web-a alone. lbguard restores the listener, the rule and the targets; afterwards /shop/products/7 must still reach a server as /products/7.',
  shop: rewriteShop,
  pathMix: [
    ...shopPathMix,
    { weight: 20, method: 'GET', path: (u) => `/shop/products/${1 + Math.floor(u * 500)}` },
  ],
  async inject(ctx) {
    ctx.mark(
      'fault',
      'deploy-pipeline: listener and /shop/* rule 100/0 to web-a; 3 of 4 targets deregistered',
    );
    await ctx.deploy.modifyRule('legacy-shop', { forward: { 'web-a': 100, 'web-b': 0 } });
    await seedChange(ctx);
  },
  observeMs: 15_000,
  verify: rewriteInEffect,
  expect: {
    incident: 'resolved',
    causes: ['routing-skew', 'missing-targets', 'listener-drift'],
    writes: ['ModifyListener', 'ModifyRule', 'RegisterTargets'],
    requiredWrites: ['ModifyListener', 'ModifyRule', 'RegisterTargets'],
    recovered: true,
  },
};

/** The seed change plus the rewrite rule deleted: lbguard recreates it, rewrite included. */
export const rewriteRuleRecreated: Scenario = {
  name: 'rewrite-rule-recreated',
  title: 'A recreated rule keeps its URL rewrite',
  story:
    'The same shop with the /shop/* rewrite rule. The seed deployment sends the listener 100/0, deregisters three of four targets and deletes the rewrite rule. The policy lets lbguard recreate deleted rules; the rule it creates must carry the rewrite, or every old /shop/… link answers 404.',
  shop: rewriteShop,
  remediation: { allowCreateRule: true },
  pathMix: rewriteRuleRestore.pathMix ?? shopPathMix,
  async inject(ctx) {
    ctx.mark(
      'fault',
      'deploy-pipeline: /shop/* rule deleted; listener 100/0 to web-a; 3 of 4 targets deregistered',
    );
    await ctx.deploy.deleteRule('legacy-shop');
    await seedChange(ctx);
  },
  observeMs: 15_000,
  verify: rewriteInEffect,
  expect: {
    incident: 'resolved',
    causes: ['routing-skew', 'missing-targets', 'listener-drift'],
    writes: ['ModifyListener', 'CreateRule', 'RegisterTargets'],
    requiredWrites: ['ModifyListener', 'CreateRule', 'RegisterTargets'],
    recovered: true,
  },
};
