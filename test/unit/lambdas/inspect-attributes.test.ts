import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  LoadBalancerReader,
  LoadBalancerState,
  ReadSnapshotOptions,
} from '../../../lambdas/adapters/elbv2/ports.ts';
import { inspect as run } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { knownAttributesOf, readServiceState } from '../../../lambdas/flows/read-service.ts';
import { InspectEventSchema } from '../../../lambdas/runtime/events.ts';
import {
  ATTRIBUTE_REREAD_PERIOD_CYCLES,
  ATTRIBUTE_REREADS_PER_CYCLE,
  attributeRotation,
} from '../../../lib/observation.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import type { LbSnapshot, TargetGroup } from '../../../lib/types.ts';
import { forward, listener, snapshot, targetGroup, tgArn } from '../fixtures/topologies.ts';
import { scheduled, world } from './world.ts';

function withoutAttributes(g: TargetGroup): TargetGroup {
  const { unhealthyStateRouting: _guard, loadBalancingAlgorithm: _algorithm, ...rest } = g;
  return rest;
}

/**
 * Reads like `Elbv2LoadBalancerReader`: groups in `knownAttributes` take those, the others the
 * live attributes, each of which costs one `DescribeTargetGroupAttributes`.
 */
class AttributeCountingReader implements LoadBalancerReader {
  readonly calls: (ReadSnapshotOptions | undefined)[] = [];
  attributeReads = 0;

  constructor(private readonly live: () => LbSnapshot) {}

  async readSnapshot(
    _lb: string,
    _listeners?: readonly string[],
    options?: ReadSnapshotOptions,
  ): Promise<LoadBalancerState> {
    this.calls.push(options);
    const live = this.live();
    const targetGroups = live.targetGroups.map((g) => {
      const known = options?.knownAttributes?.get(g.arn);
      if (known === undefined) {
        this.attributeReads++;
        return g;
      }
      return { ...withoutAttributes(g), ...known };
    });
    const attachments = new Map(targetGroups.map((g) => [g.arn, [live.loadBalancerArn]]));
    return { snapshot: { ...live, targetGroups }, health: [], attachments };
  }

  async describeTargetGroups() {
    return { groups: [], health: [], attachments: new Map() };
  }
}

/** web-a carries the guard and the algorithm; web-b … web-g (six more) carry neither. */
const OTHERS = ['web-b', 'web-c', 'web-d', 'web-e', 'web-f', 'web-g'];

function guarded(minimumHealthyTargetsCount = 1, others: readonly string[] = OTHERS): LbSnapshot {
  const webA = {
    ...targetGroup('web-a', ['i-0a:80', 'i-0b:80'], {
      unhealthyStateRouting: { minimumHealthyTargetsCount },
    }),
    loadBalancingAlgorithm: 'least_outstanding_requests',
  };
  const rest = others.map((name, i) => targetGroup(name, [`i-1${i}:80`, `i-2${i}:80`]));
  return snapshot(
    [listener(80, [forward([webA, 50], ...rest.map((g) => [g, 50] as const))])],
    [webA, ...rest],
  );
}

function setup(others: readonly string[] = OTHERS) {
  const w = world(guarded(1, others));
  const reader = new AttributeCountingReader(() => w.lb.snapshot);
  const deps = { ...w.inspectDeps, reader };
  const inspect = async (event: unknown) => {
    const out = await run(InspectEventSchema.parse(event), deps);
    if (out.kind !== 'inspected') throw new Error(`expected an inspection, got ${out.kind}`);
    const first = out.services[0];
    if (first === undefined) throw new Error('no service inspected');
    return first;
  };
  /** Advances the clock a minute, probes, then inspects on schedule. */
  const tick = async () => {
    w.clock.advance(60_000);
    await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
    return inspect(scheduled);
  };
  /** Groups whose attributes the last read re-read (not taken from the known map). */
  const rereadLast = (): string[] => {
    const known = reader.calls.at(-1)?.knownAttributes;
    return w.lb.snapshot.targetGroups.map((g) => g.arn).filter((arn) => known?.get(arn) === undefined);
  };
  return { w, reader, inspect, tick, rereadLast };
}

const change = (eventName: string) => ({
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
    requestParameters: { targetGroupArn: tgArn('web-a') },
  },
});

