import { afterEach, describe, expect, it } from 'vitest';
import { inspect } from '../../lambdas/flows/inspect.ts';
import type { RemediateRequest } from '../../lambdas/runtime/events.ts';
import { deregisterTargets, outageShop } from '../support/elbv2-fixtures.ts';
import { createMotoWorld, type MotoWorld } from '../support/moto-lambdas.ts';

// The data plane is the test's: the site names the target that "answered" in X-Served-By, spread
// over the shop's four instances while traffic follows the configuration, all on web-a's first
// instance while it does not. moto holds the configuration lbguard reads and writes.

let w: MotoWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const WRITES = new Set([
  'RegisterTargets',
  'ModifyListener',
  'ModifyRule',
  'SetRulePriorities',
  'CreateRule',
]);

/** The shop with served-by sampling; its data plane serves round robin until told otherwise. */
async function shopWithServedBy(requests = 40): Promise<{ world: MotoWorld; instances: string[] }> {
  const world = await createMotoWorld(outageShop, (_shop, siteUrl) => ({
    servedByHeader: 'X-Served-By',
    probes: [{ name: 'home', url: `${siteUrl}/`, servedBySample: { requests, concurrency: 4 } }],
  }));
  const instances = ['web-a', 'web-b'].flatMap((g) => (world.shop.groups[g]?.targets ?? []).map((t) => t.id));
  let next = 0;
  world.servedBy = () => instances[next++ % instances.length] ?? '';
  return { world, instances };
}

/** The postmortem's deployment, and the data plane following it onto web-a's first instance. */
async function outage(world: MotoWorld, lone: string): Promise<RemediateRequest> {
  await world.modifyListener({ forward: { 'web-a': 100, 'web-b': 0 } });
  const { groups } = world.shop;
  await deregisterTargets(world.admin, groups['web-a']?.arn ?? '', (groups['web-a']?.targets ?? []).slice(1));
  await deregisterTargets(world.admin, groups['web-b']?.arn ?? '', groups['web-b']?.targets ?? []);
  world.servedBy = () => lone;
  world.clock.advance(5_000);
  await inspect(
    world.changeEvent('ModifyListener', { listenerArn: world.shop.listenerArn }),
    world.inspectDeps(),
  );
  await world.tick(60_000);
  const request = world.invoker.requests[0];
  if (request === undefined) throw new Error('inspect did not request remediation');
  return request;
}

describe('verification by observation, against moto', () => {
  it('escalates a plan the API took and the traffic never followed, as data-plane-not-following, never resolved', async () => {
    const { world, instances } = await shopWithServedBy();
    w = world;
    await world.promote();
    const lastGood = await world.lastGoodHash();
    const request = await outage(world, instances[0] ?? '');
    // Inspect measured the outage's own write converging (the data plane followed it at once).
    const lags = world.metrics.values('shop', 'PropagationLag').length;

    const out = await world.remediate(request);
    expect(out.outcome).toBe('verification-failed');
    // The configuration converged on last known good: only the traffic did not move.
    expect(await world.liveHash()).toBe(lastGood);
    const incident = await world.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.state).toBe('escalated');
    expect(incident?.diagnosis?.cause).toBe('data-plane-not-following');
    expect(incident?.timeline.some((e) => e.to === 'resolved')).toBe(false);
    expect(world.metrics.values('shop', 'PropagationLag').slice(lags)).toEqual([]);

    const sent = await world.notifications(4);
    const page = sent.map((d) => d.Message).join('\n');
    expect(page).toMatch(/data plane is not following the configuration/i);
    expect(page).toMatch(new RegExp(`${instances[0]}:80 received 100% of 40 requests`));
    expect(page).toMatch(/What to do: keep the targets the data plane still serves/);

    // Minutes later the traffic is still on one instance: inspect keeps the incident open.
    for (let i = 0; i < 3; i++) await world.tick(60_000);
    const later = await world.runtime.store.getIncident('shop', request.incidentId);
    expect(later?.state).toBe('escalated');
  });

  // The drill's data-plane-stuck: a canary step's 100/0, every target still registered, and 30-request
  // bursts. 15/15/0/0 against 25% each passes the skew test at its false-positive rate; the idle
  // targets must not.
  it('escalates a canary step the data plane keeps serving on half the targets, with 30-request bursts', async () => {
    const { world, instances } = await shopWithServedBy(30);
    w = world;
    await world.promote();
    const webA = (world.shop.groups['web-a']?.targets ?? []).map((t) => t.id);
    expect(webA.length).toBeGreaterThanOrEqual(2);
    await world.modifyListener({ forward: { 'web-a': 100, 'web-b': 0 } });
    let next = 0;
    world.servedBy = () => webA[next++ % webA.length] ?? '';
    for (let i = 0; i < 4 && world.invoker.requests.length === 0; i++) await world.tick(60_000);
    const request = world.invoker.requests[0];
    if (request === undefined) throw new Error('inspect did not request remediation');

    const out = await world.remediate(request);
    expect(out).toMatchObject({ outcome: 'verification-failed', cause: 'data-plane-not-following' });
    const incident = await world.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.state).toBe('escalated');
    const idle = instances.filter((id) => !webA.includes(id));
    // The idle targets, in whatever order the evidence lists them (ties in the counts).
    const named = /answered none of 30 requests: (.+?) \(p ≤/.exec(
      incident?.timeline.at(-1)?.evidence.join('\n') ?? '',
    );
    expect(named?.[1]?.split(', ').sort()).toEqual(idle.map((id) => `${id}:80`).sort());
    for (let i = 0; i < 3; i++) await world.tick(60_000);
    const later = await world.runtime.store.getIncident('shop', request.incidentId);
    expect(later?.state).toBe('escalated');
    expect(later?.timeline.some((e) => e.to === 'resolved')).toBe(false);
  });

  it('resolves once the traffic follows, with the propagation lag as evidence and metric', async () => {
    const { world, instances } = await shopWithServedBy();
    w = world;
    await world.promote();
    const request = await outage(world, instances[0] ?? '');
    const lags = world.metrics.values('shop', 'PropagationLag').length;
    let writtenAt: number | undefined;
    world.callFault = (name) => {
      if (WRITES.has(name)) writtenAt ??= world.clock.now().getTime();
      return undefined;
    };
    let next = 0;
    world.servedBy = () =>
      writtenAt !== undefined && world.clock.now().getTime() - writtenAt >= 15_000
        ? (instances[next++ % instances.length] ?? '')
        : (instances[0] ?? '');

    const out = await world.remediate(request);
    expect(out.outcome).toBe('resolved');
    const incident = await world.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.timeline.at(-1)?.evidence.join('\n')).toMatch(
      /20 s after the write at .* \(propagation lag\)/,
    );
    expect(world.metrics.values('shop', 'PropagationLag').slice(lags)).toEqual([20_000]);
  });
});
