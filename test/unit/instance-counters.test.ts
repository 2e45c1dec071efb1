import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countsByInstance,
  formatInstanceCounterLine,
  type InstanceCounter,
  parseInstanceCounterLine,
} from '../../lib/instance-counters.ts';
import { forward, listener, snapshot, targetGroup } from './fixtures/topologies.ts';

const AT = '2025-02-25T14:05:00.000Z';
const MS = Date.parse(AT);

/** The documented line (docs/per-target-distribution.md), with parts replaced by `patch`. */
function line(patch: Record<string, unknown> = {}, directive: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _aws: {
      Timestamp: MS,
      CloudWatchMetrics: [
        {
          Namespace: 'LbGuard/Instances',
          Dimensions: [['Service', 'InstanceId']],
          Metrics: [{ Name: 'InstanceRequests', Unit: 'Count' }],
          ...directive,
        },
      ],
    },
    Service: 'shop',
    InstanceId: 'i-0a',
    InstanceRequests: 42,
    ...patch,
  });
}

describe('parseInstanceCounterLine', () => {
  it('reads the documented line', () => {
    expect(parseInstanceCounterLine(line())).toEqual({
      kind: 'ok',
      counter: { service: 'shop', instanceId: 'i-0a', count: 42, at: AT },
    });
  });

  it.each([
    {
      name: 'the exact line the docs show',
      text: `{"_aws":{"Timestamp":${MS},"CloudWatchMetrics":[{"Namespace":"LbGuard/Instances","Dimensions":[["Service","InstanceId"]],"Metrics":[{"Name":"InstanceRequests","Unit":"Count"}]}]},"Service":"shop","InstanceId":"i-0a","InstanceRequests":42}`,
      count: 42,
    },
    { name: 'surrounding whitespace', text: `  ${line()}\n`, count: 42 },
    {
      name: 'an array of counts, summed as EMF does',
      text: line({ InstanceRequests: [10, 20, 12] }),
      count: 42,
    },
    { name: 'no unit', text: line({}, { Metrics: [{ Name: 'InstanceRequests' }] }), count: 42 },
    {
      name: "Powertools' lower-case service dimension",
      text: (() => {
        const { Service: _omit, ...rest } = JSON.parse(line()) as Record<string, unknown>;
        return JSON.stringify({ ...rest, service: 'shop' }).replace('"Service"', '"service"');
      })(),
      count: 42,
    },
    { name: 'a zero count', text: line({ InstanceRequests: 0 }), count: 0 },
    {
      name: 'other metrics in another directive of the same line',
      text: (() => {
        const parsed = JSON.parse(line()) as { _aws: { CloudWatchMetrics: unknown[] } };
        parsed._aws.CloudWatchMetrics.unshift({
          Namespace: 'Shop',
          Dimensions: [[]],
          Metrics: [{ Name: 'Orders' }],
        });
        return JSON.stringify(parsed);
      })(),
      count: 42,
    },
    {
      name: 'dimensions in the other order',
      text: line({}, { Dimensions: [['InstanceId', 'Service']] }),
      count: 42,
    },
  ])('accepts $name', ({ text, count }) => {
    const parsed = parseInstanceCounterLine(text);
    expect(parsed.kind === 'ok' ? parsed.counter.count : parsed.reason).toBe(count);
  });

  it.each([
    { name: 'a plain log line', text: 'GET / 200 12ms', code: 'not-json' },
    { name: 'broken JSON', text: '{"_aws":', code: 'not-json' },
    { name: 'a JSON array', text: '[]', code: 'not-json' },
    { name: 'JSON null in braces', text: '{} ', code: 'not-emf' },
    { name: 'JSON without _aws', text: '{"level":"info"}', code: 'not-emf' },
    { name: 'an _aws without metrics', text: '{"_aws":{"Timestamp":1}}', code: 'not-emf' },
    { name: 'EMF for another namespace', text: line({}, { Namespace: 'Shop' }), code: 'other-metric' },
    {
      name: 'EMF for another metric',
      text: line({}, { Metrics: [{ Name: 'Orders' }] }),
      code: 'other-metric',
    },
    {
      name: 'a directive with no metric list',
      text: line({}, { Metrics: 'InstanceRequests' }),
      code: 'other-metric',
    },
    {
      name: 'a directive that is not an object',
      text: '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[null]}}',
      code: 'other-metric',
    },
  ])('skips $name as $code', ({ text, code }) => {
    const parsed = parseInstanceCounterLine(text);
    expect(parsed.kind === 'error' ? parsed.code : 'ok').toBe(code);
  });

  it.each([
    {
      name: 'a timestamp in ISO form',
      text: JSON.stringify({ ...JSON.parse(line()), _aws: { ...JSON.parse(line())._aws, Timestamp: AT } }),
      reason: '_aws.Timestamp must be milliseconds since the epoch (a number)',
    },
    {
      name: 'a negative timestamp',
      text: JSON.stringify({ ...JSON.parse(line()), _aws: { ...JSON.parse(line())._aws, Timestamp: -1 } }),
      reason: '_aws.Timestamp must be milliseconds since the epoch (a number)',
    },
    {
      name: 'a unit other than Count',
      text: line({}, { Metrics: [{ Name: 'InstanceRequests', Unit: 'Count/Second' }] }),
      reason: 'InstanceRequests must have Unit "Count", not "Count/Second"',
    },
    {
      name: 'no dimensions',
      text: line({}, { Dimensions: [] }),
      reason: 'Dimensions must be [["Service", "InstanceId"]]',
    },
    {
      name: 'dimensions that are not a list',
      text: line({}, { Dimensions: 'Service' }),
      reason: 'Dimensions must be [["Service", "InstanceId"]]',
    },
    {
      name: 'a second dimension set, which would double the metric bill',
      text: line({}, { Dimensions: [['Service', 'InstanceId'], ['Service']] }),
      reason:
        'Dimensions must be exactly [["Service", "InstanceId"]]: each further dimension set is another custom metric ($0.30 a month each)',
    },
    {
      name: 'a third dimension',
      text: line({ AZ: 'a' }, { Dimensions: [['Service', 'InstanceId', 'AZ']] }),
      reason: 'Dimensions must be [["Service", "InstanceId"]], not [["Service","InstanceId","AZ"]]',
    },
    {
      name: 'a set without InstanceId',
      text: line({}, { Dimensions: [['Service', 'Host']] }),
      reason: 'Dimensions must be [["Service", "InstanceId"]], not [["Service","Host"]]',
    },
    {
      name: 'a set without Service',
      text: line({}, { Dimensions: [['Region', 'InstanceId']] }),
      reason: 'Dimensions must be [["Service", "InstanceId"]], not [["Region","InstanceId"]]',
    },
    { name: 'an empty service', text: line({ Service: '' }), reason: 'Service must be a non-empty string' },
    {
      name: 'a numeric instance id',
      text: line({ InstanceId: 7 }),
      reason: 'InstanceId must be a non-empty string',
    },
    {
      name: 'a negative count',
      text: line({ InstanceRequests: -1 }),
      reason: 'InstanceRequests must be a non-negative number (or an array of them)',
    },
    {
      name: 'a count as a string',
      text: line({ InstanceRequests: '42' }),
      reason: 'InstanceRequests must be a non-negative number (or an array of them)',
    },
    {
      name: 'an array with a bad count',
      text: line({ InstanceRequests: [1, null] }),
      reason: 'InstanceRequests must be a non-negative number (or an array of them)',
    },
  ])('rejects $name, saying how to fix it', ({ text, reason }) => {
    expect(parseInstanceCounterLine(text)).toEqual({ kind: 'error', code: 'invalid', reason });
  });

  it('reads back every line it formats', () => {
    const counter = fc.record({
      service: fc.string({ minLength: 1 }),
      instanceId: fc.string({ minLength: 1 }),
      count: fc.nat(),
      at: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString()),
    });
    fc.assert(
      fc.property(counter, (c: InstanceCounter) => {
        expect(parseInstanceCounterLine(formatInstanceCounterLine(c))).toEqual({ kind: 'ok', counter: c });
      }),
    );
  });

  it('never throws, whatever the line', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        expect(['ok', 'error']).toContain(parseInstanceCounterLine(text).kind);
      }),
    );
  });
});

