import { describe, expect, it, vi } from 'vitest';
import { enforceVerification, inspect as run } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { VerificationFailedError } from '../../../lambdas/flows/verify.ts';
import { InspectEventSchema } from '../../../lambdas/runtime/events.ts';
import { isMetricsTick, probeWindowMs } from '../../../lib/observation.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import {
  forward,
  listener,
  outageCurrent,
  outageLastGood,
  snapshot,
  targetGroup,
  tgArn,
} from '../fixtures/topologies.ts';
import { scheduled, serviceConfig, world } from './world.ts';

const once = { kind: 'probe' as const, loopSeconds: 0 };
/** Three probe rounds 10 s apart, as the production loop runs: enough to meet "3 in a row". */
const burst = { kind: 'probe' as const, loopSeconds: 30 };

/** Probes, then inspects on schedule; the way the two functions meet in production. */
async function tick(w: ReturnType<typeof world>, advanceMs = 60_000, probeEvent = once) {
  w.clock.advance(advanceMs);
  await probe(probeEvent, w.probeDeps);
  const out = await run(InspectEventSchema.parse(scheduled), w.inspectDeps);
  if (out.kind !== 'inspected') throw new Error(`expected an inspection, got ${out.kind}`);
  const first = out.services[0];
  if (!first) throw new Error('no service inspected');
  return first;
}

/** Promotes the live snapshot, then forgets the promotion's own message so tests see what follows. */
async function promoted(w: ReturnType<typeof world>) {
  await tick(w, 0);
  const second = await tick(w, 121_000);
  expect(second.promoted).toBe(true);
  expect(w.notifier.sent.map((n) => n.state)).toEqual(['last-good-promoted']);
  w.notifier.sent.length = 0;
}

describe('a new last known good is news', () => {
  it('tells people of the first baseline, and of every later one with its differences', async () => {
    const w = world(outageLastGood());
    await tick(w, 0);
    await tick(w, 121_000);
    const first = w.notifier.sent.at(-1);
    expect(first).toMatchObject({
      state: 'last-good-promoted',
      severity: 'info',
      lines: [
        expect.stringMatching(/^First last known good recorded: healthy for 121 s/),
        expect.any(String),
      ],
      evidence: [],
    });
    // A quiet change that soaks healthy (weights 50/50 -> 60/40) becomes the baseline only in plain sight.
    const [listener, ...rest] = w.lb.snapshot.listeners;
    if (listener === undefined) throw new Error('fixture has no listener');
    w.lb.snapshot = {
      ...w.lb.snapshot,
      listeners: [
        {
          ...listener,
          defaultActions: listener.defaultActions.map((a) =>
            a.type === 'forward'
              ? { ...a, targetGroups: a.targetGroups.map((g, i) => ({ ...g, weight: i === 0 ? 60 : 40 })) }
              : a,
          ),
        },
        ...rest,
      ],
    };
    await tick(w, 60_000);
    await tick(w, 121_000);
    const next = w.notifier.sent.at(-1);
    expect(w.notifier.sent.map((n) => n.state)).toEqual(['last-good-promoted', 'last-good-promoted']);
    expect(next?.subject).toMatch(/^lbguard shop: new last known good [0-9a-f]{12} \(1 change\)$/);
    expect(next?.lines[0]).toMatch(/^Last known good moved from [0-9a-f]{12} to [0-9a-f]{12}: healthy for/);
    expect(next?.evidence).toEqual([expect.stringMatching(/weights .*50\/50 → 60\/40/)]);
  });
});

