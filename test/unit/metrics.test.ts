import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EmittedValue,
  LBGUARD_METRICS,
  type LbGuardMetricName,
  planEmfRecord,
  publishedMetricNames,
  SIGNAL_CODES,
} from '../../lib/metrics.ts';

const count = (name: LbGuardMetricName, value: number): EmittedValue => ({ name, unit: 'Count', value });
const ms = (name: LbGuardMetricName, value: number): EmittedValue => ({ name, unit: 'Milliseconds', value });

describe('planEmfRecord', () => {
  it.each([
    {
      what: 'a passing probe round publishes only ProbeSuccess; latency, 503s and spread stay properties',
      values: [
        count('ProbeSuccess', 1),
        ms('ProbeLatency', 80),
        ms('ProbeLatency', 120),
        count('Probe503', 0),
        count('ServedBySpread', 3),
      ],
      metrics: [count('ProbeSuccess', 1)],
      properties: { ProbeLatency: 120, Probe503: 0, ServedBySpread: 3 },
    },
    {
      what: 'a healthy inspect cycle publishes nothing',
      values: [count('SkewDetected', 0), count('DriftCount', 0)],
      metrics: [],
      properties: { SkewDetected: 0, DriftCount: 0 },
    },
    {
      what: 'skew becomes Signal 1, drift its own count',
      values: [count('SkewDetected', 1), count('DriftCount', 2), ms('PropagationLag', 4000)],
      metrics: [
        count('DriftCount', 2),
        ms('PropagationLag', 4000),
        count('Signal', SIGNAL_CODES.routingSkew),
      ],
      properties: { SkewDetected: 1 },
    },
    {
      what: 'a failed remediation becomes Signal 2',
      values: [count('RemediationFailed', 1)],
      metrics: [count('Signal', SIGNAL_CODES.remediationFailed)],
      properties: { RemediationFailed: 1 },
    },
    {
      what: 'an escalation outranks the failure beside it',
      values: [count('RemediationFailed', 1), count('IncidentEscalated', 1)],
      metrics: [count('Signal', SIGNAL_CODES.incidentEscalated)],
      properties: { RemediationFailed: 1, IncidentEscalated: 1 },
    },
  ])('$what', ({ values, metrics, properties }) => {
    expect(planEmfRecord(values)).toEqual({ metrics, properties });
  });

  it('never publishes a name outside the billed list, and publishes a verdict whenever one is present', () => {
    const names = Object.values(LBGUARD_METRICS).filter((n) => n !== 'Signal');
    const value = fc.record({
      name: fc.constantFrom(...names),
      unit: fc.constantFrom('Count' as const, 'Milliseconds' as const),
      value: fc.nat({ max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(value, { maxLength: 12 }), (values) => {
        const plan = planEmfRecord(values);
        for (const m of plan.metrics) expect(publishedMetricNames()).toContain(m.name);
        const verdict = values.some(
          (v) => ['SkewDetected', 'RemediationFailed', 'IncidentEscalated'].includes(v.name) && v.value > 0,
        );
        expect(plan.metrics.some((m) => m.name === 'Signal' && m.value > 0)).toBe(verdict);
      }),
    );
  });

  it('bills at most one gauge per service: ProbeSuccess; the rest only when something happened', () => {
    expect(publishedMetricNames().sort()).toEqual([
      'DriftCount',
      'EnrolmentTransitions',
      'ProbeSuccess',
      'PropagationLag',
      'RegistryUnreadable',
      'Signal',
    ]);
  });
});
