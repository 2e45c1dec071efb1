import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  ModifyRuleCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mitigatedShop, rewriteShop } from '../../drill/scenarios/intent.ts';
import { runningChildren } from '../../drill/world/children.ts';
import { codeDeployClient, startDeployment, stopDeployment } from '../../drill/world/codedeploy.ts';
import { summarise } from '../../drill/world/loadgen.ts';
import { waitFor } from '../../drill/world/net.ts';
import { startWorld, type World } from '../../drill/world/world.ts';

// The drill world's stand-ins for what the load balancer and the deployment tools do on purpose
// (issue 15), end to end: anomaly mitigation on HAProxy and as DescribeTargetHealth reports it, a
// rule's URL rewrite on real HTTP, a CodeDeploy deployment in progress and stopped. One world:
// the scenarios' shops together, three servers per group, mitigation on, the /shop/* rewrite.

const execFileAsync = promisify(execFile);
const ACTIVE = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;

let world: World;

const legacyRule = (rules: readonly Rule[] | undefined): Rule | undefined =>
  rules?.find((r) =>
    r.Conditions?.some((c) => (c.PathPatternConfig?.Values ?? c.Values)?.includes('/shop/*')),
  );

/** The HAProxy weight of a target's checked server, as `show stat` reports it. */
async function weightOf(instanceId: string): Promise<number | undefined> {
  const { rows } = await world.sync.haproxy.sample();
  return rows.find((r) => r.server.startsWith(`t_${instanceId}`))?.weight;
}

async function anomalyOf(group: string) {
  const arn = world.control.targetGroups[group]?.arn;
  const out = await world.clients.elbv2.send(
    new DescribeTargetHealthCommand({ TargetGroupArn: arn, Include: ['AnomalyDetection'] }),
  );
  return new Map(out.TargetHealthDescriptions?.map((d) => [d.Target?.Id, d.AnomalyDetection]));
}

