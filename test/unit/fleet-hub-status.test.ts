import { describe, expect, it } from 'vitest';
import { readHubItems } from '../../lib/fleet/hub-items.ts';
import { summariseHub } from '../../lib/fleet/hub-status.ts';
import {
  A,
  B,
  coverageItem,
  healthyHub,
  lbArn,
  lbItem,
  NOW,
  serviceItem,
  spokeItem,
} from './fixtures/hub-items.ts';

const now = new Date(NOW);
const summarise = (items: Record<string, unknown>[], minutes = 5) =>
  summariseHub(readHubItems(items, now), now, minutes);

describe('readHubItems', () => {
  it('sorts items by kind, taking account and region from the keys and dropping keys and TTL', () => {
    const table = readHubItems(healthyHub(), now);
    expect(table.spokes).toEqual([
      {
        account: A,
        region: 'us-east-1',
        lastHeartbeatAt: '2026-11-24T14:01:41.000Z',
        lbguardVersion: '1.4.0',
        guarded: 1,
        refused: [],
      },
      {
        account: B,
        region: 'eu-west-1',
        lastHeartbeatAt: '2026-11-24T14:01:41.000Z',
        lbguardVersion: '1.4.0',
        guarded: 1,
        refused: [],
      },
    ]);
    expect(table.loadBalancers.map((l) => [l.account, l.region, l.service, l.status, l.diagnosis])).toEqual([
      [A, 'us-east-1', 'shop', 'inspected', 'healthy'],
      [B, 'eu-west-1', 'checkout', 'inspected', 'healthy'],
    ]);
    expect(table.services).toEqual([
      expect.objectContaining({
        account: B,
        region: 'eu-west-1',
        service: 'checkout',
        loadBalancerArn: lbArn(B, 'eu-west-1', 'checkout'),
      }),
    ]);
    expect(table.services[0]?.lastTransition).toEqual({
      at: '2026-11-24T13:58:11.000Z',
      incidentId: 'inc-checkout',
      from: 'verifying',
      to: 'resolved',
      summary: 'verifying → resolved',
    });
    expect(table.coverage).toEqual({
      at: '2026-11-24T14:01:51.000Z',
      uncovered: [],
      scopes: 2,
      unreadable: [],
    });
    expect(table.malformed).toEqual([]);
  });

  it('leaves out items past their expiresAt, as if DynamoDB had already deleted them', () => {
    const expired = { ...spokeItem(A, 'us-east-1'), expiresAt: now.getTime() / 1000 - 1 };
    expect(readHubItems([expired], now).spokes).toEqual([]);
  });

  it.each([
    ['a spoke whose key is not account#region', { ...spokeItem(A, 'us-east-1'), sk: 'nope' }, 'SPOKE nope'],
    [
      'a spoke without its heartbeat time',
      { ...spokeItem(A, 'us-east-1'), lastHeartbeatAt: 5 },
      `SPOKE ${A}#us-east-1`,
    ],
    [
      'a load balancer line with an unknown status',
      { ...lbItem(A, 'us-east-1', 'shop'), status: 'asleep' },
      `LB#${A}#us-east-1 ${lbArn(A, 'us-east-1', 'shop')}`,
    ],
    [
      'a load balancer line keyed by another ARN',
      { ...lbItem(A, 'us-east-1', 'shop'), sk: 'other' },
      `LB#${A}#us-east-1 other`,
    ],
    [
      'a service item in a bad scope',
      { ...serviceItem(A, 'us-east-1', 'shop', 'a', 'b'), pk: 'SERVICE#12#x' },
      'SERVICE#12#x shop',
    ],
    [
      'a service item without updatedAt',
      { ...serviceItem(A, 'us-east-1', 'shop', 'a', 'b'), updatedAt: undefined },
      `SERVICE#${A}#us-east-1 shop`,
    ],
    ['a coverage result without its list', { ...coverageItem(), uncovered: 'none' }, 'COVERAGE LATEST'],
    ['an item without keys', { account: A }, '(an item without pk/sk)'],
  ])('counts %s as malformed and leaves it out', (_, item, named) => {
    const table = readHubItems([item as Record<string, unknown>], now);
    expect(table.malformed).toEqual([named]);
    expect([table.spokes, table.loadBalancers, table.services]).toEqual([[], [], []]);
    expect(table.coverage).toBeUndefined();
  });

  it('ignores kinds it does not know and coverage items other than LATEST', () => {
    const table = readHubItems(
      [
        { pk: 'FUTURE#x', sk: 'y' },
        { ...coverageItem(), sk: 'RUN#1' },
      ],
      now,
    );
    expect(table).toEqual({ spokes: [], loadBalancers: [], services: [], malformed: [] });
  });
});

