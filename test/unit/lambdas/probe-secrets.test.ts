// Issue 14, finding 6, in the flows: probe sends the secret's value (read at run time, never
// stored); a secret it cannot read fails the invocation, not the site; remediate, which may not read
// secrets, judges such a probe on the probe function's own results since the plan was applied.
import { describe, expect, it } from 'vitest';
import { inspect } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { remediate as run } from '../../../lambdas/flows/remediate.ts';
import { InspectEventSchema, type RemediateRequest } from '../../../lambdas/runtime/events.ts';
import { referenceKey } from '../../../lib/config/index.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import { NO_REPORT_YET } from '../../../lib/verification.ts';
import { outageCurrent, outageLastGood } from '../fixtures/topologies.ts';
import { scheduled, serviceConfig, world } from './world.ts';

const TOKEN = { secret: 'shop/probe-token', jsonKey: 'token' } as const;
const API_KEY = { parameter: '/shop/probe/api-key' } as const;
const TOKEN_VALUE = 'Bearer s3cr3t-token-value';
const KEY_VALUE = 'k3y-value';

/** Two probes: `home` plain, `account` behind a login that needs a token and an API key. */
function config() {
  return serviceConfig({
    probes: [
      { name: 'home', url: 'http://127.0.0.1:9/health' },
      {
        name: 'account',
        url: 'http://127.0.0.1:9/account',
        method: 'POST',
        headers: { Authorization: TOKEN, Accept: 'application/json' },
        body: API_KEY,
      },
    ],
  });
}

function secretWorld() {
  const w = world(outageLastGood(), config());
  w.secrets.values.set(referenceKey(TOKEN), TOKEN_VALUE);
  w.secrets.values.set(referenceKey(API_KEY), KEY_VALUE);
  const sent: { probe: string; headers: Record<string, string>; body?: string }[] = [];
  w.prober.answer = (p) => {
    const step = p.steps[0];
    sent.push({
      probe: p.name,
      headers: { ...step?.headers },
      ...(step?.body === undefined ? {} : { body: step.body }),
    });
    return { ok: true, status: 200 };
  };
  return { w, sent };
}

describe('probe with secret references', () => {
  it("sends the secrets' values, and stores and logs none of them", async () => {
    const { w, sent } = secretWorld();
    const out = await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
    expect(out).toMatchObject({ kind: 'probed', services: [{ service: 'shop', runs: 2, failed: 0 }] });
    expect(sent.find((s) => s.probe === 'account')).toEqual({
      probe: 'account',
      headers: { Authorization: TOKEN_VALUE, Accept: 'application/json' },
      body: KEY_VALUE,
    });
    const kept = JSON.stringify({
      results: [...w.store.probes.values()],
      logs: w.logger.lines,
      metrics: w.metrics.records,
      notifications: w.notifier.sent,
    });
    expect(kept).not.toContain('s3cr3t');
    expect(kept).not.toContain(KEY_VALUE);
  });

  it('fails the invocation naming the secret it could not read, never probing without it', async () => {
    const { w, sent } = secretWorld();
    w.secrets.values.delete(referenceKey(API_KEY));
    await expect(probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps)).rejects.toThrow(
      /cannot read SSM parameter \/shop\/probe\/api-key: AccessDeniedException/,
    );
    expect(sent).toEqual([]);
    expect([...w.store.probes.values()].flat()).toEqual([]);
  });
});

describe('remediate verifying a probe it may not run', () => {
  async function confirmedOutage(w: ReturnType<typeof secretWorld>['w']): Promise<RemediateRequest> {
    const tick = async (ms: number) => {
      w.clock.advance(ms);
      await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
      return inspect(InspectEventSchema.parse(scheduled), w.inspectDeps);
    };
    await tick(0);
    await tick(121_000);
    w.lb.snapshot = outageCurrent();
    w.prober.answer = () =>
      hashSnapshot(w.lb.snapshot) === hashSnapshot(outageLastGood())
        ? { ok: true, status: 200 }
        : { ok: false, status: 503 };
    await tick(60_000);
    await tick(60_000);
    const request = w.invoker.requests[0];
    if (!request) throw new Error('inspect did not request remediation');
    return request;
  }

  it("runs only the probes without secrets itself, and waits for the probe function's report on the other", async () => {
    const { w } = secretWorld();
    const request = await confirmedOutage(w);
    // The probe function keeps probing on its schedule: it reports the account probe green after
    // remediate has applied the plan (the fake sleep is the probe function's interval).
    const sleep = w.clock.sleep;
    const byRemediate: string[] = [];
    const deps = {
      ...w.remediateDeps(),
      prober: {
        run: (service: string, p: Parameters<typeof w.prober.run>[1]) => {
          byRemediate.push(p.name);
          return w.prober.run(service, p);
        },
        sampleServedBy: w.prober.sampleServedBy.bind(w.prober),
      },
      sleep: async (ms: number) => {
        await sleep(ms);
        await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
      },
    };
    const out = await run(request, deps);
    expect(out.outcome).toBe('resolved');
    // Remediate ran the plain probe itself, each poll, and never the one that sends secrets.
    expect(byRemediate.length).toBeGreaterThan(0);
    expect(new Set(byRemediate)).toEqual(new Set(['home']));
    expect(hashSnapshot(w.lb.snapshot)).toBe(hashSnapshot(outageLastGood()));
  });

  it('does not call it recovered on a report from before the plan was applied', async () => {
    const { w } = secretWorld();
    const request = await confirmedOutage(w);
    // No probe function runs during verification: only reports from before the apply exist.
    const out = await run(request, w.remediateDeps());
    expect(out.outcome).toBe('verification-failed');
    if (out.outcome === 'verification-failed') {
      expect(out.evidence).toContain(`probe account: failed at account: ${NO_REPORT_YET}`);
      expect(out.evidence.some((line) => /^probe home: ok/.test(line))).toBe(true);
    }
  });
});
