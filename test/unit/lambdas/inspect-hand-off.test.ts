import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../../lambdas/adapters/state-store/ports.ts';
import { inspect } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { InspectEventSchema } from '../../../lambdas/runtime/events.ts';
import { AwsApiError } from '../../../lib/errors.ts';
import { listenerArn, outageCurrent, outageLastGood } from '../fixtures/topologies.ts';
import { tick, type World } from './outage.ts';
import { scheduled, world } from './world.ts';

// On decisive evidence the inspection that sees the outage is the one that hands it to remediate;
// the secondary writes of that inspection (probe-change notifications, the soak) go beside the
// hand-off, never in front of it, and a failure of theirs still fails the run for Lambda to retry.

/** The store with some methods replaced; the rest are the store's own. */
function withFaults(store: StateStore, faults: Partial<StateStore>): StateStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      const fault = (faults as Record<PropertyKey, unknown>)[key];
      if (fault !== undefined) return fault;
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Fails after `ms`, as a refused AWS call named `operation`. */
function refused(operation: string, ms = 0): () => Promise<never> {
  return () =>
    new Promise((_, reject) =>
      setTimeout(() => reject(new AwsApiError(operation, { cause: new Error('refused') })), ms),
    );
}

/** Last known good promoted, then the seed outage live and the site failing: one probe run later. */
async function outageAboutToBeSeen(): Promise<World> {
  const w = world(outageLastGood());
  await tick(w, 0);
  await tick(w, 121_000);
  w.lb.snapshot = outageCurrent();
  w.prober.answer = () => ({ ok: false, status: 503 });
  w.clock.advance(60_000);
  await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
  return w;
}

/** A promise the test lets go of, and whether something is waiting on it. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Lets pending promise callbacks and zero-delay work run. */
async function settle(rounds = 100): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise(setImmediate);
}

function inspectWith(w: World, store: StateStore) {
  return inspect(InspectEventSchema.parse(scheduled), { ...w.inspectDeps, store });
}

describe('the hand-off to remediate and the secondary writes', () => {
  it('hands the outage over while the probe-change notifications are still under way', async () => {
    const w = await outageAboutToBeSeen();
    const held = gate();
    const store = withFaults(w.store, {
      getProbeHysteresis: async (service) => {
        await held.opened;
        return w.store.getProbeHysteresis(service);
      },
    });
    let settled = false;
    const run = inspectWith(w, store).finally(() => {
      settled = true;
    });
    await settle();
    expect(w.invoker.requests).toHaveLength(1);
    expect(settled).toBe(false);
    held.open();
    await expect(run).resolves.toMatchObject({ services: [{ incidentState: 'confirmed' }] });
  });

  it('hands the outage over when the probe-change notifications fail, and the run still fails naming them', async () => {
    const w = await outageAboutToBeSeen();
    const store = withFaults(w.store, { getProbeHysteresis: refused('GetItem') });
    await expect(inspectWith(w, store)).rejects.toMatchObject({ name: 'AwsApiError', operation: 'GetItem' });
    expect(w.invoker.requests).toHaveLength(1);
    expect((await w.store.getOpenIncident('shop'))?.state).toBe('confirmed');
  });

  it('hands the outage over when clearing the soak fails, and the run still fails naming it', async () => {
    const w = await outageAboutToBeSeen();
    // Promotion leaves its soak marker; the outage clears it.
    expect(await w.store.getSoak('shop')).toBeDefined();
    const store = withFaults(w.store, { clearSoak: refused('DeleteItem') });
    await expect(inspectWith(w, store)).rejects.toMatchObject({ operation: 'DeleteItem' });
    expect(w.invoker.requests).toHaveLength(1);
  });

  it('hands the outage over when the snapshot write fails, and the run still fails naming it', async () => {
    const w = await outageAboutToBeSeen();
    const store = withFaults(w.store, { putSnapshot: refused('PutItem') });
    await expect(inspectWith(w, store)).rejects.toMatchObject({ operation: 'PutItem' });
    expect(w.invoker.requests).toHaveLength(1);
  });

  it('neither the snapshot, the probe-change notifications nor the soak wait for the incident write', async () => {
    const w = await outageAboutToBeSeen();
    const held = gate();
    const done: string[] = [];
    const store = withFaults(w.store, {
      putIncident: async (incident, options) => {
        await held.opened;
        return w.store.putIncident(incident, options);
      },
      putProbeHysteresis: async (service, states, version) => {
        const out = await w.store.putProbeHysteresis(service, states, version);
        done.push('probe hysteresis');
        return out;
      },
      clearSoak: async (service) => {
        await w.store.clearSoak(service);
        done.push('soak cleared');
      },
      putSnapshot: async (service, stored) => {
        await w.store.putSnapshot(service, stored);
        done.push('snapshot');
      },
    });
    // The failed probe run moves the stored probe hysteresis: it is written back.
    const run = inspectWith(w, store);
    await settle();
    expect(done.sort()).toEqual(['probe hysteresis', 'snapshot', 'soak cleared']);
    expect(w.invoker.requests).toHaveLength(0);
    held.open();
    await run;
    expect(w.invoker.requests).toHaveLength(1);
  });

  it.each([
    { first: 'the secondary writes fail first', incidentMs: 15, probesMs: 0 },
    { first: 'the incident write fails first', incidentMs: 0, probesMs: 15 },
  ])(
    'names the incident write when it, the snapshot write and the probe notifications all fail ($first)',
    async ({ incidentMs, probesMs }) => {
      const w = await outageAboutToBeSeen();
      const store = withFaults(w.store, {
        putIncident: refused('TransactWriteItems', incidentMs),
        putSnapshot: refused('PutItem', probesMs),
        getProbeHysteresis: refused('GetItem', probesMs),
      });
      await expect(inspectWith(w, store)).rejects.toMatchObject({ operation: 'TransactWriteItems' });
      expect(w.invoker.requests).toHaveLength(0);
    },
  );
});

