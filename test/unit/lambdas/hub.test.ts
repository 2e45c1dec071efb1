import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetMetrics } from '../../../lambdas/adapters/fleet-metrics.ts';
import type { HubTable, HubWriteOutcome } from '../../../lambdas/adapters/hub-table.ts';
import type { FleetScanPorts } from '../../../lambdas/flows/fleet-scan.ts';
import { checkCoverage, type HubCoverageDeps } from '../../../lambdas/flows/hub-coverage.ts';
import { ingestHubEvent } from '../../../lambdas/flows/hub-ingest.ts';
import { readHubCoverageEnv, readHubIngestEnv } from '../../../lambdas/runtime/hub-env.ts';
import type { CoverageResult } from '../../../lib/fleet/coverage.ts';
import type { HubWrite } from '../../../lib/fleet/hub-records.ts';
import { SilentLog } from '../../support/lambda-fakes.ts';

const NOW = new Date('2026-12-05T10:00:00.000Z');
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/shop/0123456789abcdef`;

class MemoryTable implements HubTable {
  readonly writes: HubWrite[] = [];
  stored: CoverageResult | undefined;
  answer: HubWriteOutcome | Error = 'written';
  claim = true;
  readonly replaced: (CoverageResult | undefined)[] = [];

  async write(write: HubWrite): Promise<HubWriteOutcome> {
    if (this.answer instanceof Error) throw this.answer;
    this.writes.push(write);
    return write.kind === 'none' ? 'nothing-to-write' : this.answer;
  }
  async readHeartbeats() {
    return { loadBalancers: [], spokes: [] };
  }
  async readCoverage() {
    return this.stored;
  }
  async replaceCoverage(previous: CoverageResult | undefined, result: CoverageResult) {
    this.replaced.push(result);
    if (!this.claim || previous?.at !== this.stored?.at) return false;
    this.stored = result;
    return true;
  }
}

class CountingMetrics implements FleetMetrics {
  readonly counted: string[] = [];
  uncovered(entries: readonly { loadBalancer: string }[], value: 0 | 1) {
    for (const e of entries) this.counted.push(`Uncovered ${e.loadBalancer}=${value}`);
  }
  coverageCheck() {
    this.counted.push('CoverageChecks');
  }
  ingested(metric: string, detailType: string) {
    this.counted.push(`${metric} ${detailType}`);
  }
}

const heartbeat = (at = '2026-12-05T09:59:00Z') => ({
  id: 'e-1',
  'detail-type': 'lbguard Heartbeat',
  source: 'lbguard',
  account: ACCOUNT,
  region: REGION,
  detail: {
    version: 1,
    at,
    lbguardVersion: '1',
    loadBalancers: [{ loadBalancerArn: ARN, service: 'shop', status: 'inspected' }],
    refused: [],
  },
});

function ingestDeps(table = new MemoryTable(), metrics = new CountingMetrics()) {
  return { table, metrics, logger: new SilentLog(), now: () => NOW };
}

describe('ingestHubEvent', () => {
  it('never throws on, writes or retries whatever malformed event arrives: it refuses and counts it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.anything(), fc.record({ source: fc.constant('lbguard'), detail: fc.anything() })),
        async (event) => {
          const deps = ingestDeps();
          const outcome = await ingestHubEvent(event, deps);
          expect(outcome.kind).toBe('refused');
          expect(deps.table.writes).toEqual([]);
          expect(deps.metrics.counted).toEqual([expect.stringMatching(/^hubEventsRefused /)]);
        },
      ),
    );
  });

  it.each([
    ['written', 'written', 'hubEvents lbguard Heartbeat'],
    ['stale', 'stale', 'hubEventsStale lbguard Heartbeat'],
  ] as const)('reports a %s heartbeat and counts it', async (answer, kind, metric) => {
    const deps = ingestDeps();
    deps.table.answer = answer;
    expect(await ingestHubEvent(heartbeat(), deps)).toMatchObject({ kind, account: ACCOUNT, region: REGION });
    expect(deps.metrics.counted).toEqual([metric]);
  });

  it('throws when the table cannot be written, so Lambda retries a good event', async () => {
    const deps = ingestDeps();
    deps.table.answer = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
    });
    await expect(ingestHubEvent(heartbeat(), deps)).rejects.toThrow('slow down');
    expect(deps.metrics.counted).toEqual([]);
  });
});

describe('checkCoverage', () => {
  const lb = {
    loadBalancerArn: ARN,
    loadBalancerName: 'shop',
    tags: { 'lbguard:guard': 'true', 'lbguard:probe-url': 'https://shop.example.com/' },
  };
  const ports: FleetScanPorts<string> = {
    accounts: { listAccounts: async () => [ACCOUNT] },
    roles: { credentialsFor: async () => ({ accessKeyId: 'a', secretAccessKey: 's', sessionToken: 't' }) },
    open: (scope) => scope.region,
    discoveryFor: () => ({ listLoadBalancers: async () => [lb] }),
    close: () => {},
  };
  function coverageDeps(over: Partial<HubCoverageDeps<string>> = {}) {
    const table = new MemoryTable();
    const metrics = new CountingMetrics();
    const published: string[] = [];
    const deps: HubCoverageDeps<string> = {
      fleet: { roleName: 'r', accounts: [ACCOUNT], regions: [REGION], concurrency: 2 },
      profiles: {},
      coverageMinutes: 5,
      scanPorts: () => ports,
      table,
      topic: { publish: async (m) => void published.push(m.subject) },
      metrics,
      logger: new SilentLog(),
      now: () => NOW,
      ...over,
    };
    return { deps, table, metrics, published };
  }

  it('notifies a new uncovered load balancer once, then stays quiet while nothing changes', async () => {
    const { deps, metrics, published } = coverageDeps();
    expect(await checkCoverage(deps)).toMatchObject({ kind: 'checked', notified: true });
    expect(await checkCoverage(deps)).toMatchObject({ kind: 'checked', notified: false });
    expect(published).toEqual(['lbguard fleet coverage: 1 load balancer uncovered']);
    expect(metrics.counted).toEqual([
      'Uncovered shop=1',
      'CoverageChecks',
      'Uncovered shop=1',
      'CoverageChecks',
    ]);
  });

  it('stays silent and counts nothing when an overlapping check stored its result first', async () => {
    const { deps, table, metrics, published } = coverageDeps();
    table.claim = false;
    expect((await checkCoverage(deps)).kind).toBe('superseded');
    expect(published).toEqual([]);
    expect(metrics.counted).toEqual([]);
  });

  it('puts the previous result back when the notification fails, so the next check tells the change again', async () => {
    const { deps, table, metrics } = coverageDeps({
      topic: {
        publish: async () => {
          throw new Error('SNS down');
        },
      },
    });
    await expect(checkCoverage(deps)).rejects.toThrow('SNS down');
    expect(table.stored?.uncovered).toEqual([]);
    expect(metrics.counted).toEqual([]);
  });
});

describe('hub environment', () => {
  const config = (fleet: unknown) => JSON.stringify({ fleet, profiles: {} });
  const good = { roleName: 'lbguard-fleet-reader', accounts: [ACCOUNT], regions: [REGION], hub: {} };
  const env = (over: Record<string, string | undefined>) => ({
    LBGUARD_HUB_TABLE: 'lbguard-hub',
    LBGUARD_HUB_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:hub`,
    LBGUARD_FLEET_CONFIG: config(good),
    ...over,
  });

  it('reads the fleet and hub sections with their defaults', () => {
    const e = readHubCoverageEnv(env({}));
    expect(e.config.hub).toEqual({ busName: 'lbguard-hub', coverageMinutes: 5 });
    expect(e.config.fleet.concurrency).toBe(4);
  });

  it.each([
    [
      { LBGUARD_FLEET_CONFIG: config({ ...good, regions: [] }) },
      'LBGUARD_FLEET_CONFIG: fleet.regions: must list a region',
    ],
    [
      { LBGUARD_FLEET_CONFIG: config({ ...good, hub: undefined }) },
      'LBGUARD_FLEET_CONFIG: fleet.hub: is required by the hub functions',
    ],
    [{ LBGUARD_FLEET_CONFIG: '{"fleet":' }, 'LBGUARD_FLEET_CONFIG: (top level): is not valid JSON'],
    [
      { LBGUARD_FLEET_CONFIG: config({ ...good, hub: { coverageMinutes: 1 } }) },
      'LBGUARD_FLEET_CONFIG: fleet.hub.coverageMinutes',
    ],
    [{ LBGUARD_HUB_TOPIC_ARN: undefined }, 'LBGUARD_HUB_TOPIC_ARN: is required'],
  ])('fails at cold start naming the field: %o', (over, message) => {
    expect(() => readHubCoverageEnv(env(over))).toThrow(message);
  });

  it('needs only the table for hub-ingest', () => {
    expect(readHubIngestEnv({ LBGUARD_HUB_TABLE: 'lbguard-hub' })).toEqual({ hubTableName: 'lbguard-hub' });
    expect(() => readHubIngestEnv({})).toThrow('LBGUARD_HUB_TABLE: is required');
  });
});

describe('hub-ingest handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('answers a poison event with a refusal instead of an error Lambda would retry', async () => {
    vi.stubEnv('LBGUARD_HUB_TABLE', 'lbguard-hub');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { handler } = await import('../../../lambdas/hub-ingest/handler.ts');
    const context = {
      awsRequestId: 'req-1',
      functionName: 'lbguard-hub-ingest',
      getRemainingTimeInMillis: () => 60_000,
    } as unknown as Context;
    const run = handler as unknown as (event: unknown, context: Context) => Promise<unknown>;
    await expect(run({ 'detail-type': 'lbguard Heartbeat', detail: 'x' }, context)).resolves.toMatchObject({
      kind: 'refused',
      code: 'malformed-envelope',
    });
  });
});
