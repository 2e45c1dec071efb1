import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateRuleCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runningChildren } from '../../drill/world/children.ts';
import { BAD_GATEWAY_ERRORFILE, renderHaproxy, renderMapFile } from '../../drill/world/haproxy-config.ts';
import type { SyncChange, SyncChangeKind } from '../../drill/world/haproxy-sync.ts';
import { type ResponseRecord, summarise } from '../../drill/world/loadgen.ts';
import { sleep, waitFor } from '../../drill/world/net.ts';
import { startWorld, type World } from '../../drill/world/world.ts';
import { targetGroupDimension } from '../../lambdas/adapters/cloudwatch.ts';
import type { LbSnapshot } from '../../lib/types.ts';

// The drill's world end to end on this machine: moto as the control plane, HAProxy following
// it, backend processes that fall over, load through HAProxy, metrics back into moto. Rates
// stay modest (≤ 300 req/s): the machine has two cores shared with moto and HAProxy.

const execFileAsync = promisify(execFile);

let world: World;

function servedBy(records: readonly ResponseRecord[]): Record<string, number> {
  return summarise(records).byServedBy;
}

interface Synced {
  /** Epoch ms just before the ELBv2 change was sent. */
  readonly before: number;
  /** What the sync passes that could have seen the change applied, in order. */
  readonly changes: readonly SyncChange[];
}

/**
 * Makes an ELBv2 change, then waits until a sync pass that began after the change returned has
 * completed. Pass numbers, not clock readings: a pass already under way when the change is sent
 * can read the listeners after it and apply it, although its read began earlier; every later
 * pass then finds nothing to do, so a wait for "a change read after `before`" never ends.
 */
async function syncChange(w: World, change: () => Promise<unknown>): Promise<Synced> {
  // The pass in flight now is the first that may see the change.
  const firstCandidate = w.sync.passesStarted;
  const before = Date.now();
  await change();
  const settling = w.sync.passesStarted + 1;
  const completed = await waitFor(
    `sync pass ${settling}, the first to begin after the change, to complete`,
    async () => (w.sync.lastCompletedPass >= settling ? w.sync.lastCompletedPass : undefined),
    // Generous: this asserts that the sync follows, not how fast (that is a figure, reported below).
    { timeoutMs: 20_000, intervalMs: 10 },
  );
  return {
    before,
    changes: w.sync.changes.filter((c) => c.pass >= firstCandidate && c.pass <= completed),
  };
}

/** Milliseconds from sending the change to HAProxy routing by the last `kind` change it caused. */
function lagOf(synced: Synced, kind: SyncChangeKind): number {
  const last = synced.changes.filter((c) => c.kind === kind).at(-1);
  if (last === undefined) {
    throw new Error(
      `the sync applied no ${kind} change for the ELBv2 change; it applied ${JSON.stringify(synced.changes)}`,
    );
  }
  return last.appliedAt - synced.before;
}

