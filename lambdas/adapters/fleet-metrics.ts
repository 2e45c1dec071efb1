import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FLEET_METRICS, FLEET_NAMESPACE } from '../../lib/fleet/coverage-message.ts';
import { HUB_DETAIL_TYPES } from '../../lib/fleet/hub-events.ts';

/** One load balancer (or an unreadable scope) as the `Uncovered` metric's dimensions name it. */
export interface UncoveredDimensions {
  readonly account: string;
  readonly region: string;
  readonly loadBalancer: string;
}

/** The hub's metrics (namespace `LbGuard/Fleet`, lib/fleet/coverage-message.ts). */
export interface FleetMetrics {
  /** `Uncovered` = `value` for each, one record per load balancer (its own dimensions). */
  uncovered(entries: readonly UncoveredDimensions[], value: 0 | 1): void;
  /** `CoverageChecks` = 1, no dimensions. */
  coverageCheck(): void;
  /** One ingest outcome; `properties` stay in the record for Logs Insights, never dimensions. */
  ingested(
    metric: 'hubEvents' | 'hubEventsRefused' | 'hubEventsStale',
    detailType: string,
    properties?: Readonly<Record<string, string>>,
  ): void;
}

const KNOWN_DETAIL_TYPES: readonly string[] = Object.values(HUB_DETAIL_TYPES);

/**
 * EMF through a Powertools Metrics instance of its own namespace, one record per call so no
 * record mixes two load balancers' dimensions. A detail type outside the vocabulary becomes
 * `(unknown)`: a dimension value a sender chooses would let it mint billed metrics at will.
 */
export class EmfFleetMetrics implements FleetMetrics {
  readonly #metrics: Metrics;

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  uncovered(entries: readonly UncoveredDimensions[], value: 0 | 1): void {
    for (const e of entries) {
      this.#metrics.addDimensions({ Account: e.account, Region: e.region, LoadBalancer: e.loadBalancer });
      this.#metrics.addMetric(FLEET_METRICS.uncovered, MetricUnit.Count, value);
      this.#metrics.publishStoredMetrics();
    }
  }

  coverageCheck(): void {
    this.#metrics.addMetric(FLEET_METRICS.coverageChecks, MetricUnit.Count, 1);
    this.#metrics.publishStoredMetrics();
  }

  ingested(
    metric: 'hubEvents' | 'hubEventsRefused' | 'hubEventsStale',
    detailType: string,
    properties: Readonly<Record<string, string>> = {},
  ): void {
    this.#metrics.addDimension(
      'DetailType',
      KNOWN_DETAIL_TYPES.includes(detailType) ? detailType : '(unknown)',
    );
    for (const [name, value] of Object.entries(properties)) this.#metrics.addMetadata(name, value);
    this.#metrics.addMetric(FLEET_METRICS[metric], MetricUnit.Count, 1);
    this.#metrics.publishStoredMetrics();
  }
}

/** The hub functions' metrics: namespace `LbGuard/Fleet`, and no default `service` dimension (the alarms name exact dimension sets). */
export function createFleetMetrics(): EmfFleetMetrics {
  const metrics = new Metrics({ namespace: FLEET_NAMESPACE });
  metrics.clearDefaultDimensions();
  return new EmfFleetMetrics(metrics);
}