describe('attributeRotation', () => {
  const arns = (n: number) => Array.from({ length: n }, (_, i) => tgArn(`g-${String(i).padStart(3, '0')}`));

  it('re-reads at most the per-cycle number, and every group exactly once a period of max(period, ⌈groups / per cycle⌉) cycles', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (n, perCycle, periodCycles, rateMinutes, startMinute) => {
          const groups = arns(n);
          const cycles = Math.max(periodCycles, Math.ceil(n / perCycle));
          const reads = new Map<string, number>();
          for (let c = 0; c < cycles; c++) {
            const at = new Date((startMinute + c * rateMinutes) * 60_000);
            const slice = attributeRotation(groups, at, rateMinutes, perCycle, periodCycles);
            expect(slice.length).toBeLessThanOrEqual(perCycle);
            for (const arn of slice) reads.set(arn, (reads.get(arn) ?? 0) + 1);
          }
          expect(reads.size).toBe(n);
          expect([...reads.values()].every((count) => count === 1)).toBe(true);
        },
      ),
    );
  });

  it('spreads the services of a spoke over the period instead of re-reading them all in one minute', () => {
    const perMinute = Array.from(
      { length: ATTRIBUTE_REREAD_PERIOD_CYCLES },
      (_, minute) =>
        Array.from({ length: 100 }, (_, lb) => tgArn(`lb-${lb}-g`)).filter((arn) =>
          attributeRotation([arn], new Date(minute * 60_000), 1).includes(arn),
        ).length,
    );
    expect(perMinute.reduce((a, b) => a + b, 0)).toBe(100);
    // 100 one-group services: about 20 a minute, never most of them at once.
    expect(Math.max(...perMinute)).toBeLessThan(40);
  });

  it('re-reads each group of a small service once every period, one at a time', () => {
    const slices = Array.from({ length: ATTRIBUTE_REREAD_PERIOD_CYCLES }, (_, c) =>
      attributeRotation(arns(3), new Date(c * 60_000), 1),
    );
    expect(slices.flat().sort()).toEqual(arns(3));
    expect(Math.max(...slices.map((s) => s.length))).toBe(1);
    expect(ATTRIBUTE_REREADS_PER_CYCLE).toBeGreaterThanOrEqual(1);
  });
});

describe('inspect and target group attributes', () => {
  it('reads every attribute when nothing is stored, then only a rotating slice per cycle', async () => {
    const { w, reader, tick, rereadLast } = setup();
    const first = await tick();
    expect(reader.calls[0]?.knownAttributes).toBeUndefined();
    expect(reader.attributeReads).toBe(7);

    const second = await tick();
    expect(reader.attributeReads - 7).toBeLessThanOrEqual(ATTRIBUTE_REREADS_PER_CYCLE);
    expect(rereadLast().length).toBeLessThanOrEqual(ATTRIBUTE_REREADS_PER_CYCLE);
    // What the stored snapshot says of web-a stands for web-a when it is not re-read.
    const known = reader.calls[1]?.knownAttributes;
    if (known?.has(tgArn('web-a'))) {
      expect(known.get(tgArn('web-a'))).toEqual({
        unhealthyStateRouting: { minimumHealthyTargetsCount: 1 },
        loadBalancingAlgorithm: 'least_outstanding_requests',
      });
    }
    expect(second.snapshotHash).toBe(first.snapshotHash);
    expect(w.store.snapshots.get('shop')).toHaveLength(1);
  });

  it('re-reads every group within a period, with the same hash when nothing changed', async () => {
    const { w, tick, rereadLast } = setup();
    const first = await tick();
    const seen = new Set<string>();
    const cycles = Math.max(ATTRIBUTE_REREAD_PERIOD_CYCLES, Math.ceil(7 / ATTRIBUTE_REREADS_PER_CYCLE));
    for (let c = 0; c < cycles; c++) {
      expect((await tick()).snapshotHash).toBe(first.snapshotHash);
      for (const arn of rereadLast()) seen.add(arn);
    }
    expect(seen.size).toBe(7);
    expect(w.store.snapshots.get('shop')).toHaveLength(1);
  });

  it('picks up a missed attribute change within one rotation', async () => {
    const { w, tick } = setup();
    await tick();
    w.lb.snapshot = guarded(2);
    const hashes: string[] = [];
    for (
      let c = 0;
      c < Math.max(ATTRIBUTE_REREAD_PERIOD_CYCLES, Math.ceil(7 / ATTRIBUTE_REREADS_PER_CYCLE));
      c++
    )
      hashes.push((await tick()).snapshotHash);
    expect(hashes).toContain(hashSnapshot(guarded(2)));
    expect((await tick()).snapshotHash).toBe(hashSnapshot(guarded(2)));
  });

  it("re-reads a small service's groups once a period, not every cycle", async () => {
    const { reader, tick } = setup(['web-b']);
    await tick();
    expect(reader.attributeReads).toBe(2);
    for (let c = 0; c < ATTRIBUTE_REREAD_PERIOD_CYCLES; c++) await tick();
    expect(reader.attributeReads).toBe(2 + 2);
  });

  it.each([
    ['ModifyTargetGroupAttributes', true],
    ['ModifyTargetGroup', true],
    ['DeregisterTargets', false],
  ])('on a CloudTrail %s event re-reads the changed group at once: %s', async (eventName, rereads) => {
    const { w, inspect, tick, rereadLast } = setup();
    await tick();
    w.lb.snapshot = guarded(2);
    // Find a minute whose rotation leaves web-a out, so only the event can re-read it.
    do w.clock.advance(60_000);
    while (attributeRotation(OTHERS.concat('web-a').map(tgArn), w.clock.now(), 1).includes(tgArn('web-a')));
    const out = await inspect({ ...change(eventName), resources: [tgArn('web-a')] });
    expect(rereadLast().includes(tgArn('web-a'))).toBe(rereads);
    expect(out.snapshotHash === hashSnapshot(guarded(2))).toBe(rereads);
  });

  it('leaves the rotation to the scheduled cycles: an event re-reads only the groups it changed', async () => {
    const { w, reader, inspect, tick, rereadLast } = setup(['web-b']);
    await tick();
    w.clock.advance(60_000);
    const before = reader.attributeReads;
    await inspect({ ...change('DeregisterTargets'), resources: [tgArn('web-a')] });
    expect(rereadLast()).toEqual([]);
    await inspect({ ...change('ModifyTargetGroupAttributes'), resources: [tgArn('web-a')] });
    expect(rereadLast()).toEqual([tgArn('web-a')]);
    expect(reader.attributeReads - before).toBe(1);
    // The same minute's scheduled cycle re-reads its rotation's share, whatever the events did.
    await inspect(scheduled);
    expect(rereadLast().sort()).toEqual(
      attributeRotation([tgArn('web-a'), tgArn('web-b')], w.clock.now(), 1).sort(),
    );
  });

  it('reuses the stored attributes when woken by an alarm, and re-reads them all to verify', async () => {
    const { w, reader, tick, rereadLast } = setup();
    await tick();
    w.clock.advance(60_000);
    await run(
      InspectEventSchema.parse({
        ...scheduled,
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        detail: { alarmName: 'shop-5xx', state: { value: 'ALARM' } },
      }),
      { ...w.inspectDeps, reader },
    );
    expect(reader.calls.at(-1)?.knownAttributes).toBeDefined();
    expect(rereadLast().length).toBeLessThanOrEqual(ATTRIBUTE_REREADS_PER_CYCLE);
    await run({ kind: 'verify' }, { ...w.inspectDeps, reader });
    expect(reader.calls.at(-1)?.knownAttributes).toBeUndefined();
  });
});