describe('the drill world', () => {
  const lags: number[] = [];

  beforeAll(async () => {
    world = await startWorld({
      motoUrl: inject('motoUrl'),
      restartDelayMs: 1_500,
      backend: { capacityRps: 150, fallOverAfterMs: 1_000 },
    });
  });

  afterAll(async () => {
    await world?.stop();
    process.stdout.write(
      `drill-world: sync lags ${lags.map((l) => `${l} ms`).join(', ')}; sync ${JSON.stringify(world?.sync.stats())}\n`,
    );
  });

  it('spreads load across all four backends through HAProxy when the listener forwards 50/50', async () => {
    const run = world.load({ ratePerSecond: 200, durationMs: 3_000 });
    const result = await run.done;
    const summary = summarise(result.records);
    process.stdout.write(
      `drill-world: balanced run ${JSON.stringify(summary)} achieved ${result.achievedRate.toFixed(0)} req/s\n`,
    );
    expect(summary.requests).toBeGreaterThanOrEqual(580);
    expect(summary.failureRate).toBe(0);
    const ids = world.control.instances.map((i) => i.instanceId);
    for (const id of ids) expect(summary.byServedBy[id] ?? 0).toBeGreaterThan(summary.requests * 0.15);
  });

  it('follows a 100/0 listener change and three deregistrations to the single survivor', async () => {
    const { elbv2 } = world.clients;
    const webA = world.control.targetGroups['web-a'];
    const webB = world.control.targetGroups['web-b'];
    if (!webA || !webB) throw new Error('shop lacks web-a/web-b');
    const [survivor, goneA] = world.control.instances.filter((i) => i.groupName === 'web-a');
    const goneB = world.control.instances.filter((i) => i.groupName === 'web-b');
    if (!survivor || !goneA) throw new Error('web-a lacks two instances');

    const weights = await syncChange(world, () =>
      elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: world.control.listenerArn,
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: webA.arn, Weight: 100 },
                  { TargetGroupArn: webB.arn, Weight: 0 },
                ],
              },
            },
          ],
        }),
      ),
    );
    lags.push(lagOf(weights, 'weights'));

    const dereg = await syncChange(world, async () => {
      await elbv2.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: webA.arn,
          Targets: [{ Id: goneA.instanceId, Port: 80 }],
        }),
      );
      await elbv2.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: webB.arn,
          Targets: goneB.map((i) => ({ Id: i.instanceId, Port: 80 })),
        }),
      );
    });
    lags.push(lagOf(dereg, 'server-state'));

    const run = world.load({ ratePerSecond: 100, durationMs: 1_000, seed: 2 });
    const result = await run.done;
    expect(Object.keys(servedBy(result.records))).toEqual([survivor.instanceId]);
    expect(summarise(result.records).failureRate).toBe(0);
  });

  it('overloads the survivor into 503s and a crash that moto reports as a stopped instance', async () => {
    const webA = world.control.targetGroups['web-a'];
    const [survivor] = world.control.instances.filter((i) => i.groupName === 'web-a');
    if (!webA || !survivor) throw new Error('shop lacks web-a');
    world.fleet.tune(survivor.instanceId, {
      capacityRps: 60,
      fallOverUtilisation: 1.5,
      fallOverAfterMs: 800,
    });

    const run = world.load({ ratePerSecond: 200, durationMs: 2_500, seed: 3 });
    const crashed = await waitFor(
      'the survivor to fall over',
      async () =>
        world.fleet.events.find((e) => e.instanceId === survivor.instanceId && e.kind === 'fell-over'),
      { timeoutMs: 5_000 },
    );
    const stopped = await waitFor(
      'moto to report the survivor stopped',
      async () => {
        const out = await world.clients.elbv2.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: webA.arn }),
        );
        const t = out.TargetHealthDescriptions?.find((d) => d.Target?.Id === survivor.instanceId);
        return t?.TargetHealth?.Reason === 'Target.InvalidState' ? t.TargetHealth : undefined;
      },
      { timeoutMs: 3_000, intervalMs: 50 },
    );
    const result = await run.done;
    const summary = summarise(result.records);
    process.stdout.write(
      `drill-world: overload run ${JSON.stringify(summary.byStatus)} crash ${crashed.detail}\n`,
    );
    expect(stopped.State).toBe('unused');
    expect(summary.byStatus['503'] ?? 0).toBeGreaterThan(0);
    // Once the lone target's instance is stopped the group is empty: HAProxy answers 503 itself.
    const afterStop = result.records.filter((r) => r.at > crashed.at + 500 && r.status === 503);
    expect(afterStop.length).toBeGreaterThan(0);
    expect(afterStop.every((r) => r.servedBy === undefined)).toBe(true);

    // The supervisor brings it back and starts the instance again.
    await waitFor(
      'the survivor to restart',
      async () => (world.fleet.status(survivor.instanceId) === 'up' ? true : undefined),
      { timeoutMs: 6_000 },
    );
    world.fleet.tune(survivor.instanceId, { capacityRps: 150, fallOverAfterMs: 1_000 });
  });

  it('answers 503 for the share routed to a target group with no registered targets', async () => {
    const { elbv2 } = world.clients;
    const webA = world.control.targetGroups['web-a'];
    const webB = world.control.targetGroups['web-b'];
    if (!webA || !webB) throw new Error('shop lacks web-a/web-b');
    const webAIds = world.control.instances.filter((i) => i.groupName === 'web-a').map((i) => i.instanceId);
    // Waited for: until the sync has read them, `waitUntilServing` checks the old plan.
    await syncChange(world, async () => {
      await elbv2.send(
        new RegisterTargetsCommand({
          TargetGroupArn: webA.arn,
          Targets: webAIds.map((Id) => ({ Id, Port: 80 })),
        }),
      );
      await elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: world.control.listenerArn,
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: webA.arn, Weight: 50 },
                  { TargetGroupArn: webB.arn, Weight: 50 },
                ],
              },
            },
          ],
        }),
      );
    });
    await world.sync.waitUntilServing(10_000);

    const run = world.load({ ratePerSecond: 200, durationMs: 2_000, seed: 4 });
    const result = await run.done;
    const summary = summarise(result.records);
    const share503 = (summary.byStatus['503'] ?? 0) / summary.requests;
    expect(share503).toBeGreaterThan(0.35);
    expect(share503).toBeLessThan(0.65);
    expect(result.records.filter((r) => r.status === 503).every((r) => r.servedBy === undefined)).toBe(true);
    expect(new Set(Object.keys(summary.byServedBy))).toEqual(new Set(webAIds));
  });

  it('reloads HAProxy for a new path rule and routes by it in priority order', async () => {
    const webA = world.control.targetGroups['web-a'];
    if (!webA) throw new Error('shop lacks web-a');
    const rule = await syncChange(world, () =>
      world.clients.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: world.control.listenerArn,
          Priority: 10,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/cart*'] } }],
          Actions: [
            { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: webA.arn, Weight: 1 }] } },
          ],
        }),
      ),
    );
    const reloadLag = lagOf(rule, 'reload');
    lags.push(reloadLag);
    expect(reloadLag).toBeLessThan(1_500);

    const run = world.load({ ratePerSecond: 150, durationMs: 1_500, seed: 5 });
    const result = await run.done;
    const carts = result.records.filter((r) => r.path === '/cart');
    const webAIds = new Set(
      world.control.instances.filter((i) => i.groupName === 'web-a').map((i) => i.instanceId),
    );
    expect(carts.length).toBeGreaterThan(10);
    expect(carts.every((r) => r.status === 200 && r.servedBy !== undefined && webAIds.has(r.servedBy))).toBe(
      true,
    );
    // A reload loses no request.
    expect(result.records.filter((r) => r.error !== undefined)).toEqual([]);
  });

  it('publishes RequestCount per target group to moto under AWS/ApplicationELB on the drill clock', async () => {
    const metrics = world.metrics;
    if (!metrics) throw new Error('metrics publisher is off');
    await sleep(metrics.periodMs + 200);
    // Stopped first, so that no period is half-written while we read.
    await metrics.stop();
    const published = metrics.published;
    expect(published.length).toBeGreaterThan(3);
    const first = published[0];
    const last = published.at(-1);
    if (!first || !last) throw new Error('nothing published');
    const lbDim = world.control.loadBalancerArn.slice(
      world.control.loadBalancerArn.indexOf(':loadbalancer/') + 14,
    );
    const groups = Object.values(world.control.targetGroups);
    const out = await world.clients.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(first.timestamp),
        EndTime: new Date(Date.parse(last.timestamp) + 60_000),
        MetricDataQueries: [
          ...groups.map((g, i) => ({
            Id: `tg${i}`,
            MetricStat: {
              Metric: {
                Namespace: 'AWS/ApplicationELB',
                MetricName: 'RequestCount',
                Dimensions: [
                  { Name: 'TargetGroup', Value: targetGroupDimension(g.arn) },
                  { Name: 'LoadBalancer', Value: lbDim },
                ],
              },
              Period: 60,
              Stat: 'Sum',
            },
          })),
          {
            Id: 'elb503',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/ApplicationELB',
                MetricName: 'HTTPCode_ELB_503_Count',
                Dimensions: [{ Name: 'LoadBalancer', Value: lbDim }],
              },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    const sum = (id: string): number =>
      (out.MetricDataResults?.find((r) => r.Id === id)?.Values ?? []).reduce((a, b) => a + b, 0);
    groups.forEach((g, i) => {
      const expected = published.reduce((a, p) => a + (p.requestCountByTargetGroup[g.arn] ?? 0), 0);
      expect(expected).toBeGreaterThan(0);
      expect(sum(`tg${i}`)).toBe(expected);
    });
    expect(sum('elb503')).toBeGreaterThan(0);
    // One drill second per AWS minute: consecutive datapoints are one minute apart.
    const second = published[1];
    if (second) expect(Date.parse(second.timestamp) - Date.parse(first.timestamp)).toBe(60_000);
  });

  it('leaves no process behind when stopped', async () => {
    await world.stop();
    expect(runningChildren()).toBe(0);
  });
});