describe('observing with the evidence read beside the load balancer', () => {
  it('reads the probe results while the load balancer is being read', async () => {
    const w = await outageAboutToBeSeen();
    const held = gate();
    let probesRead = false;
    const store = withFaults(w.store, {
      recentProbeResults: async (service, since) => {
        probesRead = true;
        return w.store.recentProbeResults(service, since);
      },
    });
    const reader = w.inspectDeps.reader;
    const run = inspect(InspectEventSchema.parse(scheduled), {
      ...w.inspectDeps,
      store,
      reader: {
        readSnapshot: async (...args: Parameters<typeof reader.readSnapshot>) => {
          await held.opened;
          return reader.readSnapshot(...args);
        },
        describeTargetGroups: (...args: Parameters<typeof reader.describeTargetGroups>) =>
          reader.describeTargetGroups(...args),
      },
    });
    await settle();
    expect(probesRead).toBe(true);
    held.open();
    await expect(run).resolves.toMatchObject({ kind: 'inspected' });
  });

  it.each([
    { first: 'the evidence read fails first', stateMs: 15, evidenceMs: 0 },
    { first: 'the stored state read fails first', stateMs: 0, evidenceMs: 15 },
  ])(
    'names the stored state read when it and an evidence read both fail ($first)',
    async ({ stateMs, evidenceMs }) => {
      const w = await outageAboutToBeSeen();
      const store = withFaults(w.store, {
        getLastGood: refused('GetItem', stateMs),
        recentProbeResults: refused('Query', evidenceMs),
      });
      await expect(inspectWith(w, store)).rejects.toMatchObject({ operation: 'GetItem' });
      expect(w.invoker.requests).toHaveLength(0);
    },
  );
});

