import { DescribeListenersCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runningChildren } from '../../drill/world/children.ts';
import { summarise } from '../../drill/world/loadgen.ts';
import { sleep, waitFor } from '../../drill/world/net.ts';
import { startWorld, type World } from '../../drill/world/world.ts';

// Issue 16's data plane on the drill world: HAProxy follows moto late (an apply delay) or not at
// all (stuck), while moto — the API — reports the new configuration at once. Real moto, real
// HAProxy, real backends; the shop's four servers, web-a and web-b two each.

let world: World;

async function forward(a: number, b: number): Promise<void> {
  const webA = world.control.targetGroups['web-a'];
  const webB = world.control.targetGroups['web-b'];
  if (!webA || !webB) throw new Error('shop lacks web-a/web-b');
  await world.clients.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: world.control.listenerArn,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: webA.arn, Weight: a },
              { TargetGroupArn: webB.arn, Weight: b },
            ],
          },
        },
      ],
    }),
  );
}

/** The listener's weights as the API reports them: web-a's, web-b's. */
async function apiWeights(): Promise<number[]> {
  const out = await world.clients.elbv2.send(
    new DescribeListenersCommand({ LoadBalancerArn: world.control.loadBalancerArn }),
  );
  const groups = out.Listeners?.[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups ?? [];
  const weightOf = (name: string): number | undefined =>
    groups.find((g) => g.TargetGroupArn === world.control.targetGroups[name]?.arn)?.Weight;
  return [weightOf('web-a') ?? -1, weightOf('web-b') ?? -1];
}

/** Share of a short burst of customers served by web-b's servers. */
async function webBShare(): Promise<number> {
  const run = world.load({ ratePerSecond: 100, durationMs: 600, seed: 5 });
  const summary = summarise((await run.done).records);
  const webB = new Set(
    world.control.instances.filter((i) => i.groupName === 'web-b').map((i) => i.instanceId),
  );
  const served = Object.entries(summary.byServedBy);
  const total = served.reduce((n, [, c]) => n + c, 0);
  expect(total).toBeGreaterThan(30);
  return served.filter(([id]) => webB.has(id)).reduce((n, [, c]) => n + c, 0) / total;
}

/** Resolves once a sync pass begun after now has completed. */
async function onePass(): Promise<void> {
  const settling = world.sync.passesStarted + 1;
  await waitFor(
    'a sync pass to complete',
    async () => (world.sync.lastCompletedPass >= settling ? true : undefined),
    {
      timeoutMs: 10_000,
      intervalMs: 10,
    },
  );
}

describe('the drill data plane that follows late or not at all', () => {
  beforeAll(async () => {
    world = await startWorld({ motoUrl: inject('motoUrl'), publishMetrics: false });
  });

  afterAll(async () => {
    await world?.stop();
  });

  it('keeps the old weights for the apply delay while moto reports the new ones, then follows', async () => {
    const delayMs = 1_500;
    world.sync.follow({ mode: 'delayed', delayMs });
    await onePass();
    const sent = Date.now();
    await forward(100, 0);
    expect(await apiWeights()).toEqual([100, 0]);

    // Within the delay: customers still reach web-b, and the sync applied nothing new.
    expect(await webBShare()).toBeGreaterThan(0.3);
    expect(Date.now() - sent).toBeLessThan(delayMs);
    expect(world.sync.changes.filter((c) => c.appliedAt > sent)).toEqual([]);

    const applied = await waitFor(
      'the delayed weights change to reach HAProxy',
      async () => world.sync.changes.find((c) => c.appliedAt > sent && c.kind === 'weights'),
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    const lag = applied.appliedAt - sent;
    process.stdout.write(`drill-data-plane: delay ${delayMs} ms, applied after ${lag} ms\n`);
    expect(lag).toBeGreaterThanOrEqual(delayMs);
    // The delay plus a read or two (a pass is ~30–100 ms here), not a stray second.
    expect(lag).toBeLessThan(delayMs + 1_000);
    // The change carries the time of the read that first saw it, before the delay ran.
    expect(applied.readStartedAt).toBeLessThan(sent + 1_000);
    expect(await webBShare()).toBe(0);
  }, 30_000);

  it('never applies a change while stuck, though moto reports it and the sync keeps reading', async () => {
    world.sync.follow({ mode: 'stuck' });
    const sent = Date.now();
    const passesBefore = world.sync.lastCompletedPass;
    await forward(50, 50);
    expect(await apiWeights()).toEqual([50, 50]);
    await sleep(2_500);
    expect(world.sync.lastCompletedPass).toBeGreaterThan(passesBefore + 5);
    expect(world.sync.changes.filter((c) => c.appliedAt > sent)).toEqual([]);
    expect(await webBShare()).toBe(0);

    // Released, it catches up on the next pass: the stuck state was the gate, not a broken world.
    world.sync.follow({ mode: 'follow' });
    await onePass();
    expect(world.sync.changes.some((c) => c.appliedAt > sent && c.kind === 'weights')).toBe(true);
    expect(await webBShare()).toBeGreaterThan(0.3);
  }, 30_000);

  it('refuses a negative delay, naming the field', () => {
    expect(() => world.sync.follow({ mode: 'delayed', delayMs: -1 })).toThrow(/dataPlane\.delayMs/);
  });

  it('leaves no process behind when stopped', async () => {
    await world.stop();
    expect(runningChildren()).toBe(0);
  });
});