describe('inspect on schedule', () => {
  it('promotes a snapshot to last known good only after the soak period of healthy observations', async () => {
    const w = world(outageLastGood());
    const first = await tick(w, 0);
    expect(first.promoted).toBe(false);
    expect(w.store.soaks.get('shop')?.hash).toBe(first.snapshotHash);
    const early = await tick(w, 60_000);
    expect(early.promoted).toBe(false);
    const later = await tick(w, 61_000);
    expect(later.promoted).toBe(true);
    expect(w.store.lastGood.get('shop')?.hash).toBe(hashSnapshot(outageLastGood()));
    expect(w.store.promotions.get('shop')?.[0]?.reason).toMatch(/healthy for 121 s/);
  });

  it('restarts the soak when probes fail and never promotes without probe results', async () => {
    const w = world(outageLastGood());
    await tick(w, 0);
    w.prober.answer = () => ({ ok: false, status: 500 });
    await tick(w, 60_000);
    expect(w.store.soaks.has('shop')).toBe(false);

    const silent = world(outageLastGood());
    silent.clock.advance(1000);
    await run(InspectEventSchema.parse(scheduled), silent.inspectDeps);
    expect(silent.store.soaks.has('shop')).toBe(false);
  });

  it('records a snapshot only when its hash changes', async () => {
    const w = world(outageLastGood());
    await tick(w, 0);
    await tick(w, 60_000);
    expect(w.store.snapshots.get('shop')).toHaveLength(1);
    w.lb.snapshot = outageCurrent();
    await tick(w, 60_000);
    expect(w.store.snapshots.get('shop')).toHaveLength(2);
  });

  it('confirms the outage at the first inspection, on the configuration alone, and hands a plan to remediate', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    w.lb.snapshot = outageCurrent();
    w.prober.answer = () => ({ ok: false, status: 503 });
    const first = await tick(w);
    expect(first.incidentState).toBe('confirmed');
    expect(['routing-skew', 'missing-targets']).toContain(first.diagnosis.cause);
    expect(first.diagnosis.decisive).toMatch(/reaches 1 of the 4 targets/);
    expect(w.invoker.requests).toEqual([
      {
        kind: 'remediate',
        service: 'shop',
        incidentId: first.incidentId,
        planHash: first.planHash,
        requestedAt: w.clock.now().toISOString(),
      },
    ]);
    expect(w.notifier.sent.map((n) => n.state)).toEqual(['confirmed']);
    expect(w.notifier.sent[0]?.plan?.join('\n')).toMatch(/RegisterTargets web-b/);
    expect(w.metrics.values('shop', 'DriftCount').at(-1)).toBeGreaterThan(0);
  });

  it('confirms a skew the configuration does not settle only after consecutive breaches', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    // 100/0 with every target still registered: half the reach, as often a drain as a mistake.
    const good = outageLastGood();
    w.lb.snapshot = snapshot(
      good.listeners.map((l) => ({
        ...l,
        defaultActions: [
          forward([good.targetGroups[0]?.arn ?? '', 100], [good.targetGroups[1]?.arn ?? '', 0]),
        ],
      })),
      good.targetGroups,
    );
    w.prober.answer = () => ({ ok: false, status: 503 });
    const first = await tick(w);
    expect(first.diagnosis.cause).toBe('routing-skew');
    expect(first.diagnosis.decisive).toBeUndefined();
    expect(first.incidentState).toBe('suspected');
    expect(w.notifier.sent).toHaveLength(0);
    expect(w.invoker.requests).toHaveLength(0);
    const second = await tick(w);
    expect(second.incidentState).toBe('confirmed');
    expect(w.invoker.requests).toHaveLength(1);
  });

  it('escalates when the backend fails behind balanced routing, and plans nothing', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    w.prober.answer = () => ({ ok: false, status: 500 });
    // Probe failures count only once hysteresis declares the probe failing (3 in a row).
    await tick(w, 60_000, burst);
    const second = await tick(w, 60_000, burst);
    expect(second.diagnosis.lbFault).toBe(false);
    expect(second.incidentState).toBe('escalated');
    expect(second.planHash).toBeUndefined();
    expect(w.invoker.requests).toHaveLength(0);
    expect(w.notifier.sent.map((n) => n.severity)).toContain('critical');
    expect(w.metrics.values('shop', 'IncidentEscalated')).toEqual([1]);
  });

  it('judges only probe results taken under the current routing, not those of the routing before', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    // Probes fail under the old routing; then routing changes (an intended 60/40 shift) and the
    // next inspection runs before any probe has run under the new routing.
    w.prober.answer = () => ({ ok: false, status: 503 });
    w.clock.advance(60_000);
    await probe(once, w.probeDeps);
    const before = outageLastGood();
    const [l0, ...rest] = before.listeners;
    if (!l0) throw new Error('outage fixture has a listener');
    w.lb.snapshot = {
      ...before,
      listeners: [
        {
          ...l0,
          defaultActions: l0.defaultActions.map((a) =>
            a.type === 'forward'
              ? { ...a, targetGroups: a.targetGroups.map((g, i) => ({ ...g, weight: i === 0 ? 60 : 40 })) }
              : a,
          ),
        },
        ...rest,
      ],
    };
    w.clock.advance(1_000);
    const out = await run(InspectEventSchema.parse(scheduled), w.inspectDeps);
    if (out.kind !== 'inspected') throw new Error(`expected an inspection, got ${out.kind}`);
    expect(out.services[0]?.diagnosis.cause).toBe('healthy');
    expect(out.services[0]?.incidentState).toBe('ok');
    expect(w.notifier.sent).toHaveLength(0);
  });

  it('in dry-run notifies the plan once and invokes nothing', async () => {
    const w = world(outageLastGood(), serviceConfig({ remediation: { mode: 'dry-run' } }));
    await promoted(w);
    w.lb.snapshot = outageCurrent();
    w.prober.answer = () => ({ ok: false, status: 503 });
    await tick(w);
    await tick(w);
    await tick(w);
    expect(w.invoker.requests).toHaveLength(0);
    const plans = w.notifier.sent.filter((n) => n.subject.includes('dry-run plan'));
    expect(plans).toHaveLength(1);
    expect(plans[0]?.plan?.some((l) => l.startsWith('ModifyListener'))).toBe(true);
  });

  it('says why there is no plan when last known good cannot be restored', async () => {
    const w = world(outageLastGood(), serviceConfig({ remediation: { mode: 'auto', maxSteps: 1 } }));
    await promoted(w);
    w.lb.snapshot = outageCurrent();
    w.prober.answer = () => ({ ok: false, status: 503 });
    await tick(w);
    const second = await tick(w);
    expect(second.incidentState).toBe('escalated');
    expect(second.diagnosis.evidence.join('\n')).toMatch(/plan rejected \(exceeds-max-steps\)/);
  });

  it('fetches ALB metrics once per metrics period, and at once when probes fail', () => {
    const schedule = serviceConfig().schedule;
    expect(isMetricsTick(new Date('2026-11-02T14:05:00Z'), schedule)).toBe(true);
    expect(isMetricsTick(new Date('2026-11-02T14:05:59Z'), schedule)).toBe(true);
    expect(isMetricsTick(new Date('2026-11-02T14:06:00Z'), schedule)).toBe(false);
  });

  it('reads ALB metrics when a probe fails even between metric periods', async () => {
    const w = world(outageLastGood());
    await tick(w, 90_000);
    const before = w.albMetrics.reads;
    w.prober.answer = () => ({ ok: false, status: 500 });
    await tick(w, 60_000);
    expect(w.albMetrics.reads).toBe(before + 1);
  });
});

