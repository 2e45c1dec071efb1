import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Renderer } from '../../../cli/render.ts';
import {
  causeTone,
  renderDiagnosis,
  renderDrift,
  renderRoutes,
  toDriftView,
  toIncidentView,
  toLastGoodView,
  toRouteViews,
} from '../../../cli/views.ts';
import { diffSnapshots } from '../../../lib/drift.ts';
import { startIncident } from '../../../lib/incident.ts';
import type { RootCause } from '../../../lib/types.ts';
import {
  arbSnapshotWithHealth,
  forward,
  healthOf,
  listener,
  outageCurrent,
  outageLastGood,
  shopTopology,
  snapshot,
  targetGroup,
  tgArn,
} from '../fixtures/topologies.ts';

const plain = new Renderer(false);

describe('toRouteViews', () => {
  it('shows the outage as one target taking all of the default route', () => {
    const current = outageCurrent();
    const [route] = toRouteViews(current, healthOf(current));
    expect(route).toMatchObject({
      listenerPort: 80,
      priority: 'default',
      description: 'listener :80 default action',
    });
    expect(route?.shares).toEqual([
      {
        destination: 'i-0a:80',
        kind: 'target',
        targetGroup: 'web-a',
        targetGroupArn: tgArn('web-a'),
        share: 1,
        health: 'healthy',
        healthReason: null,
        observedShare: null,
      },
    ]);
  });

  it('covers every shape a real load balancer has: redirects, IP targets on odd ports, lambda, fixed responses', () => {
    const shop = shopTopology();
    const views = toRouteViews(shop, healthOf(shop));
    const destinations = views.flatMap((v) => v.shares.map((s) => s.destination));
    expect(destinations).toEqual(
      expect.arrayContaining([
        'redirect',
        '10.0.1.17:31337',
        'arn:aws:lambda:eu-west-1:123456789012:function:thumbs',
        'fixed-response:503',
      ]),
    );
    expect(views.find((v) => v.priority === 40)?.shares[0]).toMatchObject({
      kind: 'fixed-response',
      targetGroup: null,
      health: null,
    });
  });

  it('names an empty group and the groups ALB fails open on', () => {
    const empty = targetGroup('web-b', []);
    const sick = targetGroup('web-a', ['i-0a:80']);
    const s = snapshot([listener(80, [forward([sick, 1], [empty, 1])])], [sick, empty]);
    const [route] = toRouteViews(s, healthOf(s, { 'i-0a:80': 'unhealthy' }));
    expect(route?.failOpen).toEqual(['web-a']);
    expect(route?.shares.map((x) => x.destination)).toEqual(
      expect.arrayContaining(['empty-group:web-b', 'i-0a:80']),
    );
    expect(renderRoutes(plain, route ? [route] : [])).toContain('(failing open: web-a)');
  });

  it('adds what a served-by sample observed, by id:port or by instance id', () => {
    const lastGood = outageLastGood();
    const views = toRouteViews(lastGood, healthOf(lastGood), {
      service: 'shop',
      at: '2026-11-24T14:02:00.000Z',
      counts: { 'i-0a:80': 30, 'i-0b': 10 },
    });
    const shares = Object.fromEntries(views[0]?.shares.map((s) => [s.destination, s.observedShare]) ?? []);
    expect(shares).toEqual({ 'i-0a:80': 0.75, 'i-0b:80': 0.25, 'i-0c:80': null, 'i-0d:80': null });
    expect(renderRoutes(plain, views)).toContain('OBSERVED');
  });

  it('gives every route shares that sum to 1, whatever the topology and health', () => {
    fc.assert(
      fc.property(arbSnapshotWithHealth(), ({ snapshot: s, health }) => {
        for (const route of toRouteViews(s, health)) {
          const total = route.shares.reduce((sum, x) => sum + x.share, 0);
          if (route.shares.length > 0) expect(total).toBeCloseTo(1, 6);
        }
      }),
    );
  });
});

describe('human rendering', () => {
  it('lists drift with rule ids and marks what no plan may restore', () => {
    const drift = diffSnapshots(outageCurrent(), outageLastGood()).map(toDriftView);
    const text = renderDrift(plain, drift);
    expect(text).toContain(
      'LBG-D3 weights-changed: listener :80 default action weights web-a/web-b 50/50 → 100/0',
    );
    expect(renderDrift(plain, [])).toBe('drift: none against last known good');
    expect(renderDrift(plain, [{ ...drift[0], remediable: false } as (typeof drift)[number]])).toContain(
      '(not remediable)',
    );
  });

  it('renders the diagnosis with its evidence, most telling first', () => {
    const text = renderDiagnosis(plain, {
      cause: 'routing-skew',
      lbFault: true,
      remediable: true,
      severity: 'critical',
      summary: 'Routing skew',
      evidence: ['first', 'second'],
    });
    expect(text).toBe(
      'diagnosis: routing-skew (critical, load balancer fault, remediable)\n  Routing skew\n  evidence:\n    • first\n    • second',
    );
  });

  it.each([
    ['healthy', 'ok'],
    ['backend-errors-balanced', 'warn'],
    ['targets-unhealthy-balanced', 'warn'],
    ['unknown', 'warn'],
    ['routing-skew', 'bad'],
    ['missing-targets', 'bad'],
    ['listener-drift', 'bad'],
    ['no-healthy-targets', 'bad'],
    ['single-survivor', 'bad'],
  ] as const)('colours %s as %s', (cause: RootCause, tone) => {
    expect(causeTone(cause)).toBe(tone);
  });

  it('maps a missing last known good and incident to null in JSON', () => {
    expect(toLastGoodView(undefined)).toBeNull();
    expect(toIncidentView(undefined)).toBeNull();
    expect(toIncidentView(startIncident('shop', '2026-11-24T14:02:11.000Z'))).toEqual({
      id: 'shop#2026-11-24T14:02:11.000Z',
      state: 'ok',
      openedAt: '2026-11-24T14:02:11.000Z',
      updatedAt: '2026-11-24T14:02:11.000Z',
      approval: null,
    });
  });
});
