import { describe, expect, it } from 'vitest';
import { inspect } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { remediate } from '../../../lambdas/flows/remediate.ts';
import { InspectEventSchema } from '../../../lambdas/runtime/events.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import type { LbSnapshot } from '../../../lib/types.ts';
import { OTHER_LB_ARN } from '../fixtures/attachments.ts';
import { forward, outageCurrent, outageLastGood, targetGroup, tgArn } from '../fixtures/topologies.ts';
import { scheduled, world } from './world.ts';

// Issue 14: a last known good tampered with where it is stored must not make lbguard write into
// another load balancer's target group. Billing's group lives in the same account and serves
// billing's load balancer; the forged record adds it to the default action, with one of ours.
const billing = targetGroup('billing', ['i-0b1:80']);

function forged(): LbSnapshot {
  const good = outageLastGood();
  return {
    ...good,
    listeners: good.listeners.map((l) => ({
      ...l,
      defaultActions: [forward([tgArn('web-a'), 50], [tgArn('web-b'), 25], [billing.arn, 25])],
    })),
    targetGroups: [...good.targetGroups, targetGroup('billing', ['i-0b1:80', 'i-0a:80'])],
  };
}

type World = ReturnType<typeof world>;

function billingNextDoor(): World {
  const w = world(outageLastGood());
  // Found by ARN, as readServiceState finds every group last known good names.
  w.lb.detached.set(billing.arn, billing);
  w.lb.usedElsewhere.set(billing.arn, [OTHER_LB_ARN]);
  return w;
}

async function tick(w: World, advanceMs = 60_000) {
  w.clock.advance(advanceMs);
  await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
  const out = await inspect(InspectEventSchema.parse(scheduled), w.inspectDeps);
  if (out.kind !== 'inspected' || out.services[0] === undefined) throw new Error('nothing inspected');
  return out.services[0];
}

function forge(w: World): void {
  const record = w.store.lastGood.get('shop');
  if (record === undefined) throw new Error('nothing promoted');
  w.store.lastGood.set('shop', { ...record, snapshot: forged() });
}

function outage(w: World): void {
  w.lb.snapshot = outageCurrent();
  w.prober.answer = () =>
    hashSnapshot(w.lb.snapshot) === hashSnapshot(outageLastGood())
      ? { ok: true, status: 200 }
      : { ok: false, status: 503 };
}

describe("a forged last known good reaching into another load balancer's group", () => {
  it('is refused by inspect, which says so and hands nothing to remediate', async () => {
    const w = billingNextDoor();
    await tick(w, 0);
    await tick(w, 121_000);
    forge(w);
    outage(w);
    await tick(w);
    const second = await tick(w);
    expect(second.diagnosis.evidence.join('\n')).toMatch(
      /plan rejected \(foreign-target-group\): RegisterTargets billing: i-0a:80: registers targets in target group billing, which load balancer app\/billing\/7f3a9c1e0b2d4e6f uses/,
    );
    expect(w.invoker.requests).toEqual([]);
    expect(w.lb.writes).toEqual([]);
  });

  it('is refused by remediate re-planning under the lock, which writes nothing', async () => {
    const w = billingNextDoor();
    await tick(w, 0);
    await tick(w, 121_000);
    outage(w);
    await tick(w);
    await tick(w);
    const request = w.invoker.requests[0];
    if (request === undefined) throw new Error('inspect did not request remediation');
    forge(w);
    const out = await remediate(request, w.remediateDeps());
    expect(out).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(
        /plan rejected under the lock \(foreign-target-group\): RegisterTargets billing/,
      ),
    });
    expect(w.lb.writes).toEqual([]);
  });
});
