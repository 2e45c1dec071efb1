import { afterEach, describe, expect, it } from 'vitest';
import { inspect } from '../../lambdas/flows/inspect.ts';
import type { RemediateRequest } from '../../lambdas/runtime/events.ts';
import { renderPostmortem } from '../../lib/postmortem.ts';
import { deregisterTargets, outageShop, type ShopSpec } from '../support/elbv2-fixtures.ts';
import { createMotoWorld, type MotoWorld, registeredTargets } from '../support/moto-lambdas.ts';

/** moto's HTTP deliveries omit message attributes; the body's header line carries the same. */
function field(message: string, name: 'State' | 'Severity'): string | undefined {
  return new RegExp(`${name}: (\\S+)`).exec(message)?.[1];
}

let w: MotoWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The postmortem's deployment: all traffic to web-a, three of four targets deregistered. */
async function deploy(world: MotoWorld): Promise<void> {
  await world.modifyListener({ forward: { 'web-a': 100, 'web-b': 0 } });
  const { groups } = world.shop;
  await deregisterTargets(world.admin, groups['web-a']?.arn ?? '', (groups['web-a']?.targets ?? []).slice(1));
  await deregisterTargets(world.admin, groups['web-b']?.arn ?? '', groups['web-b']?.targets ?? []);
}

/** Inspect fed the CloudTrail event, then a scheduled tick: the incident is confirmed. */
async function detect(world: MotoWorld) {
  world.clock.advance(5_000);
  const woken = await inspect(
    world.changeEvent('ModifyListener', { listenerArn: world.shop.listenerArn }),
    world.inspectDeps(),
  );
  const confirmed = await world.tick(60_000);
  return { woken, confirmed };
}

describe('the outage, end to end against moto', () => {
  it('is diagnosed, remediated in auto mode back to last known good, and resolved with a postmortem', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    await w.promote();
    const lastGood = await w.lastGoodHash();
    await deploy(w);
    w.elbv2Calls.length = 0;

    const { woken, confirmed } = await detect(w);
    expect(woken.kind).toBe('inspected');
    const inspection = confirmed.kind === 'inspected' ? confirmed.services[0] : undefined;
    expect(['routing-skew', 'missing-targets']).toContain(inspection?.diagnosis.cause);
    expect(inspection?.diagnosis.evidence.join('\n')).toMatch(/ModifyListener by role deploy-pipeline/);
    expect(inspection?.incidentState).toBe('confirmed');
    const request = w.invoker.requests[0] as RemediateRequest;
    expect(request.planHash).toBe(inspection?.planHash);

    const out = await w.remediate(request);
    expect(out.outcome).toBe('resolved');
    expect(await w.liveHash()).toBe(lastGood);
    expect(await registeredTargets(w, 'web-b')).toHaveLength(2);
    expect(w.elbv2Writes().sort()).toEqual(['ModifyListener', 'RegisterTargets', 'RegisterTargets']);

    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.state).toBe('resolved');
    expect(incident?.timeline.map((e) => e.to)).toEqual([
      'suspected',
      'confirmed',
      'mitigating',
      'verifying',
      'resolved',
    ]);
    expect(await w.runtime.store.getOpenIncident('shop')).toBeUndefined();
    const postmortem = renderPostmortem(incident ?? (undefined as never));
    expect(postmortem).toMatch(/deploy-pipeline/);
    expect(postmortem).toMatch(/RegisterTargets web-b/);

    const sent = await w.notifications(4);
    expect(sent.map((d) => field(d.Message, 'State'))).toEqual(
      expect.arrayContaining(['confirmed', 'mitigating', 'verifying', 'resolved']),
    );
  });

  it('in dry-run leaves moto unchanged and sends the plan to people', async () => {
    w = await createMotoWorld(outageShop, () => ({ remediation: { mode: 'dry-run' } }));
    await w.promote();
    await deploy(w);
    const broken = await w.liveHash();
    w.elbv2Calls.length = 0;

    await detect(w);
    await w.tick();
    expect(w.invoker.requests).toHaveLength(0);
    expect(await w.liveHash()).toBe(broken);
    expect(w.elbv2Writes()).toEqual([]);
    const sent = await w.notifications(2);
    const plan = sent.find((d) => d.Subject?.includes('dry-run plan'));
    expect(plan?.Message).toMatch(/Plan\n {2}1\. RegisterTargets web-a/);
    expect(plan?.Message).toMatch(/ModifyListener :80 default action/);
  });

  it('escalates a backend fault behind balanced routing without one ELBv2 write', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    await w.promote();
    w.elbv2Calls.length = 0;
    w.backendFault = true;
    // Probe failures count only once hysteresis declares the probe failing (3 in a row), so the
    // probe runs 10 s apart as its production loop does: the third run is the first suspicion.
    await w.tick(10_000);
    await w.tick(10_000);
    await w.tick(10_000);
    const second = await w.tick(10_000);
    const inspection = second.kind === 'inspected' ? second.services[0] : undefined;
    expect(inspection?.diagnosis).toMatchObject({ cause: 'backend-errors-balanced', lbFault: false });
    expect(inspection?.incidentState).toBe('escalated');
    expect(w.invoker.requests).toHaveLength(0);
    expect(w.elbv2Calls.length).toBeGreaterThan(0);
    expect(w.elbv2Writes()).toEqual([]);
    const sent = await w.notifications(1);
    expect(sent.some((d) => field(d.Message, 'Severity') === 'critical')).toBe(true);
    expect(sent.map((d) => d.Message).join('\n')).toMatch(/not the cause/);
  });

  it('restores a path rule flipped to an emptied group and leaves the default action alone', async () => {
    const spec: ShopSpec = {
      name: 'shop',
      groups: [
        { name: 'web', instances: 2 },
        { name: 'checkout-a', instances: 2 },
        { name: 'checkout-b', instances: 2 },
      ],
      defaultAction: { forwardTo: 'web' },
      rules: [
        {
          name: 'path:/checkout/',
          priority: 10,
          conditions: { path: ['/checkout/*'] },
          action: { forward: { 'checkout-a': 50, 'checkout-b': 50 } },
        },
      ],
    };
    w = await createMotoWorld(spec, (_shop, site) => ({
      probes: [
        { name: 'home', url: `${site}/` },
        { name: 'checkout', url: `${site}/checkout/cart` },
      ],
    }));
    await w.promote();
    const lastGood = await w.lastGoodHash();
    await w.modifyRule('path:/checkout/', ['/checkout/*'], {
      forward: { 'checkout-a': 0, 'checkout-b': 100 },
    });
    await deregisterTargets(
      w.admin,
      w.shop.groups['checkout-b']?.arn ?? '',
      w.shop.groups['checkout-b']?.targets ?? [],
    );
    w.elbv2Calls.length = 0;

    w.clock.advance(5_000);
    await inspect(
      w.changeEvent('ModifyRule', { ruleArn: w.shop.ruleArns['path:/checkout/'] }),
      w.inspectDeps(),
    );
    const confirmed = await w.tick();
    const inspection = confirmed.kind === 'inspected' ? confirmed.services[0] : undefined;
    expect(inspection?.diagnosis.lbFault).toBe(true);
    const request = w.invoker.requests[0] as RemediateRequest;
    expect((await w.remediate(request)).outcome).toBe('resolved');
    expect(await w.liveHash()).toBe(lastGood);
    expect(w.elbv2Writes().sort()).toEqual(['ModifyRule', 'RegisterTargets']);
  });
});
