import type { InspectDeps } from '../../../lambdas/flows/inspect.ts';
import type { ProbeDeps } from '../../../lambdas/flows/probe.ts';
import type { RemediateDeps } from '../../../lambdas/flows/remediate.ts';
import { inspectDeps as wireInspect } from '../../../lambdas/inspect/deps.ts';
import { probeDeps as wireProbe } from '../../../lambdas/probe/deps.ts';
import { remediateDeps as wireRemediate } from '../../../lambdas/remediate/deps.ts';
import type { LbGuardConfig, LbGuardConfigInput } from '../../../lib/config/index.ts';
import type { LbSnapshot } from '../../../lib/types.ts';
import {
  FakeAlbMetrics,
  FakeClock,
  FakeDeploymentOwners,
  FakeLoadBalancer,
  FakeProber,
  FakeSecretReader,
  FakeZonalShifts,
  MemoryApplyOnce,
  MemoryStateStore,
  RecordingInvoker,
  RecordingMetrics,
  RecordingNotifier,
  SilentLog,
  testConfig,
} from '../../support/lambda-fakes.ts';
import { LB_ARN } from '../fixtures/topologies.ts';

/** One service on the fixtures' load balancer, probing a loopback URL nobody serves. */
export function serviceConfig(
  overrides: Partial<LbGuardConfigInput['services'][number]> = {},
): LbGuardConfig {
  return testConfig({
    services: [
      {
        name: 'shop',
        loadBalancerArn: LB_ARN,
        probes: [{ name: 'home', url: 'http://127.0.0.1:9/health' }],
        thresholds: { soakSeconds: 120, consecutiveBreaches: 2 },
        remediation: { mode: 'auto', verifyDeadlineSeconds: 60 },
        ...overrides,
      },
    ],
  });
}

/** Every fake a test needs, wired into the deps of the three functions. */
export function world(snapshot: LbSnapshot, config: LbGuardConfig = serviceConfig()) {
  const clock = new FakeClock();
  const lb = new FakeLoadBalancer(snapshot);
  const store = new MemoryStateStore();
  const prober = new FakeProber(clock.now);
  const notifier = new RecordingNotifier();
  const invoker = new RecordingInvoker();
  const metrics = new RecordingMetrics();
  const logger = new SilentLog();
  const applyOnce = new MemoryApplyOnce();
  const albMetrics = new FakeAlbMetrics();
  const zonalShifts = new FakeZonalShifts();
  const owners = new FakeDeploymentOwners();
  // Wired as the functions wire themselves, every adapter overridden by its fake.
  const env = { config, tableName: 'lbguard-unit' };
  const shared = { config, store, metrics, logger, now: clock.now };
  const secrets = new FakeSecretReader();
  const probeDeps: ProbeDeps = wireProbe(env, { ...shared, prober, secrets, sleep: clock.sleep });
  const inspectDeps: InspectDeps = wireInspect(env, {
    ...shared,
    reader: lb,
    albMetrics,
    notifier,
    invoker,
    zonalShifts,
  });
  const remediateDeps = (lockOwner = 'req-1'): RemediateDeps =>
    wireRemediate(env, {
      ...shared,
      reader: lb,
      writer: lb,
      notifier,
      owners,
      zonalShifts,
      prober,
      applyOnce,
      sleep: clock.sleep,
      lockOwner,
    });
  return {
    config,
    clock,
    lb,
    store,
    prober,
    secrets,
    notifier,
    invoker,
    metrics,
    logger,
    applyOnce,
    albMetrics,
    zonalShifts,
    owners,
    probeDeps,
    inspectDeps,
    remediateDeps,
  };
}

export const scheduled = {
  version: '0',
  id: 'e1',
  'detail-type': 'Scheduled Event' as const,
  source: 'aws.events' as const,
  account: '123456789012',
  time: '2026-11-02T14:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/lbguard-inspect'],
  detail: {},
};
