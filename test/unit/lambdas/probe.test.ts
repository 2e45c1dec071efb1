import { describe, expect, it } from 'vitest';
import { probeMetrics, probe as run } from '../../../lambdas/flows/probe.ts';
import { ProbeEventSchema } from '../../../lambdas/runtime/events.ts';
import type { ProbeResult } from '../../../lib/types.ts';
import { outageLastGood } from '../fixtures/topologies.ts';
import { scheduled, serviceConfig, world } from './world.ts';

const sampled = serviceConfig({
  servedByHeader: 'X-Served-By',
  probes: [
    { name: 'home', url: 'http://127.0.0.1:9/', servedBySample: { requests: 20, concurrency: 2 } },
    { name: 'checkout', steps: [{ name: 'cart', url: 'http://127.0.0.1:9/cart' }] },
  ],
});

describe('probe loop', () => {
  it('probes every interval for the loop duration of a scheduled invocation', async () => {
    const w = world(outageLastGood());
    const started = w.clock.now().getTime();
    const out = await run(ProbeEventSchema.parse(scheduled), w.probeDeps);
    // Defaults: every 10 s for 50 s → rounds at 0, 10, 20, 30, 40 s.
    expect(out).toMatchObject({ kind: 'probed', rounds: 5 });
    expect(w.clock.now().getTime() - started).toBe(40_000);
    expect(w.store.probes.get('shop')).toHaveLength(5);
    expect(w.metrics.values('shop', 'ProbeSuccess')).toEqual([1, 1, 1, 1, 1]);
  });

  it('runs once when asked for a zero-length loop', async () => {
    const w = world(outageLastGood());
    expect(await run({ kind: 'probe', loopSeconds: 0 }, w.probeDeps)).toMatchObject({ rounds: 1 });
  });

  it('stops early when the invocation has too little time left for another round', async () => {
    const w = world(outageLastGood());
    const deadline = w.clock.now().getTime() + 25_000;
    const out = await run(
      { kind: 'probe', loopSeconds: 50 },
      { ...w.probeDeps, remainingTimeMs: () => deadline - w.clock.now().getTime() },
    );
    // A round needs the probe timeout (5 s) plus 1 s; at 20 s only 5 s would be left.
    expect(out).toMatchObject({ rounds: 2 });
  });

  it('probes only the service named in the event and reports an unknown one', async () => {
    const w = world(outageLastGood());
    expect(await run({ kind: 'probe', service: 'nope' }, w.probeDeps)).toEqual({
      kind: 'unknown-service',
      service: 'nope',
    });
    expect(w.prober.runs).toHaveLength(0);
    await run({ kind: 'probe', service: 'shop', loopSeconds: 0 }, w.probeDeps);
    expect(w.prober.runs).toEqual([{ service: 'shop', probe: 'home' }]);
  });

  it('takes the served-by sample once per invocation and reports its spread', async () => {
    const w = world(outageLastGood(), sampled);
    const out = await run({ kind: 'probe', loopSeconds: 20 }, w.probeDeps);
    expect(out).toMatchObject({
      rounds: 2,
      services: [{ service: 'shop', runs: 4, failed: 0, servedBySpread: 2 }],
    });
    expect(w.store.samples.get('shop')).toHaveLength(1);
    expect(w.metrics.values('shop', 'ServedBySpread')).toEqual([2]);
  });

  it('logs each failing probe with the step that failed', async () => {
    const w = world(outageLastGood());
    w.prober.answer = () => ({ ok: false, status: 503 });
    const out = await run({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
    expect(out).toMatchObject({ services: [{ failed: 1 }] });
    expect(w.logger.lines.find((l) => l.message === 'probe failed')?.extra[0]).toMatchObject({ status: 503 });
    expect(w.metrics.values('shop', 'Probe503')).toEqual([1]);
  });

  it('fails the invocation when results cannot be stored', async () => {
    const w = world(outageLastGood());
    w.store.putProbeResults = async () => {
      throw new Error('DynamoDB down');
    };
    await expect(run({ kind: 'probe', loopSeconds: 0 }, w.probeDeps)).rejects.toThrow('DynamoDB down');
  });
});

describe('probeMetrics', () => {
  const result = (ok: boolean, statuses: number[]): ProbeResult => ({
    service: 'shop',
    probe: 'p',
    at: '2026-11-02T14:00:00.000Z',
    ok,
    totalMs: 120,
    steps: statuses.map((status, i) => ({
      name: `s${i}`,
      url: 'http://x/',
      method: 'GET',
      ok,
      status,
      latencyMs: 60,
      failures: [],
    })),
  });

  it('counts success, latency and 503s for one round', () => {
    const values = probeMetrics(
      [result(true, [200, 200]), result(false, [200, 503]), result(false, [500])],
      3,
    );
    const sum = (name: string) => values.filter((v) => v.name === name).reduce((a, v) => a + v.value, 0);
    expect(sum('ProbeSuccess')).toBe(1);
    expect(values.filter((v) => v.name === 'ProbeLatency')).toHaveLength(3);
    expect(sum('Probe503')).toBe(1);
    expect(sum('ServedBySpread')).toBe(3);
  });

  it('omits the spread when no sample was taken', () => {
    expect(probeMetrics([], undefined).map((v) => v.name)).toEqual(['Probe503']);
  });
});
