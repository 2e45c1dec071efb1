import { describe, expect, it } from 'vitest';
import { operationOf, type RecordedCall, timeByOperation, waitsOf } from '../../../bench/recording-proxy.ts';

describe('recording proxy naming', () => {
  it('names ARC reads as one operation, not one per load balancer ARN in the path', () => {
    const path =
      '/managedresources/arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A123456789012%3Aloadbalancer%2Fapp%2Ffleet%2Fd898f98cb55b2a39';
    expect(operationOf('GET', path, {}, '')).toBe('GetManagedResource');
  });

  it('sums request time by operation, largest first', () => {
    const call = (service: string, operation: string, ms: number): RecordedCall => ({
      service,
      operation,
      status: 200,
      units: { read: 0, write: 0 },
      ms,
      startMs: 0,
    });
    const byOp = timeByOperation([
      call('dynamodb', 'Query', 30),
      call('elasticloadbalancing', 'DescribeRules', 5),
      call('dynamodb', 'Query', 20),
    ]);
    expect(Object.entries(byOp)).toEqual([
      ['dynamodb:Query', 50],
      ['elasticloadbalancing:DescribeRules', 5],
    ]);
  });
});

describe('waits of a cycle', () => {
  it.each([
    { calls: [], busyMs: 0, roundTrips: 0 },
    { calls: [{ startMs: 0, ms: 10 }], busyMs: 10, roundTrips: 1 },
    // Two in flight together, then one after a gap: two round trips, 25 ms waited.
    {
      calls: [
        { startMs: 0, ms: 10 },
        { startMs: 5, ms: 10 },
        { startMs: 30, ms: 10 },
      ],
      busyMs: 25,
      roundTrips: 2,
    },
    // A long call covering a short one.
    {
      calls: [
        { startMs: 20, ms: 2 },
        { startMs: 0, ms: 50 },
      ],
      busyMs: 50,
      roundTrips: 1,
    },
  ])('$roundTrips round trips, $busyMs ms waited', ({ calls, busyMs, roundTrips }) => {
    expect(waitsOf(calls)).toEqual({ busyMs, roundTrips });
  });
});