describe('recording the change that woke inspect', () => {
  /** The deployment's ModifyListener, as EventBridge delivers it from CloudTrail. */
  const modifyListener = {
    ...scheduled,
    source: 'aws.elasticloadbalancing',
    'detail-type': 'AWS API Call via CloudTrail',
    resources: [],
    detail: {
      eventSource: 'elasticloadbalancing.amazonaws.com',
      eventName: 'ModifyListener',
      eventTime: '2026-11-02T14:02:11Z',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/deploy-pipeline/build-42',
        sessionContext: { sessionIssuer: { userName: 'deploy-pipeline' } },
      },
      requestParameters: { listenerArn: listenerArn(80) },
    },
  };

  it('reads the load balancer while the change is written, and the change window only after it', async () => {
    const w = await outageAboutToBeSeen();
    const held = gate();
    const calls: string[] = [];
    const store = withFaults(w.store, {
      putConfigChange: async (service, change) => {
        await held.opened;
        calls.push('change written');
        return w.store.putConfigChange(service, change);
      },
      recentConfigChanges: async (service, since) => {
        calls.push('changes read');
        return w.store.recentConfigChanges(service, since);
      },
      getLastGood: async (service) => {
        calls.push('last good read');
        return w.store.getLastGood(service);
      },
    });
    const run = inspect(InspectEventSchema.parse(modifyListener), { ...w.inspectDeps, store });
    await settle();
    expect(calls).toEqual(['last good read']);
    held.open();
    const out = await run;
    expect(calls).toEqual(['last good read', 'change written', 'changes read']);
    // The inspection woken by the change sees it.
    expect(out).toMatchObject({
      services: [{ diagnosis: { summary: expect.stringMatching(/ModifyListener/) } }],
    });
    expect(w.invoker.requests).toHaveLength(1);
  });

  it('reads the incident while the load balancer is read; a scheduled cycle reads it after', async () => {
    const w = await outageAboutToBeSeen();
    const held = gate();
    let incidentRead = false;
    const store = withFaults(w.store, {
      getOpenIncident: async (service) => {
        incidentRead = true;
        return w.store.getOpenIncident(service);
      },
    });
    const reader = w.inspectDeps.reader;
    const deps = {
      ...w.inspectDeps,
      store,
      reader: {
        readSnapshot: async (...args: Parameters<typeof reader.readSnapshot>) => {
          await held.opened;
          return reader.readSnapshot(...args);
        },
        describeTargetGroups: (...args: Parameters<typeof reader.describeTargetGroups>) =>
          reader.describeTargetGroups(...args),
      },
    };
    const scheduledRun = inspect(InspectEventSchema.parse(scheduled), deps);
    await settle();
    expect(incidentRead).toBe(false);
    held.open();
    await scheduledRun;
    incidentRead = false;
    const blocked = gate();
    const eventRun = inspect(InspectEventSchema.parse(modifyListener), {
      ...deps,
      reader: {
        ...deps.reader,
        readSnapshot: async (...args: Parameters<typeof reader.readSnapshot>) => {
          await blocked.opened;
          return reader.readSnapshot(...args);
        },
      },
    });
    await settle();
    expect(incidentRead).toBe(true);
    blocked.open();
    await expect(eventRun).resolves.toMatchObject({ kind: 'inspected' });
  });

  it('names a failed observation before a failed incident read, whichever failed first', async () => {
    const w = await outageAboutToBeSeen();
    const store = withFaults(w.store, {
      recentProbeResults: refused('Query', 15),
      getOpenIncident: refused('GetItem', 0),
    });
    await expect(
      inspect(InspectEventSchema.parse(modifyListener), { ...w.inspectDeps, store }),
    ).rejects.toMatchObject({ operation: 'Query' });
    expect(w.invoker.requests).toHaveLength(0);
  });

  it.each([
    { first: 'the read fails first', changeMs: 15, readMs: 0 },
    { first: 'the change write fails first', changeMs: 0, readMs: 15 },
  ])(
    'names the change write when it and a read both fail, and moves nothing ($first)',
    async ({ changeMs, readMs }) => {
      const w = await outageAboutToBeSeen();
      const store = withFaults(w.store, {
        putConfigChange: refused('PutItem', changeMs),
        getLastGood: refused('GetItem', readMs),
      });
      await expect(
        inspect(InspectEventSchema.parse(modifyListener), { ...w.inspectDeps, store }),
      ).rejects.toMatchObject({ operation: 'PutItem' });
      expect(w.invoker.requests).toHaveLength(0);
      expect(await w.store.getOpenIncident('shop')).toBeUndefined();
    },
  );
});
