import { describe, expect, it } from 'vitest';
import { remediate as run } from '../../../lambdas/flows/remediate.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import { outageLastGood } from '../fixtures/topologies.ts';
import { confirmedOutage, tick } from './outage.ts';
import { serviceConfig, world } from './world.ts';

const SPREAD = { 'i-0a': 10, 'i-0b': 10, 'i-0c': 10, 'i-0d': 10 };
const ALL_ON_ONE = { 'i-0a': 40 };

/** A shop whose site names the answering target; its data plane follows writes `lagMs` late, or never. */
function laggingWorld(lagMs: number) {
  const w = world(
    outageLastGood(),
    serviceConfig({
      servedByHeader: 'X-Served-By',
      probes: [
        {
          name: 'home',
          url: 'http://127.0.0.1:9/health',
          servedBySample: { requests: 40, concurrency: 5 },
        },
      ],
    }),
  );
  let writtenAt: number | undefined;
  w.lb.beforeWrite = () => {
    writtenAt ??= w.clock.now().getTime();
  };
  // Before lbguard writes, traffic is where the configuration sends it; after, it follows only
  // once the lag has passed.
  Object.defineProperty(w.prober, 'servedBy', {
    get: () => {
      const restored = hashSnapshot(w.lb.snapshot) === hashSnapshot(outageLastGood());
      if (writtenAt === undefined) return restored ? SPREAD : ALL_ON_ONE;
      return w.clock.now().getTime() - writtenAt >= lagMs ? SPREAD : ALL_ON_ONE;
    },
  });
  return w;
}

describe('remediate verifies by observing the data plane', () => {
  it('waits for the traffic to move, then resolves with the propagation lag as evidence and metric', async () => {
    const w = laggingWorld(25_000);
    const request = await confirmedOutage(w);
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'resolved', propagationLagSeconds: 30 });
    const incident = w.store.incidents.get(`shop|${request.incidentId}`);
    const verified = incident?.timeline.at(-1);
    expect(verified?.to).toBe('resolved');
    // Looks every 10 s: concentrated at 0, 10 and 20 s, spread from 30 s.
    expect(verified?.evidence.join('\n')).toMatch(
      /observed shares match the configuration since .*, 30 s after the write at .* \(propagation lag\)/,
    );
    expect(w.metrics.values('shop', 'PropagationLag')).toEqual([30_000]);
  });

  it('measures the lag from the write the API accepted, not from when the incident recorded it', async () => {
    const w = laggingWorld(20_000);
    const request = await confirmedOutage(w);
    let wroteAt: string | undefined;
    const before = w.lb.beforeWrite;
    w.lb.beforeWrite = (step, index) => {
      before(step, index);
      wroteAt ??= w.clock.now().toISOString();
    };
    // Recording each transition takes time after the write (a slow table, a busy moto).
    const put = w.store.putIncident.bind(w.store);
    w.store.putIncident = async (...args: Parameters<typeof put>) => {
      if (wroteAt !== undefined) w.clock.advance(4_000);
      return put(...args);
    };
    const out = await run(request, w.remediateDeps());
    // Looks 4 s after the write and every 10 s on: spread first at 24 s, 20 s being the truth.
    expect(out).toMatchObject({ outcome: 'resolved', propagationLagSeconds: 24 });
    const evidence = w.store.incidents.get(`shop|${request.incidentId}`)?.timeline.at(-1)?.evidence;
    expect(evidence?.join('\n')).toContain(`24 s after the write at ${wroteAt}`);
  });

  it('never resolves a data plane that does not follow: it escalates with its own cause and what to do', async () => {
    const w = laggingWorld(Number.POSITIVE_INFINITY);
    const request = await confirmedOutage(w);
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'verification-failed', cause: 'data-plane-not-following' });
    // The configuration did converge: the API took the plan.
    expect(hashSnapshot(w.lb.snapshot)).toBe(hashSnapshot(outageLastGood()));
    const incident = w.store.incidents.get(`shop|${request.incidentId}`);
    expect(incident?.state).toBe('escalated');
    expect(incident?.diagnosis?.cause).toBe('data-plane-not-following');
    expect(w.metrics.values('shop', 'PropagationLag')).toEqual([]);
    const page = w.notifier.sent.at(-1);
    const text = JSON.stringify(page);
    expect(text).toMatch(/data plane is not following the configuration/i);
    expect(text).toMatch(/written at .*: register/i);
    expect(text).toMatch(/i-0a:80 received 100% of 40 requests \(expected 25%\)/);
    expect(text).toMatch(/What to do: keep the targets the data plane still serves/);

    // Inspect keeps seeing the traffic on one target: the incident stays open.
    await tick(w);
    await tick(w);
    const later = w.store.incidents.get(`shop|${request.incidentId}`);
    expect(later?.state).toBe('escalated');
    expect(later?.timeline.some((e) => e.to === 'resolved')).toBe(false);
  });

  it('escalates a data plane stuck on half the targets (15/15/0/0 of 30), and inspect never closes it as recovered', async () => {
    const w = laggingWorld(Number.POSITIVE_INFINITY);
    // The canary's routing: web-a's two targets take everything, web-b's two nothing.
    const spreadBeforeTheCanary = () =>
      w.lb.writes.length === 0 && hashSnapshot(w.lb.snapshot) === hashSnapshot(outageLastGood());
    Object.defineProperty(w.prober, 'servedBy', {
      get: () => (spreadBeforeTheCanary() ? SPREAD : { 'i-0a': 15, 'i-0b': 15 }),
    });
    const request = await confirmedOutage(w);
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'verification-failed', cause: 'data-plane-not-following' });
    for (let i = 0; i < 8; i++) await tick(w);
    const incident = w.store.incidents.get(`shop|${request.incidentId}`);
    expect(incident?.state).toBe('escalated');
    expect(incident?.timeline.some((e) => e.to === 'resolved')).toBe(false);
    expect(incident?.diagnosis?.cause).toBe('data-plane-not-following');
  });

  it('verifies on configuration and probes alone when the served-by values name no target, and says so', async () => {
    const w = world(outageLastGood(), serviceConfig({ servedByHeader: 'X-Served-By' }));
    // The fake site answers web-1/web-2: application names, not target ids.
    const request = await confirmedOutage(w);
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'resolved' });
    const incident = w.store.incidents.get(`shop|${request.incidentId}`);
    expect(incident?.timeline.at(-1)?.evidence.join('\n')).toMatch(
      /data plane: not observed since the write .*verified on configuration and probes only/,
    );
  });
});