describe('knownAttributesOf', () => {
  const arbAttributes = fc.record(
    {
      unhealthyStateRouting: fc.record(
        {
          minimumHealthyTargetsCount: fc.integer({ min: 1, max: 100 }),
          minimumHealthyTargetsPercentage: fc.integer({ min: 1, max: 100 }),
        },
        { requiredKeys: [] },
      ),
      loadBalancingAlgorithm: fc.constantFrom('round_robin', 'least_outstanding_requests', 'weighted_random'),
    },
    { requiredKeys: [] },
  );

  it('gives back exactly the attributes a snapshot holds, so reusing them keeps its hash', () => {
    fc.assert(
      fc.property(fc.array(arbAttributes, { minLength: 1, maxLength: 5 }), (attributes) => {
        const groups = attributes.map((a, i) => ({ ...targetGroup(`g-${i}`, [`i-0${i}:80`]), ...a }));
        const snap = snapshot([listener(80, [forward([groups[0] ?? 'g-0', 1])])], groups);
        const known = knownAttributesOf(snap);
        const rebuilt: LbSnapshot = {
          ...snap,
          targetGroups: snap.targetGroups.map((g) => ({ ...withoutAttributes(g), ...known.get(g.arn) })),
        };
        expect(hashSnapshot(rebuilt)).toBe(hashSnapshot(snap));
        expect([...known.keys()].sort()).toEqual(groups.map((g) => g.arn).sort());
      }),
    );
  });
});

describe('readServiceState', () => {
  it('passes known attributes to the reader only when it has some', async () => {
    const snap = guarded(1, ['web-b']);
    const reader = new AttributeCountingReader(() => snap);
    const service = { loadBalancerArn: snap.loadBalancerArn };
    await readServiceState(reader, service, undefined);
    const knownAttributes = knownAttributesOf(snap);
    await readServiceState(reader, service, undefined, { knownAttributes });
    expect(reader.calls).toEqual([undefined, { knownAttributes }]);
    expect(reader.attributeReads).toBe(2);
  });
});
