import { describe, expect, it } from 'vitest';
import {
  configurationSkew,
  renderIntentMarkdown,
  runIntentBenchmark,
  underLatency,
  underMitigation,
} from '../../../bench/intent.ts';

// The intent benchmark on a few hundred windows: the figure it reports, and the controls that
// show the same windows would page without the intent.

describe('bench/intent.ts', () => {
  it('pages no routing skew under mitigation or least outstanding requests, while its controls do', () => {
    expect(underMitigation(7, 300).routingSkew).toBe(0);
    expect(underMitigation(7, 300, false).routingSkew).toBeGreaterThan(0);
    expect(underLatency(8, 300, 'least_outstanding_requests').routingSkew).toBe(0);
    expect(underLatency(8, 300, 'round_robin').routingSkew).toBeGreaterThan(0);
  });

  it('still catches every configuration skew under either intent', () => {
    const lor = configurationSkew(9, 100, { loadBalancingAlgorithm: 'least_outstanding_requests' });
    const mitigation = configurationSkew(10, 100, {
      loadBalancingAlgorithm: 'weighted_random',
      anomalyMitigation: true,
    });
    expect([lor.routingSkew, mitigation.routingSkew]).toEqual([100, 100]);
  });

  it('is deterministic for a seed and renders one row per measure', () => {
    const a = runIntentBenchmark(42, 50);
    expect(runIntentBenchmark(42, 50)).toEqual(a);
    expect(
      renderIntentMarkdown(a)
        .split('\n')
        .filter((l) => l.startsWith('| ')).length,
    ).toBe(7);
  });
});