describe('inspect on a CloudTrail event', () => {
  const change = (requestParameters: Record<string, unknown>, eventName = 'ModifyListener') =>
    InspectEventSchema.parse({
      ...scheduled,
      source: 'aws.elasticloadbalancing',
      'detail-type': 'AWS API Call via CloudTrail',
      resources: [],
      detail: {
        eventSource: 'elasticloadbalancing.amazonaws.com',
        eventName,
        eventTime: '2026-11-02T14:02:11Z',
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::123456789012:assumed-role/deploy-pipeline/build-42',
          sessionContext: { sessionIssuer: { userName: 'deploy-pipeline' } },
        },
        requestParameters,
      },
    });

  it('records who changed what and names it in the evidence', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    w.lb.snapshot = outageCurrent();
    w.prober.answer = () => ({ ok: false, status: 503 });
    await probe(once, w.probeDeps);
    const out = await run(change({ listenerArn: outageLastGood().listeners[0]?.arn }), w.inspectDeps);
    expect(out.kind).toBe('inspected');
    expect(w.store.changes.get('shop')?.[0]?.principal).toBe('role deploy-pipeline');
    if (out.kind !== 'inspected') return;
    expect(out.trigger).toBe('config-change');
    expect(out.services[0]?.diagnosis.evidence.join('\n')).toMatch(/deploy-pipeline/);
  });

  it('only records a further change while its own remediation of the attributed incident is in flight', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    w.lb.snapshot = outageCurrent();
    w.prober.answer = () => ({ ok: false, status: 503 });
    await probe(once, w.probeDeps);
    const listenerArn = outageLastGood().listeners[0]?.arn;
    const first = await run(change({ listenerArn }), w.inspectDeps);
    expect(w.invoker.requests).toHaveLength(1);
    const open = await w.store.getOpenIncident('shop');
    expect(open?.state).toBe('confirmed');
    const reads = vi.spyOn(w.lb, 'readSnapshot');
    const further = await run(change({ targetGroupArn: tgArn('web-b') }, 'DeregisterTargets'), w.inspectDeps);
    expect(reads).not.toHaveBeenCalled();
    expect(w.store.changes.get('shop')?.map((c) => c.eventName)).toContain('DeregisterTargets');
    expect(w.invoker.requests).toHaveLength(1);
    if (further.kind !== 'inspected' || first.kind !== 'inspected') throw new Error('not inspected');
    expect(further.services[0]?.recordedOnly).toMatch(/was handed off at/);
    expect(further.services[0]?.diagnosis).toEqual(open?.diagnosis);
    expect(further.services[0]?.snapshotHash).toBe(first.services[0]?.snapshotHash);
    // The scheduled cycle still observes: the schedule is the safety net for whatever the change did.
    await run(InspectEventSchema.parse(scheduled), w.inspectDeps);
    expect(reads).toHaveBeenCalled();
  });

  it('leaves the metrics tick to the scheduled cycle, and reads them when probes fail', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    // 14:05 is a metrics tick of the schedule; the scheduled cycle reads them, the event does not.
    w.clock.advance(Date.parse('2026-11-02T14:05:10Z') - w.clock.now().getTime());
    expect(isMetricsTick(w.clock.now(), serviceConfig().schedule)).toBe(true);
    const listenerArn = outageLastGood().listeners[0]?.arn;
    const before = w.albMetrics.reads;
    await run(change({ listenerArn }), w.inspectDeps);
    expect(w.albMetrics.reads).toBe(before);
    await run(InspectEventSchema.parse(scheduled), w.inspectDeps);
    expect(w.albMetrics.reads).toBe(before + 1);
    w.prober.answer = () => ({ ok: false, status: 503 });
    await probe(once, w.probeDeps);
    await run(change({ listenerArn }), w.inspectDeps);
    expect(w.albMetrics.reads).toBe(before + 2);
  });

  it('matches a target group change through the snapshots it has seen', async () => {
    const w = world(outageLastGood());
    await tick(w, 0);
    const out = await run(change({ targetGroupArn: tgArn('web-b') }, 'DeregisterTargets'), w.inspectDeps);
    expect(out.kind).toBe('inspected');
  });

  it('ignores changes to load balancers and groups it does not guard, reading nothing', async () => {
    const w = world(outageLastGood());
    const foreign =
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/other/0123456789abcdef/0123456789abcdef';
    expect(await run(change({ listenerArn: foreign }), w.inspectDeps)).toEqual({
      kind: 'ignored',
      reason: 'ModifyListener touches no guarded service',
    });
    expect(
      (await run(change({ targetGroupArn: tgArn('elsewhere') }, 'RegisterTargets'), w.inspectDeps)).kind,
    ).toBe('ignored');
    expect(w.store.changes.size).toBe(0);
    expect(w.store.snapshots.size).toBe(0);
  });

  it('ignores calls that failed', async () => {
    const w = world(outageLastGood());
    const base = change({ listenerArn: outageLastGood().listeners[0]?.arn });
    if (!('detail-type' in base) || base.source !== 'aws.elasticloadbalancing')
      throw new Error('not a CloudTrail event');
    const failed = { ...base, detail: { ...base.detail, errorCode: 'AccessDenied' } };
    expect((await run(failed, w.inspectDeps)).kind).toBe('ignored');
  });
});

