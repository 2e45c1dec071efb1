import { describe, expect, it } from 'vitest';
import { inspect } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { notifyProbeChanges } from '../../../lambdas/flows/probe-notifications.ts';
import { DEFAULT_HYSTERESIS } from '../../../lib/hysteresis.ts';
import { probeNotification as probeNotificationFor } from '../../../lib/messages.ts';
import type { ProbeResult } from '../../../lib/types.ts';
import { MemoryStateStore, RecordingNotifier, SilentLog } from '../../support/lambda-fakes.ts';
import { forward, listener, snapshot, targetGroup } from '../fixtures/topologies.ts';
import { scheduled, world } from './world.ts';

const START = Date.parse('2026-11-03T14:00:00Z');

/** `'..xxx'` → one result a minute: `.` passed, `x` failed. */
function results(pattern: string, from = START, name = 'home'): ProbeResult[] {
  return [...pattern].map((c, i) => ({
    service: 'shop',
    probe: name,
    at: new Date(from + i * 60_000).toISOString(),
    ok: c === '.',
    totalMs: 10,
    steps: [],
  }));
}

function setup() {
  const store = new MemoryStateStore();
  const notifier = new RecordingNotifier();
  const deps = { store, notifier, logger: new SilentLog() };
  const send = (r: readonly ProbeResult[]) =>
    notifyProbeChanges('shop', r, DEFAULT_HYSTERESIS, r.at(-1)?.at ?? new Date(START).toISOString(), deps);
  return { store, notifier, send };
}

describe('notifyProbeChanges', () => {
  it('tells people once when a probe is declared failing, and once when it recovers', async () => {
    const { notifier, send } = setup();
    await send(results('..x'));
    expect(notifier.sent).toEqual([]);
    await send(results('..xxx'));
    await send(results('..xxx'));
    expect(notifier.sent.map((n) => n.state)).toEqual(['probe-failing']);
    expect(notifier.sent[0]?.subject).toBe('lbguard shop: probe home failing (3 failures in a row)');
    expect(notifier.sent[0]?.severity).toBe('warning');
    await send(results('..xxx...'));
    expect(notifier.sent.map((n) => n.state)).toEqual(['probe-failing', 'probe-recovered']);
  });

  it('sends one flapping message instead of a stream', async () => {
    const { notifier, send } = setup();
    // Fail three, pass three, over and over: a change every three minutes.
    await send(results('xxx...'.repeat(8)));
    const states = notifier.sent.map((n) => n.state);
    expect(states.filter((s) => s === 'probe-flapping')).toHaveLength(1);
    expect(states.length).toBeLessThanOrEqual(DEFAULT_HYSTERESIS.maxChangesPerHour);
    expect(states.at(-1)).toBe('probe-flapping');
  });

  it('sends nothing when another run advanced the states first', async () => {
    const { store, notifier, send } = setup();
    const original = store.putProbeHysteresis.bind(store);
    store.putProbeHysteresis = async (service, states, expect) => {
      await original(service, {}, expect);
      return original(service, states, expect);
    };
    await send(results('xxx'));
    expect(notifier.sent).toEqual([]);
  });

  it('hands the claim back when SNS fails, so the retry sends the message', async () => {
    const { notifier, send } = setup();
    notifier.failNext = true;
    await expect(send(results('xxx'))).rejects.toThrow(/Publish/);
    expect(notifier.sent).toEqual([]);
    await send(results('xxx'));
    expect(notifier.sent.map((n) => n.state)).toEqual(['probe-failing']);
  });

  it('says what each change means and which rule applied', () => {
    const settled = probeNotificationFor(
      'shop',
      {
        probe: 'home',
        notification: {
          kind: 'settled',
          at: '2026-11-03T16:00:00.000Z',
          status: 'passing',
          flappingSince: '2026-11-03T15:00:00.000Z',
        },
      },
      DEFAULT_HYSTERESIS,
    );
    expect(settled.state).toBe('probe-settled');
    expect(settled.lines.join(' ')).toMatch(/flapping since 2026-11-03T15:00:00.000Z, settled passing/);
    expect(settled.lines.join(' ')).toMatch(/failing after 3 failures in a row or 5 of the last 10/);
  });
});

describe('inspect sends probe hysteresis notifications', () => {
  it('after the third failed probe run, once, whatever the load balancer', async () => {
    const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
    const w = world(snapshot([listener(80, [forward([a, 1])])], [a]));
    w.prober.answer = () => ({ ok: false, status: 500 });
    const cycle = async () => {
      w.clock.advance(60_000);
      await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
      await inspect(scheduled, w.inspectDeps);
    };
    await cycle();
    await cycle();
    expect(w.notifier.sent.filter((n) => n.state.startsWith('probe-'))).toEqual([]);
    await cycle();
    await cycle();
    const probeMessages = w.notifier.sent.filter((n) => n.state.startsWith('probe-'));
    expect(probeMessages.map((n) => n.subject)).toEqual([
      'lbguard shop: probe home failing (3 failures in a row)',
    ]);
  });

  it('sends them beside the incident, so SNS refusing one never holds the incident back', async () => {
    const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
    const w = world(snapshot([listener(80, [forward([a, 1])])], [a]));
    w.prober.answer = () => ({ ok: false, status: 500 });
    const deps = {
      ...w.inspectDeps,
      notifier: {
        notify: async (n: Parameters<typeof w.notifier.notify>[0]) => {
          if (n.state.startsWith('probe-')) throw new Error('SNS refused');
          return w.notifier.notify(n);
        },
      },
    };
    let refused = 0;
    for (let cycle = 0; cycle < 4; cycle++) {
      w.clock.advance(60_000);
      await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
      await inspect(scheduled, deps).catch(() => refused++);
    }
    expect(refused).toBeGreaterThan(0);
    expect(await w.store.getOpenIncident('shop')).toBeDefined();
  });
});