describe('the HAProxy configuration the sync renders', () => {
  it('passes haproxy -c for host, header, method, query and source-ip rules, fixed responses, redirects, three-way weights, IP and lambda targets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lbguard-hacheck-'));
    try {
      const tg = (name: string, extra: object = {}) => ({
        arn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`,
        name,
        targetType: 'instance' as const,
        port: 80,
        healthCheck: { path: '/health', matcher: '200-299,302', intervalSeconds: 10, healthyThreshold: 3 },
        targets: [{ id: `i-${name}1`, port: 80 }],
        ...extra,
      });
      const groups = [
        tg('blue'),
        tg('green'),
        tg('canary'),
        tg('api', {
          targetType: 'ip',
          targets: [
            { id: '127.0.0.1', port: 9443 },
            { id: '10.0.0.7', port: 8081 },
          ],
        }),
        tg('fn', {
          targetType: 'lambda',
          targets: [{ id: 'arn:aws:lambda:us-east-1:123456789012:function:f' }],
        }),
      ];
      const arn = (name: string): string => groups.find((g) => g.name === name)?.arn ?? '';
      const snapshot: LbSnapshot = {
        loadBalancerArn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188',
        targetGroups: groups,
        listeners: [
          {
            arn: 'listener-443',
            port: 443,
            protocol: 'HTTPS',
            defaultActions: [
              {
                type: 'forward',
                targetGroups: [
                  { targetGroupArn: arn('blue'), weight: 700 },
                  { targetGroupArn: arn('green'), weight: 250 },
                  { targetGroupArn: arn('canary'), weight: 50 },
                ],
              },
            ],
            rules: [
              {
                arn: 'r1',
                priority: 1,
                conditions: [{ field: 'host-header', values: ['api.example.com', '*.api.example.com'] }],
                actions: [{ type: 'forward', targetGroups: [{ targetGroupArn: arn('api'), weight: 1 }] }],
              },
              {
                arn: 'r2',
                priority: 2,
                conditions: [
                  { field: 'http-header', headerName: 'X-Canary', values: ['yes'] },
                  { field: 'http-request-method', values: ['GET', 'HEAD'] },
                  { field: 'query-string', values: ['debug=tr?e', "=it's"] },
                ],
                actions: [
                  { type: 'authenticate-oidc', order: 1, config: { Issuer: 'https://idp.example.com' } },
                  { type: 'forward', order: 2, targetGroups: [{ targetGroupArn: arn('canary'), weight: 1 }] },
                ],
              },
              {
                arn: 'r3',
                priority: 3,
                conditions: [{ field: 'path-pattern', values: ['/maintenance/*', '/$pecial?'] }],
                actions: [
                  {
                    type: 'fixed-response',
                    statusCode: '503',
                    contentType: 'text/html',
                    messageBody: 'back "soon"',
                  },
                ],
              },
              {
                arn: 'r4',
                priority: 4,
                conditions: [{ field: 'source-ip', values: ['10.0.0.0/8', '192.168.1.1/32'] }],
                actions: [
                  { type: 'redirect', statusCode: 'HTTP_301', host: 'www.example.com', path: '/#{path}' },
                ],
              },
              {
                arn: 'r5',
                priority: 5,
                conditions: [{ field: 'path-pattern', values: ['/fn/*'] }],
                actions: [{ type: 'forward', targetGroups: [{ targetGroupArn: arn('fn'), weight: 1 }] }],
              },
              {
                arn: 'r6',
                priority: 6,
                conditions: [{ field: 'path-pattern', values: ['/empty'] }],
                actions: [{ type: 'fixed-response', statusCode: '204' }],
              },
            ],
          },
        ],
      };
      const plan = renderHaproxy({
        snapshot,
        health: [],
        listenerBinds: new Map([[443, 18443]]),
        resolve: (_g, t) =>
          t.id.startsWith('127.') && t.port
            ? { host: t.id, port: t.port }
            : { host: '127.0.0.1', port: 18000 },
        dir,
        healthCheckScale: 60,
      });
      await execFileAsync('mkdir', ['-p', join(dir, 'maps'), join(dir, 'errors')]);
      await writeFile(join(dir, 'errors', '502.http'), BAD_GATEWAY_ERRORFILE);
      for (const [path, entries] of plan.maps) await writeFile(path, renderMapFile(entries));
      await writeFile(join(dir, 'haproxy.cfg'), plan.config);
      const { stderr } = await execFileAsync('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')]);
      expect(stderr).not.toMatch(/ALERT/);
      expect([...plan.maps.values()].find((m) => m.length === 3)).toEqual([
        { key: '0:699', value: 'tg_blue' },
        { key: '700:949', value: 'tg_green' },
        { key: '950:999', value: 'tg_canary' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