describe('inspect woken by an alarm', () => {
  it('inspects every service with fresh ALB metrics', async () => {
    const w = world(outageLastGood());
    const out = await run(
      InspectEventSchema.parse({
        ...scheduled,
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        detail: { alarmName: 'lbguard-shop-elb-5xx', state: { value: 'ALARM' } },
      }),
      w.inspectDeps,
    );
    expect(out.kind === 'inspected' && out.trigger).toBe('alarm');
    expect(w.albMetrics.reads).toBe(1);
  });
});

describe('verify', () => {
  it('passes on routing as last known good and fails on the outage, writing nothing', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    const writes = w.store.incidentWrites;
    const good = await run({ kind: 'verify' }, w.inspectDeps);
    expect(good).toMatchObject({ kind: 'verify', ok: true });
    w.lb.snapshot = outageCurrent();
    const bad = await run({ kind: 'verify', service: 'shop' }, w.inspectDeps);
    expect(bad).toMatchObject({ kind: 'verify', ok: false, failOnFindings: false });
    expect(w.store.incidentWrites).toBe(writes);
    expect(enforceVerification(bad)).toBe(bad);
  });

  it('fails the invocation for the post-deploy trigger, whose event is {}', async () => {
    const w = world(outageLastGood());
    await promoted(w);
    w.lb.snapshot = outageCurrent();
    const out = await run(InspectEventSchema.parse({}), w.inspectDeps);
    expect(() => enforceVerification(out)).toThrow(VerificationFailedError);
  });

  it('reports an unknown service as a failed finding', async () => {
    const w = world(outageLastGood());
    const out = await run({ kind: 'verify', service: 'nope' }, w.inspectDeps);
    expect(out).toMatchObject({ kind: 'verify', ok: false });
  });
});

