import { describe, expect, it } from 'vitest';
import type { AlbMetricsReader, AlbMetricsRequest } from '../../../lambdas/adapters/cloudwatch.ts';
import { inspect as run } from '../../../lambdas/flows/inspect.ts';
import { InspectEventSchema } from '../../../lambdas/runtime/events.ts';
import { FakeAlbMetrics } from '../../support/lambda-fakes.ts';
import {
  forward,
  listener,
  outageLastGood,
  shopTopology,
  snapshot,
  targetGroup,
} from '../fixtures/topologies.ts';
import { scheduled, serviceConfig, world } from './world.ts';

const alarm = InspectEventSchema.parse({
  ...scheduled,
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  detail: { alarmName: 'lbguard-shop-elb-5xx', state: { value: 'ALARM' } },
});

/** ALB metrics as the fake reads them, plus instance counters for the identities in `counts`. */
class CountingAlbMetrics implements AlbMetricsReader {
  readonly requests: AlbMetricsRequest[] = [];
  readonly #alb = new FakeAlbMetrics();
  readonly #counts: Record<string, number>;

  constructor(counts: Record<string, number>) {
    this.#counts = counts;
  }

  async read(request: AlbMetricsRequest) {
    this.requests.push(request);
    const asked = new Set(request.instanceIds ?? []);
    const instanceRequests = Object.fromEntries(Object.entries(this.#counts).filter(([id]) => asked.has(id)));
    const metrics = await this.#alb.read(request);
    return Object.keys(instanceRequests).length === 0 ? metrics : { ...metrics, instanceRequests };
  }
}

async function inspectWith(counts: Record<string, number>, snapshot = outageLastGood()) {
  const w = world(snapshot, serviceConfig({ instanceCounters: true }));
  const albMetrics = new CountingAlbMetrics(counts);
  const out = await run(alarm, { ...w.inspectDeps, albMetrics });
  if (out.kind !== 'inspected') throw new Error(`expected an inspection, got ${out.kind}`);
  const first = out.services[0];
  if (!first) throw new Error('no service inspected');
  return { inspection: first, requests: albMetrics.requests };
}

describe('inspect reads the instance counters with the ALB metrics', () => {
  it('asks for none unless the service says its application prints them (each is a metric billed)', async () => {
    const w = world(outageLastGood());
    const albMetrics = new CountingAlbMetrics({});
    await run(alarm, { ...w.inspectDeps, albMetrics });
    expect(albMetrics.requests).toHaveLength(1);
    expect(albMetrics.requests[0]?.instanceIds).toBeUndefined();
  });

  it('asks for InstanceRequests of every registered target, under the service name', async () => {
    const { requests } = await inspectWith({});
    expect(requests).toHaveLength(1);
    expect(requests[0]?.service).toBe('shop');
    expect(requests[0]?.instanceIds).toEqual(['i-0a', 'i-0b', 'i-0c', 'i-0d']);
  });

  it('asks IP targets as ip:port, as their applications print them', async () => {
    const { requests } = await inspectWith({}, shopTopology());
    const ids = requests[0]?.instanceIds ?? [];
    expect(ids).toEqual(expect.arrayContaining(['10.0.1.17:31337', '10.0.2.9:8443', 'i-0a', 'i-0f']));
    expect(ids).toContain('arn:aws:lambda:eu-west-1:123456789012:function:thumbs');
    expect(ids).not.toContain('10.0.1.17');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('asks an instance registered on several ports by each id:port as well as by its id', async () => {
    const web = targetGroup('web', ['i-0a:80', 'i-0b:80']);
    const api = targetGroup('api', ['i-0a:8080']);
    const twoPorts = snapshot(
      [listener(80, [forward([web, 1])]), listener(8080, [forward([api, 1])])],
      [web, api],
    );
    const { requests } = await inspectWith({}, twoPorts);
    expect(requests[0]?.instanceIds).toEqual(['i-0a', 'i-0a:80', 'i-0a:8080', 'i-0b']);
  });

  it('hands the counts to the diagnosis, which names them as counted by the instances', async () => {
    const { inspection } = await inspectWith({ 'i-0a': 4_800, 'i-0b': 4, 'i-0c': 4, 'i-0d': 4 });
    const evidence = inspection.diagnosis.evidence.join('\n');
    expect(evidence).toMatch(/4,812 requests counted by the instances/);
    expect(evidence).toMatch(/i-0a:80/);
  });

  it('leaves the per-target evidence out when no instance prints a counter', async () => {
    const { inspection } = await inspectWith({});
    expect(inspection.diagnosis.evidence.join('\n')).not.toMatch(/counted by the instances/);
  });
});
