import { describe, expect, it } from 'vitest';
import type { LoadBalancerDiscovery } from '../../../lambdas/adapters/elbv2/discovery.ts';
import { NoHubReporter } from '../../../lambdas/adapters/hub-reporter.ts';
import type {
  RegistryRead,
  RegistryStore,
} from '../../../lambdas/adapters/state-store/enrolment-registry.ts';
import { enrolDeps } from '../../../lambdas/enrol/deps.ts';
import { type EnrolmentDeps, runEnrolment } from '../../../lambdas/flows/enrolment.ts';
import { EnrolEventSchema } from '../../../lambdas/runtime/enrol-events.ts';
import { AwsApiError } from '../../../lib/errors.ts';
import type { RegistryBody } from '../../../lib/fleet/registry.ts';
import { RecordingMetrics, RecordingNotifier, SilentLog, testConfig } from '../../support/lambda-fakes.ts';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/shop/0123456789abcdef';
const sweep = EnrolEventSchema.parse({
  version: '0',
  id: 'sweep',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '111111111111',
  region: 'eu-west-1',
  time: '2026-11-02T14:00:00Z',
  resources: [],
  detail: {},
});

class MemoryRegistry implements RegistryStore {
  body: RegistryBody | undefined;
  version = 0;
  writes = 0;
  async read(): Promise<RegistryRead> {
    return this.body === undefined
      ? { kind: 'absent' }
      : {
          kind: 'read',
          registry: { scope: { account: '', region: '' }, version: this.version, ...this.body },
        };
  }
  async write(_scope: unknown, body: RegistryBody, expect: number | undefined) {
    if ((expect ?? 0) !== this.version) return { written: false };
    this.writes++;
    this.body = body;
    this.version++;
    return { written: true };
  }
}

const config = testConfig({ services: [], discovery: { profiles: {} } });

function deps(
  discovery: LoadBalancerDiscovery,
  registry: MemoryRegistry,
  notifier = new RecordingNotifier(),
): EnrolmentDeps {
  return {
    config,
    discovery,
    registry,
    notifier,
    hub: new NoHubReporter(),
    metrics: new RecordingMetrics(),
    logger: new SilentLog(),
    now: () => new Date('2026-11-02T14:00:00Z'),
  };
}

const tagged: LoadBalancerDiscovery = {
  listLoadBalancers: async () => [
    {
      loadBalancerArn: ARN,
      loadBalancerName: 'shop',
      tags: { 'lbguard:guard': 'true', 'lbguard:probe-url': 'https://shop.example.com/' },
    },
  ],
};

describe('the enrolment flow', () => {
  it('changes nothing and throws when the listing fails: a failed listing never reads as every load balancer deleted', async () => {
    const registry = new MemoryRegistry();
    await runEnrolment(sweep, deps(tagged, registry));
    const failing: LoadBalancerDiscovery = {
      listLoadBalancers: async () => {
        throw new AwsApiError('DescribeLoadBalancers', { cause: new Error('throttled') });
      },
    };
    const notifier = new RecordingNotifier();
    await expect(runEnrolment(sweep, deps(failing, registry, notifier))).rejects.toMatchObject({
      operation: 'DescribeLoadBalancers',
    });
    expect(registry.writes).toBe(1);
    expect(registry.body?.services.map((s) => s.loadBalancerArn)).toEqual([ARN]);
    expect(notifier.sent).toEqual([]);
  });

  it('fails the invocation when a message fails, after the registry is written', async () => {
    const registry = new MemoryRegistry();
    const notifier = new RecordingNotifier();
    notifier.failNext = true;
    await expect(runEnrolment(sweep, deps(tagged, registry, notifier))).rejects.toMatchObject({
      operation: 'Publish',
    });
    expect(registry.writes).toBe(1);
  });

  it('refuses at cold start without a discovery section', () => {
    const plain = testConfig({
      services: [
        { name: 'shop', loadBalancerArn: ARN, probes: [{ name: 'home', url: 'https://shop.example.com/' }] },
      ],
    });
    expect(() => enrolDeps({ config: plain, tableName: 'lbguard-state' })).toThrow(/no discovery section/);
  });
});