describe('formatInstanceCounterLine', () => {
  it('writes the documented line', () => {
    expect(formatInstanceCounterLine({ service: 'shop', instanceId: 'i-0a', count: 42, at: AT })).toBe(
      line(),
    );
  });

  it('rejects a time it cannot read', () => {
    expect(() => formatInstanceCounterLine({ service: 's', instanceId: 'i', count: 1, at: 'now' })).toThrow(
      RangeError,
    );
  });
});

describe('countsByInstance', () => {
  const lines = [
    line({ InstanceId: 'i-0a', InstanceRequests: 40 }),
    'GET /health 200',
    line({ InstanceId: 'i-0b', InstanceRequests: 10 }),
    line({ InstanceId: 'i-0a', InstanceRequests: 2 }),
    line({ Service: 'admin', InstanceId: 'i-0f', InstanceRequests: 7 }),
    line({ InstanceId: 'i-0a', InstanceRequests: 1000 }).replace(String(MS), String(MS - 3_600_000)),
  ];

  it('sums counter lines per instance and skips everything else', () => {
    expect(countsByInstance(lines)).toEqual({ 'i-0a': 1042, 'i-0b': 10, 'i-0f': 7 });
  });

  it.each([
    { name: 'one service', options: { service: 'shop' }, counts: { 'i-0a': 1042, 'i-0b': 10 } },
    {
      name: 'a window',
      options: { since: '2025-02-25T14:00:00.000Z', until: '2025-02-25T14:10:00.000Z' },
      counts: { 'i-0a': 42, 'i-0b': 10, 'i-0f': 7 },
    },
    { name: 'a window that ends before the lines', options: { until: AT }, counts: { 'i-0a': 1000 } },
  ])('keeps $name', ({ options, counts }) => {
    expect(countsByInstance(lines, options)).toEqual(counts);
  });

  it('reads CloudWatch datapoints, with or without a time', () => {
    expect(
      countsByInstance(
        [
          { service: 'shop', instanceId: 'i-0a', count: 5 },
          { service: 'shop', instanceId: 'i-0a', count: 6, at: AT },
          { service: 'shop', instanceId: 'i-0b', count: 1, at: '2025-02-25T13:00:00.000Z' },
        ],
        { since: '2025-02-25T14:00:00.000Z' },
      ),
    ).toEqual({ 'i-0a': 11 });
  });

  it('maps instance ids to target keys when given the snapshot, and keeps the rest as printed', () => {
    const web = targetGroup('web', ['i-0a:8080', 'i-0b:8080'], { port: 8080 });
    const snap = snapshot([listener(80, [forward([web, 1])])], [web]);
    expect(countsByInstance(lines, { service: 'shop', snapshot: snap })).toEqual({
      'i-0a:8080': 1042,
      'i-0b:8080': 10,
    });
    expect(countsByInstance([line({ InstanceId: 'web-1' })], { snapshot: snap })).toEqual({ 'web-1': 42 });
  });
});
