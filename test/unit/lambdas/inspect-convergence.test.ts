import { describe, expect, it } from 'vitest';
import { inspect, type ServiceInspection } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { InspectEventSchema } from '../../../lambdas/runtime/events.ts';
import { forward, listener, outageLastGood, snapshot, targetGroup, tgArn } from '../fixtures/topologies.ts';
import { scheduled, serviceConfig, world } from './world.ts';

const BEFORE = { 'i-0a': 10, 'i-0b': 10, 'i-0c': 10, 'i-0d': 10 };
const AFTER = { 'i-0a': 10, 'i-0b': 10, 'i-0e': 10, 'i-0f': 10 };

/** A deploy that replaces web-b's two instances: benign, as auto scaling does it. */
function churned() {
  const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
  const webB = targetGroup('web-b', ['i-0e:80', 'i-0f:80']);
  return snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]);
}

/** The shop with served-by sampling, last known good promoted, then the deploy written at `writtenAt`. */
async function deployed() {
  const w = world(
    outageLastGood(),
    serviceConfig({
      servedByHeader: 'X-Served-By',
      probes: [
        { name: 'home', url: 'http://127.0.0.1:9/health', servedBySample: { requests: 40, concurrency: 5 } },
      ],
      remediation: { mode: 'auto', verifyDeadlineSeconds: 120 },
    }),
  );
  w.prober.servedBy = BEFORE;
  await probeAndInspect(w, 0);
  await probeAndInspect(w, 121_000);
  w.clock.advance(10_000);
  w.lb.snapshot = churned();
  const writtenAt = w.clock.now().toISOString();
  await w.store.putConfigChange('shop', {
    eventName: 'RegisterTargets',
    principal: 'role deploy-pipeline',
    at: writtenAt,
    resources: [tgArn('web-b')],
  });
  return { w, writtenAt };
}

async function probeAndInspect(w: ReturnType<typeof world>, advanceMs: number): Promise<ServiceInspection> {
  w.clock.advance(advanceMs);
  await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
  const out = await inspect(InspectEventSchema.parse(scheduled), w.inspectDeps);
  if (out.kind !== 'inspected' || out.services[0] === undefined)
    throw new Error(`not inspected: ${out.kind}`);
  return out.services[0];
}

describe("inspect judges a deployment's write by the traffic it observes", () => {
  it('finds the deploy converged once bursts follow it, with its lag as evidence and metric', async () => {
    const { w } = await deployed();
    // First burst 20 s after the write: old targets still answer.
    w.clock.advance(20_000);
    await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
    w.prober.servedBy = AFTER;
    const seen = await probeAndInspect(w, 20_000);
    expect(seen.diagnosis.cause).toBe('healthy');
    expect(seen.diagnosis.evidence.join('\n')).toMatch(
      /observed shares match the configuration since .*, 40 s after the write/,
    );
    expect(w.metrics.values('shop', 'PropagationLag')).toEqual([40_000]);
    // Published once, not every cycle.
    await probeAndInspect(w, 60_000);
    expect(w.metrics.values('shop', 'PropagationLag')).toEqual([40_000]);
  });

  it('gives a write its deadline, then names the data plane that did not follow and never resolves it', async () => {
    const { w, writtenAt } = await deployed();
    const early = await probeAndInspect(w, 60_000);
    // Old targets still answer, inside the deadline: the write is given its time, and said to be.
    expect(early.diagnosis.cause).toBe('healthy');
    expect(early.diagnosis.evidence.join('\n')).toMatch(
      /not yet serving the configured shares; converging since the write/,
    );
    const late = await probeAndInspect(w, 60_000);
    expect(late.diagnosis).toMatchObject({
      cause: 'data-plane-not-following',
      remediable: false,
      lbFault: true,
    });
    expect(late.diagnosis.summary).toMatch(
      /data plane is not following the configuration after RegisterTargets/,
    );
    expect(late.diagnosis.evidence.join('\n')).toContain(`written at ${writtenAt}`);
    expect(late.diagnosis.evidence.join('\n')).toMatch(
      /answered by targets the configuration no longer registers/,
    );
    // Observed shares are a noisy signal: they keep their hysteresis (two breaches), then page.
    expect(late.incidentState).toBe('suspected');
    const confirmed = await probeAndInspect(w, 60_000);
    expect(confirmed).toMatchObject({
      incidentState: 'escalated',
      diagnosis: { cause: 'data-plane-not-following' },
    });
    expect(w.lb.writes).toEqual([]);
    expect(w.metrics.values('shop', 'PropagationLag')).toEqual([]);
    for (let i = 0; i < 8; i++) {
      const later = await probeAndInspect(w, 60_000);
      expect(later.incidentState).toBe('escalated');
    }
  });
});