describe('target groups dropped from every action', () => {
  it('are still described, so the plan can point traffic back at them', async () => {
    const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
    const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
    const w = world(snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]));
    await promoted(w);
    w.lb.snapshot = snapshot([listener(80, [forward([webA, 1])])], [webA]);
    w.lb.detached.set(webB.arn, webB);
    w.prober.answer = () => ({ ok: false, status: 503 });
    await tick(w);
    const second = await tick(w);
    expect(second.planHash).toBeDefined();
    expect(second.diagnosis.drift.map((d) => d.kind)).not.toContain('target-group-removed');
  });
});

describe('probe results reach the diagnosis only through hysteresis', () => {
  /** Answers each probe run from `script` in turn (true = 200, false = 500), then 200. */
  function scripted(w: ReturnType<typeof world>, script: readonly boolean[]) {
    let run = 0;
    w.prober.answer = () => {
      const ok = script[run++] ?? true;
      return ok ? { ok, status: 200 } : { ok, status: 500 };
    };
  }

  it.each([
    { runs: 'one failed run among successes', script: [true, false, true], suspected: false },
    { runs: 'a failed run first, then successes', script: [false, true, true], suspected: false },
    { runs: 'two failed runs in a row', script: [true, false, false], suspected: false },
    { runs: 'three failed runs in a row', script: [false, false, false], suspected: true },
  ])('$runs raises suspicion: $suspected', async ({ script, suspected }) => {
    const w = world(outageLastGood());
    await promoted(w);
    scripted(w, script);
    const inspected = await tick(w, 60_000, burst);
    expect(w.prober.runs).toHaveLength(2 + script.length);
    expect(inspected.diagnosis.cause === 'healthy').toBe(!suspected);
    expect(inspected.incidentState).toBe(suspected ? 'suspected' : 'ok');
    if (suspected) expect(inspected.diagnosis.evidence.join('\n')).toMatch(/probe home: 3 of \d+ failed/);
    else expect(w.notifier.sent).toHaveLength(0);
  });

  it('reads the rule from the service thresholds: where five in a row are asked for, three raise no suspicion', async () => {
    const patient = serviceConfig({
      thresholds: {
        soakSeconds: 120,
        consecutiveBreaches: 2,
        hysteresis: { consecutiveFailures: 5, failuresInWindow: 5 },
      },
    });
    const w = world(outageLastGood(), patient);
    await promoted(w);
    scripted(w, [false, false, false]);
    const inspected = await tick(w, 60_000, burst);
    expect(inspected.diagnosis.cause).toBe('healthy');
    expect(inspected.incidentState).toBe('ok');
  });

  it('still restarts the soak on a blip it keeps from the diagnosis', async () => {
    const w = world(outageLastGood());
    await tick(w, 0);
    expect(w.store.soaks.has('shop')).toBe(true);
    scripted(w, [true, false, true]);
    const blip = await tick(w, 60_000, burst);
    expect(blip.diagnosis.cause).toBe('healthy');
    expect(w.store.soaks.has('shop')).toBe(false);
  });
});

describe('the probe window', () => {
  const hysteresis = {
    consecutiveFailures: 3,
    failuresInWindow: 5,
    windowSize: 10,
    consecutiveSuccesses: 3,
    maxChangesPerHour: 6,
  };
  const schedule = (probeIntervalSeconds: number, probeLoopSeconds: number) => ({
    probeIntervalSeconds,
    probeLoopSeconds,
    inspectRateMinutes: 1,
    metricsPeriodSeconds: 300,
  });

  it.each([
    [10, 50, 3 * 60_000],
    [10, 10, 11 * 60_000],
    [30, 50, 11 * 60_000],
  ])(
    'holds enough results for the hysteresis rules when probing every %i s for %i s',
    (interval, loop, ms) => {
      expect(probeWindowMs(schedule(interval, loop), hysteresis)).toBe(ms);
    },
  );

  it('never reads less than 90 s', () => {
    const small = { ...hysteresis, consecutiveFailures: 1, windowSize: 1, consecutiveSuccesses: 1 };
    expect(probeWindowMs(schedule(5, 55), small)).toBe(90_000);
  });
});
