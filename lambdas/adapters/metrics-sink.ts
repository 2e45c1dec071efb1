import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type EmittedValue, type LbGuardMetricName, planEmfRecord } from '../../lib/metrics.ts';

/** The custom metrics the functions emit: one list, shared with the CDK alarms (lib/metrics.ts). */
export type LbGuardMetric = LbGuardMetricName;

export type MetricValue = EmittedValue;

/** Emits metrics for one guarded service (dimension `Service`). */
export interface MetricsSink {
  emit(service: string, values: readonly MetricValue[]): void;
}

/**
 * EMF through Powertools Metrics: one record per call, carrying every value for one service, so
 * a probe loop over several services never mixes their dimensions. Which values become billed
 * custom metrics and which stay properties of the record is `planEmfRecord`'s decision; a record
 * with no metric left is not written (Powertools writes none), the function's own log line has
 * the verdict.
 */
export class EmfMetricsSink implements MetricsSink {
  readonly #metrics: Metrics;

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  emit(service: string, values: readonly MetricValue[]): void {
    const plan = planEmfRecord(values);
    if (plan.metrics.length === 0) return;
    this.#metrics.addDimension('Service', service);
    for (const [name, value] of Object.entries(plan.properties)) {
      // Powertools types metadata as strings but serialises the value as given; a number keeps
      // Logs Insights' stats (max, pct) numeric.
      this.#metrics.addMetadata(name, value as unknown as string);
    }
    for (const v of plan.metrics) {
      this.#metrics.addMetric(
        v.name,
        v.unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds,
        v.value,
      );
    }
    this.#metrics.publishStoredMetrics();
  }
}
