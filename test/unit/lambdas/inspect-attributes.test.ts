import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  LoadBalancerReader,
  LoadBalancerState,
  ReadSnapshotOptions,
  TargetGroupAttributes,
} from '../../../lambdas/adapters/elbv2.ts';
import { isMetricsTick, run } from '../../../lambdas/inspect/handler.ts';
import { run as probe } from '../../../lambdas/probe/handler.ts';
import { InspectEventSchema } from '../../../lambdas/shared/events.ts';
import { knownAttributesOf, readServiceState } from '../../../lambdas/shared/service-state.ts';
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
    _also?: readonly string[],
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
    return { snapshot: { ...live, targetGroups }, health: [] };
  }
}

function guarded(minimumHealthyTargetsCount = 1): LbSnapshot {
  const webA = {
    ...targetGroup('web-a', ['i-0a:80', 'i-0b:80'], {
      unhealthyStateRouting: { minimumHealthyTargetsCount },
    }),
    loadBalancingAlgorithm: 'least_outstanding_requests',
  };
  const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
  return snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]);
}

function setup() {
  const w = world(guarded());
  const reader = new AttributeCountingReader(() => w.lb.snapshot);
  const deps = { ...w.inspectDeps, reader };
  const inspect = async (event: unknown) => {
    const out = await run(InspectEventSchema.parse(event), deps);
    if (out.kind !== 'inspected') throw new Error(`expected an inspection, got ${out.kind}`);
    const first = out.services[0];
    if (first === undefined) throw new Error('no service inspected');
    return first;
  };
  /** Advances the clock to the next minute that is (or is not) a metrics tick, then inspects. */
  const tickAt = async (metricsTick: boolean) => {
    do w.clock.advance(60_000);
    while (isMetricsTick(w.clock.now(), w.config.schedule) !== metricsTick);
    await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
    return inspect(scheduled);
  };
  return { w, reader, inspect, tickAt };
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

describe('inspect and target group attributes', () => {
  it('reads every attribute when nothing is stored, then reuses the stored ones on ordinary cycles', async () => {
    const { w, reader, tickAt } = setup();
    const first = await tickAt(false);
    expect(reader.calls[0]?.knownAttributes).toBeUndefined();
    expect(reader.attributeReads).toBe(2);

    const second = await tickAt(false);
    expect(reader.attributeReads).toBe(2);
    expect(reader.calls[1]?.knownAttributes).toEqual(
      new Map<string, TargetGroupAttributes>([
        [
          tgArn('web-a'),
          {
            unhealthyStateRouting: { minimumHealthyTargetsCount: 1 },
            loadBalancingAlgorithm: 'least_outstanding_requests',
          },
        ],
        [tgArn('web-b'), {}],
      ]),
    );
    expect(second.snapshotHash).toBe(first.snapshotHash);
    expect(w.store.snapshots.get('shop')).toHaveLength(1);
  });

  it('re-reads every attribute on the metrics cadence, with the same hash when nothing changed', async () => {
    const { w, reader, tickAt } = setup();
    const first = await tickAt(false);
    const refresh = await tickAt(true);
    expect(reader.calls.at(-1)?.knownAttributes).toBeUndefined();
    expect(reader.attributeReads).toBe(4);
    expect(refresh.snapshotHash).toBe(first.snapshotHash);
    expect(w.store.snapshots.get('shop')).toHaveLength(1);
  });

  it('keeps the stored attributes between refreshes and picks up a change at the next one', async () => {
    const { w, tickAt } = setup();
    const first = await tickAt(false);
    w.lb.snapshot = guarded(2);
    expect((await tickAt(false)).snapshotHash).toBe(first.snapshotHash);
    const refresh = await tickAt(true);
    expect(refresh.snapshotHash).toBe(hashSnapshot(guarded(2)));
    const after = await tickAt(false);
    expect(after.snapshotHash).toBe(refresh.snapshotHash);
  });

  it.each([
    ['ModifyTargetGroupAttributes', true],
    ['ModifyTargetGroup', true],
    ['DeregisterTargets', false],
  ])('on a CloudTrail %s event re-reads all attributes: %s', async (eventName, rereads) => {
    const { w, reader, inspect, tickAt } = setup();
    await tickAt(false);
    w.lb.snapshot = guarded(2);
    w.clock.advance(60_000);
    const out = await inspect(change(eventName));
    expect(reader.calls.at(-1)?.knownAttributes === undefined).toBe(rereads);
    expect(out.snapshotHash === hashSnapshot(guarded(2))).toBe(rereads);
  });

  it('reuses the stored attributes when woken by an alarm, and re-reads them to verify', async () => {
    const { w, reader, tickAt } = setup();
    await tickAt(false);
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
    const snap = guarded();
    const reader = new AttributeCountingReader(() => snap);
    const describer = { describe: async () => ({ groups: [], health: [] }) };
    const service = { loadBalancerArn: snap.loadBalancerArn };
    await readServiceState(reader, describer, service, undefined);
    const knownAttributes = knownAttributesOf(snap);
    await readServiceState(reader, describer, service, undefined, { knownAttributes });
    expect(reader.calls).toEqual([undefined, { knownAttributes }]);
    expect(reader.attributeReads).toBe(2);
  });
});