describe('the drill world, what the load balancer and deployments do on purpose', () => {
  beforeAll(async () => {
    world = await startWorld({
      motoUrl: inject('motoUrl'),
      shop: { ...mitigatedShop, rules: rewriteShop.rules ?? [] },
    });
  });

  afterAll(async () => {
    await world?.stop();
  });

  it('keeps the weighted_random and anomaly-mitigation attributes on the target groups', async () => {
    const out = await world.clients.elbv2.send(
      new DescribeTargetGroupAttributesCommand({ TargetGroupArn: world.control.targetGroups['web-a']?.arn }),
    );
    const attrs = Object.fromEntries(out.Attributes?.map((a) => [a.Key, a.Value]) ?? []);
    expect(attrs['load_balancing.algorithm.type']).toBe('weighted_random');
    expect(attrs['load_balancing.algorithm.anomaly_mitigation']).toBe('on');
  });

  it('rewrites /shop/… to /… on real HTTP through HAProxy, and only for the rule that matched', async () => {
    const base = world.listenerUrl();
    for (const path of ['/shop/products/7', '/products/7']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.json(), path).toMatchObject({ page: 'product', id: '7' });
    }
    // The default rule has no rewrite: an unknown path stays unknown.
    expect((await fetch(`${base}/elsewhere/products/7`)).status).toBe(404);
  });

  it('answers DescribeRules with the transform moto drops, keeps it across ModifyRule and drops it on ResetTransforms', async () => {
    const { elbv2 } = world.clients;
    const listenerArn = world.control.listenerArn;
    const before = legacyRule(
      (await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules,
    );
    expect(before?.Transforms).toEqual([
      { Type: 'url-rewrite', UrlRewriteConfig: { Rewrites: [{ Regex: '^/shop/(.*)$', Replace: '/$1' }] } },
    ]);
    const ruleArn = before?.RuleArn ?? '';
    const webA = world.control.targetGroups['web-a']?.arn ?? '';
    // moto refuses a ModifyRule without conditions or actions (AWS takes transforms alone).
    const Actions = [
      { Type: 'forward' as const, ForwardConfig: { TargetGroups: [{ TargetGroupArn: webA, Weight: 1 }] } },
    ];
    await elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions }));
    const kept = legacyRule((await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules);
    expect(kept?.Transforms).toEqual(before?.Transforms);

    await elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions, ResetTransforms: true }));
    const reset = legacyRule(
      (await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules,
    );
    expect(reset?.Transforms ?? []).toEqual([]);
    // HAProxy follows: the reload without the rewrite leaves /shop/… unknown to the shop.
    await waitFor(
      'HAProxy to drop the rewrite',
      async () => ((await fetch(`${world.listenerUrl()}/shop/products/7`)).status === 404 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    await elbv2.send(
      new ModifyRuleCommand({
        RuleArn: ruleArn,
        Actions,
        Transforms: [
          {
            Type: 'url-rewrite',
            UrlRewriteConfig: { Rewrites: [{ Regex: '^/shop/(.*)$', Replace: '/$1' }] },
          },
        ],
      }),
    );
    await waitFor(
      'HAProxy to rewrite again',
      async () => ((await fetch(`${world.listenerUrl()}/shop/products/7`)).status === 200 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  });

  it('turns an anomalous server down step by step, reports it as ALB does, and ramps it back once it recovers', async () => {
    const [victim, ...peers] = world.control.instances.filter((i) => i.groupName === 'web-a');
    if (victim === undefined || peers.length < 2) throw new Error('web-a needs three instances');
    const load = world.load({ ratePerSecond: 150, durationMs: 30_000 });
    try {
      world.fleet.setMode(victim.instanceId, 'fail-500');
      await waitFor(
        'the victim at the lowest weight',
        async () => ((await weightOf(victim.instanceId)) === 10 ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      const down = world.mitigation.events
        .filter((e) => e.targetId === victim.instanceId)
        .map((e) => e.weight);
      expect(down).toEqual([50, 25, 10]);
      for (const p of peers) expect(await weightOf(p.instanceId)).toBe(100);

      const during = await anomalyOf('web-a');
      expect(during.get(victim.instanceId)).toEqual({ Result: 'anomalous', MitigationInEffect: 'yes' });
      for (const p of peers)
        expect(during.get(p.instanceId)).toEqual({ Result: 'normal', MitigationInEffect: 'no' });
      // Asked without Include, DescribeTargetHealth says nothing of anomalies, as ALB.
      const plain = await world.clients.elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: victim.targetGroupArn }),
      );
      expect(plain.TargetHealthDescriptions?.every((d) => d.AnomalyDetection === undefined)).toBe(true);

      // While mitigated, the victim still gets a trickle (never zero), far below its peers.
      const mark = Date.now();
      await new Promise((r) => setTimeout(r, 2_000));
      const served = summarise(load.records.filter((r) => r.at >= mark)).byServedBy;
      const peerMean = peers.reduce((a, p) => a + (served[p.instanceId] ?? 0), 0) / peers.length;
      expect(served[victim.instanceId] ?? 0).toBeGreaterThan(0);
      expect(served[victim.instanceId] ?? 0).toBeLessThan(peerMean / 4);

      world.fleet.setMode(victim.instanceId, 'normal');
      await waitFor(
        'the victim back at full weight',
        async () => ((await weightOf(victim.instanceId)) === 100 ? true : undefined),
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      const all = world.mitigation.events
        .filter((e) => e.targetId === victim.instanceId)
        .map((e) => e.weight);
      expect(all.slice(3).filter((w, i, xs) => w !== xs[i - 1])).toEqual([10, 25, 50, 100]);
      const after = await anomalyOf('web-a');
      expect(after.get(victim.instanceId)).toEqual({ Result: 'normal', MitigationInEffect: 'no' });
    } finally {
      load.stop();
      await load.done;
    }
  });

  it('keeps a CodeDeploy deployment on the shop’s groups in progress until it is stopped', async () => {
    const client = codeDeployClient(world.awsUrl);
    try {
      const d = await startDeployment(client, { name: 'drill-test', targetGroupNames: ['web-a', 'web-b'] });
      const group = await client.send(
        new GetDeploymentGroupCommand({
          applicationName: d.applicationName,
          deploymentGroupName: d.deploymentGroupName,
        }),
      );
      expect(group.deploymentGroupInfo?.loadBalancerInfo?.targetGroupInfoList?.map((t) => t.name)).toEqual([
        'web-a',
        'web-b',
      ]);
      const active = () =>
        client.send(
          new ListDeploymentsCommand({
            applicationName: d.applicationName,
            deploymentGroupName: d.deploymentGroupName,
            includeOnlyStatuses: [...ACTIVE],
          }),
        );
      expect((await active()).deployments).toEqual([d.deploymentId]);
      await new Promise((r) => setTimeout(r, 1_000));
      const still = await client.send(new GetDeploymentCommand({ deploymentId: d.deploymentId }));
      expect(ACTIVE as readonly string[]).toContain(still.deploymentInfo?.status);

      await stopDeployment(client, d.deploymentId);
      const stopped = await client.send(new GetDeploymentCommand({ deploymentId: d.deploymentId }));
      expect(stopped.deploymentInfo?.status).toBe('Stopped');
      expect(stopped.deploymentInfo?.completeTime).toBeInstanceOf(Date);
      expect((await active()).deployments).toEqual([]);
    } finally {
      client.destroy();
    }
  });

  it('renders rewrites that haproxy -c accepts, host-header-rewrite included', async () => {
    const text = world.sync.plan.config.replace(
      /http-request replace-pathq .*$/m,
      (line) =>
        `${line}\n  http-request replace-header host '^legacy\\.(.*)$' 'www.\\1' if { var(txn.rule) -m str 80_5 }`,
    );
    expect(text).toContain(
      "http-request replace-pathq '^/shop/(.*)$' '/\\1' if { var(txn.rule) -m str 80_5 }",
    );
    const path = join(world.dir, 'rewrite-check.cfg');
    await writeFile(path, text);
    await expect(execFileAsync('haproxy', ['-c', '-f', path])).resolves.toBeDefined();
  });

  it('leaves no process behind when stopped', async () => {
    await world.stop();
    expect(runningChildren()).toBe(0);
  });
});
