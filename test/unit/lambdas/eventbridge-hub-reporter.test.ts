import type { HttpRequest, HttpResponse } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { createElbv2Client } from '../../../lambdas/adapters/clients.ts';
import {
  EventBridgeHubReporter,
  entrySize,
  PUT_EVENTS_MAX_BYTES,
  PUT_EVENTS_MAX_ENTRIES,
  type PutEventsEntry,
  toBatches,
  toEntries,
} from '../../../lambdas/adapters/eventbridge-hub-reporter.ts';
import type { BorrowedClientConfig } from '../../../lambdas/adapters/signed-request.ts';
import {
  type GuardedLoadBalancer,
  type HeartbeatDetail,
  HUB_DETAIL_TYPES,
  type HubEvent,
} from '../../../lib/fleet/hub-events.ts';

// The reporter with a request handler standing in for EventBridge: it records each PutEvents
// call and answers from a script, so partial failures and outages are exact.

const { sha256 } = createElbv2Client({ region: 'eu-west-1' }).config;
const AT = '2026-12-05T06:00:00.000Z';
const arn = (i: number) =>
  `arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/lb-${i}/${String(i).padStart(16, '0')}`;

type Answer = (entries: PutEventsEntry[]) => HttpResponse | Error;

function standIn(answers: Answer[]) {
  const calls: { request: HttpRequest; entries: PutEventsEntry[] }[] = [];
  const config: BorrowedClientConfig = {
    region: async () => 'eu-west-1',
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    sha256,
    maxAttempts: async () => 3,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        const entries = (JSON.parse(String(request.body)) as { Entries: PutEventsEntry[] }).Entries;
        calls.push({ request, entries });
        const answer = (answers.shift() ?? accepted)(entries);
        if (answer instanceof Error) throw answer;
        return { response: answer };
      },
    },
  };
  const warnings: string[] = [];
  const failures: number[] = [];
  const log = {
    debug() {},
    info() {},
    warn: (m: string) => warnings.push(m),
    error: (m: string) => warnings.push(m),
  };
  const reporter = new EventBridgeHubReporter(config, {
    log,
    countFailures: (n) => failures.push(n),
    retryDelayMs: 0,
  });
  return { reporter, calls, warnings, failures };
}