describe('summariseHub', () => {
  it('is healthy when every spoke is heard from, every service healthy and nothing uncovered', () => {
    const h = summarise(healthyHub());
    expect(h.healthy).toBe(true);
    expect(h.spokes.map((s) => [s.account, s.ageSeconds, s.stale])).toEqual([
      [A, 30, false],
      [B, 30, false],
    ]);
    expect(h.services.map((s) => [s.service, s.status, s.healthy, s.lastTransition?.to ?? null])).toEqual([
      ['shop', 'inspected', true, null],
      ['checkout', 'inspected', true, 'resolved'],
    ]);
    expect(h.coverage).toEqual({ at: '2026-11-24T14:01:51.000Z', ageSeconds: 20, stale: false, scopes: 2 });
  });

  const refused = {
    loadBalancerArn: lbArn(A, 'us-east-1', 'bad'),
    code: 'unknown-profile',
    message: 'no such profile',
  };
  const uncovered = {
    account: A,
    region: 'us-east-1',
    loadBalancerArn: lbArn(A, 'us-east-1', 'x'),
    loadBalancer: 'x',
    reason: 'no heartbeat',
  };
  it.each([
    ['a spoke silent for longer than coverageMinutes', [spokeItem(A, 'us-east-1', { ageSeconds: 301 })]],
    ['a spoke refusing a tagged load balancer', [spokeItem(A, 'us-east-1', { refused: [refused] })]],
    [
      'a service diagnosed other than healthy',
      [lbItem(A, 'us-east-1', 'shop', { diagnosis: 'routing-skew' })],
    ],
    ['an open incident', [lbItem(A, 'us-east-1', 'shop', { incidentState: 'mitigating' })]],
    ['a failed inspection', [lbItem(A, 'us-east-1', 'shop', { status: 'failed' })]],
    ['an uncovered load balancer', [coverageItem({ uncovered: [uncovered] })]],
    [
      'an unreadable scope',
      [coverageItem({ unreadable: [{ account: B, region: 'eu-west-1', error: 'AccessDenied' }] })],
    ],
    ['a coverage check older than coverageMinutes', [coverageItem({ ageSeconds: 400 })]],
  ])('is not healthy with %s', (_, extra) => {
    const items = healthyHub();
    const keyOf = (i: { pk: string; sk: string }) => `${i.pk}|${i.sk}`;
    const replaced = new Set(extra.map(keyOf));
    expect(summarise([...items.filter((i) => !replaced.has(keyOf(i))), ...extra]).healthy).toBe(false);
  });

  it('is not healthy before the coverage check has ever run', () => {
    const h = summarise(healthyHub().filter((i) => i.pk !== 'COVERAGE'));
    expect([h.coverage, h.healthy]).toEqual([null, false]);
  });

  it.each([
    ['ok', true],
    ['resolved', true],
    ['suspected', false],
    ['escalated', false],
  ])('judges incident state %s as closed: %s', (incidentState, healthy) => {
    const h = summarise([
      spokeItem(A, 'us-east-1'),
      lbItem(A, 'us-east-1', 'shop', { incidentState }),
      coverageItem(),
    ]);
    expect(h.services[0]?.healthy).toBe(healthy);
  });

  it('leaves out load balancers the spoke stopped listing, and shows services known only by their events', () => {
    const h = summarise([
      spokeItem(A, 'us-east-1', { ageSeconds: 10 }),
      lbItem(A, 'us-east-1', 'shop', { ageSeconds: 10 }),
      // Released an hour ago: its last line stays until its TTL.
      lbItem(A, 'us-east-1', 'old', { ageSeconds: 3600, diagnosis: 'routing-skew' }),
      serviceItem(B, 'eu-west-1', 'orphan', 'confirmed', 'mitigating'),
      coverageItem(),
    ]);
    expect(h.services.map((s) => [s.account, s.service, s.status, s.healthy])).toEqual([
      [A, 'shop', 'inspected', true],
      [B, 'orphan', 'unreported', true],
    ]);
    expect(h.healthy).toBe(true);
  });

  it('keeps a silent spoke’s load balancers (judged against its own last heartbeat)', () => {
    const h = summarise([
      spokeItem(A, 'us-east-1', { ageSeconds: 7200 }),
      lbItem(A, 'us-east-1', 'shop', { ageSeconds: 7200 }),
      coverageItem(),
    ]);
    expect(h.services.map((s) => s.service)).toEqual(['shop']);
    expect(h.spokes[0]?.stale).toBe(true);
  });

  it('keeps load balancer lines of a scope without a spoke item, and event-only services without a transition', () => {
    const { lastTransition: _, ...noTransition } = serviceItem(B, 'eu-west-1', 'quiet', 'a', 'b');
    const h = summarise([lbItem(A, 'us-east-1', 'shop', { ageSeconds: 9000 }), noTransition, coverageItem()]);
    expect(h.services.map((s) => [s.service, s.status, 'lastTransition' in s])).toEqual([
      ['shop', 'inspected', false],
      ['quiet', 'unreported', false],
    ]);
  });

  it('lists spokes and services in account, region, service order', () => {
    const h = summarise([
      spokeItem(B, 'eu-west-1'),
      spokeItem(A, 'us-east-1'),
      spokeItem(A, 'eu-west-1'),
      lbItem(A, 'us-east-1', 'zeta'),
      lbItem(A, 'us-east-1', 'alpha'),
      lbItem(A, 'eu-west-1', 'mid'),
    ]);
    expect(h.spokes.map((s) => `${s.account} ${s.region}`)).toEqual([
      `${A} eu-west-1`,
      `${A} us-east-1`,
      `${B} eu-west-1`,
    ]);
    expect(h.services.map((s) => s.service)).toEqual(['mid', 'alpha', 'zeta']);
  });
});
