import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LbGuardMetricName } from '../../lib/metrics.ts';

/** The custom metrics the functions emit: one list, shared with the CDK alarms (lib/metrics.ts). */
export type LbGuardMetric = LbGuardMetricName;

export interface MetricValue {
  readonly name: LbGuardMetric;
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
}

/** Emits metrics for one guarded service (dimension `Service`). */
export interface MetricsSink {
  emit(service: string, values: readonly MetricValue[]): void;
}

/**
 * EMF through Powertools Metrics: one record per call, carrying every value for one service, so
 * a probe loop over several services never mixes their dimensions.
 */
export class EmfMetricsSink implements MetricsSink {
  readonly #metrics: Metrics;

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  emit(service: string, values: readonly MetricValue[]): void {
    if (values.length === 0) return;
    this.#metrics.addDimension('Service', service);
    for (const v of values) {
      this.#metrics.addMetric(
        v.name,
        v.unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds,
        v.value,
      );
    }
    this.#metrics.publishStoredMetrics();
  }
}