const json = (statusCode: number, body: object): HttpResponse => ({
  statusCode,
  headers: {},
  body: [Buffer.from(JSON.stringify(body))] as never,
});
const accepted: Answer = (entries) =>
  json(200, { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e${i}` })) });
/** Refuses the entries at `indexes` (throttled), accepts the others. */
const refusing =
  (...indexes: number[]): Answer =>
  (entries) =>
    json(200, {
      FailedEntryCount: indexes.length,
      Entries: entries.map((_, i) =>
        indexes.includes(i)
          ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
          : { EventId: `e${i}` },
      ),
    });

function finding(i: number): HubEvent {
  return {
    detailType: HUB_DETAIL_TYPES.finding,
    detail: {
      version: 1,
      at: AT,
      service: `svc-${i}`,
      loadBalancerArn: arn(i),
      diagnosis: 'routing-skew',
      summary: `finding ${i}`,
      evidence: [],
    },
  };
}

function heartbeat(guarded: number, refused = 0): HubEvent & { detail: HeartbeatDetail } {
  const loadBalancers: GuardedLoadBalancer[] = Array.from({ length: guarded }, (_, i) => ({
    loadBalancerArn: arn(i),
    service: `service-number-${i}`,
    status: 'inspected',
    diagnosis: 'healthy',
  }));
  return {
    detailType: HUB_DETAIL_TYPES.heartbeat,
    detail: {
      version: 1,
      at: AT,
      lbguardVersion: '1.0.0',
      loadBalancers,
      refused: Array.from({ length: refused }, (_, i) => ({
        loadBalancerArn: arn(100_000 + i),
        code: 'unknown-profile',
        message: `lbguard:profile names no profile (${i})`,
      })),
    },
  };
}

describe('EventBridgeHubReporter', () => {
  it('puts each event on the default bus as source lbguard with its detail type, signed for events', async () => {
    const { reporter, calls, failures } = standIn([accepted]);
    await reporter.report([finding(1), heartbeat(2)]);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.request.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(call?.request.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(call?.request.hostname).toBe('events.eu-west-1.amazonaws.com');
    expect(call?.request.headers.authorization).toMatch(/\/eu-west-1\/events\/aws4_request/);
    expect(call?.entries.map((e) => [e.Source, e.DetailType, 'EventBusName' in e])).toEqual([
      ['lbguard', 'lbguard Finding', false],
      ['lbguard', 'lbguard Heartbeat', false],
    ]);
    expect(JSON.parse(call?.entries[1]?.Detail ?? '')).toEqual(heartbeat(2).detail);
    expect(failures).toEqual([]);
  });

  it('sends nothing for no events', async () => {
    const { reporter, calls } = standIn([]);
    await reporter.report([]);
    expect(calls).toHaveLength(0);
  });

  it('batches at most 10 entries per call, in order', async () => {
    const { reporter, calls, failures } = standIn([]);
    await reporter.report(Array.from({ length: 23 }, (_, i) => finding(i)));
    expect(calls.map((c) => c.entries.length)).toEqual([10, 10, 3]);
    expect(calls.flatMap((c) => c.entries.map((e) => JSON.parse(e.Detail).service))).toEqual(
      Array.from({ length: 23 }, (_, i) => `svc-${i}`),
    );
    expect(failures).toEqual([]);
  });

  it('retries only the refused entries once, and counts those refused again without throwing', async () => {
    const { reporter, calls, failures, warnings } = standIn([refusing(1, 3), refusing(1)]);
    await expect(reporter.report([0, 1, 2, 3].map(finding))).resolves.toBeUndefined();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.entries.map((e) => JSON.parse(e.Detail).service)).toEqual(['svc-1', 'svc-3']);
    expect(failures).toEqual([1]);
    expect(warnings).toContain('hub events refused by EventBridge');
  });

  it('counts nothing when the retry delivers what was refused', async () => {
    const { reporter, calls, failures } = standIn([refusing(0), accepted]);
    await reporter.report([finding(0), finding(1)]);
    expect(calls).toHaveLength(2);
    expect(failures).toEqual([]);
  });

  it.each([
    ['a network error', () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })],
    ['access denied', () => json(400, { __type: 'AccessDeniedException', message: 'not allowed' })],
    ['throttling', () => json(400, { __type: 'ThrottlingException', message: 'slow down' })],
  ])('never throws on %s: one retry, then every entry is counted', async (_, answer) => {
    const { reporter, calls, failures, warnings } = standIn([answer, answer, answer, answer]);
    await expect(reporter.report([finding(0), finding(1), finding(2)])).resolves.toBeUndefined();
    // One attempt per call (not the client's three) and one retry.
    expect(calls).toHaveLength(2);
    expect(failures).toEqual([3]);
    expect(warnings).toContain('hub events not delivered');
  });

  it('splits a heartbeat too large for one entry into heartbeats of the same shape that fit', async () => {
    const big = heartbeat(4000, 300);
    expect(entrySize(toEntries(big, Number.POSITIVE_INFINITY)[0] as PutEventsEntry)).toBeGreaterThan(
      PUT_EVENTS_MAX_BYTES,
    );
    const { reporter, calls, failures } = standIn([]);
    await reporter.report([big]);
    const parts = calls.flatMap((c) => c.entries);
    expect(parts.length).toBeGreaterThan(1);
    for (const call of calls) {
      expect(call.entries.length).toBeLessThanOrEqual(PUT_EVENTS_MAX_ENTRIES);
      expect(call.entries.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
    }
    const details = parts.map((e) => JSON.parse(e.Detail) as HeartbeatDetail);
    for (const d of details) {
      expect(Object.keys(d).sort()).toEqual(Object.keys(big.detail).sort());
      expect([d.version, d.at, d.lbguardVersion]).toEqual([1, AT, '1.0.0']);
    }
    expect(details.flatMap((d) => d.loadBalancers)).toEqual(big.detail.loadBalancers);
    expect(details.flatMap((d) => d.refused)).toEqual(big.detail.refused);
    expect(failures).toEqual([]);
  });

  it('leaves events other than heartbeats whole; one too large is counted, not sent', async () => {
    const huge: HubEvent = {
      detailType: HUB_DETAIL_TYPES.finding,
      detail: { ...(finding(0).detail as object), evidence: ['x'.repeat(PUT_EVENTS_MAX_BYTES)] } as never,
    };
    const { reporter, calls, failures } = standIn([]);
    await reporter.report([huge, finding(1)]);
    expect(calls.flatMap((c) => c.entries.map((e) => JSON.parse(e.Detail).service))).toEqual(['svc-1']);
    expect(failures).toEqual([1]);
  });
});

describe('toBatches', () => {
  const sized = (bytes: number): PutEventsEntry => ({
    Source: 'lbguard',
    DetailType: 'x',
    Detail: 'y'.repeat(bytes - 8),
  });

  it.each([
    [[100, 100, 100], 250, [2, 1]],
    [[250, 10], 250, [1, 1]],
    [Array(12).fill(1_000), 1e9, [10, 2]],
  ])('sizes %j under %d bytes batch as %j', (sizes, max, expected) => {
    expect(toBatches(sizes.map(sized), max).map((b) => b.length)).toEqual(expected);
  });
});
