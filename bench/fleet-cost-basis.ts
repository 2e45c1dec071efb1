// The fleet cost's inputs from the bench's own measurements: the single-deployment model (section
// 5), the 100-load-balancer cycle (section 8) and hub ingest (section 9). What is not measured is
// stated here as an assumption, with why.
import { estimateFleetCost, type FleetShape, listingCalls } from './fleet-cost.ts';
import type { FleetLbsResults } from './fleet-lbs.ts';
import type { HubIngestResults } from './hub-ingest.ts';
import type { Results } from './render.ts';
import type { FleetCostResults } from './render-fleet.ts';

/** The fleets the issue asks to price, and the measured spoke itself. */
export const FLEET_SHAPES: readonly FleetShape[] = [
  { accounts: 10, regions: 3, lbsPerSpoke: 10 },
  { accounts: 50, regions: 3, lbsPerSpoke: 20 },
  { accounts: 1, regions: 1, lbsPerSpoke: 100 },
];

/** Assumed, not measured: the new functions' memory (the enrol and hub functions are not built yet). */
const NEW_FUNCTION_MEMORY_MB = 256;
/** discovery.sweepMinutes default. */
const SWEEP_MINUTES = 15;
/** DynamoDB bills a transactional write 2 WRU per item (up to 1 KB); hub-ingest writes heartbeats so. */
const TRANSACTIONAL_WRITE_UNITS = 2;
/** fleet.concurrency default. */
const COVERAGE_CONCURRENCY = 4;

export const FLEET_COST_FORMULA =
  "per LB per month = D / n + L + H / (s × n), with s spokes (accounts × regions), n guarded LBs per spoke, D one spoke's per-deployment costs (the single-deployment model's shared lines at default 10-second probing, enrol sweeps, enrolment-registry reads by every probe, inspect and sweep invocation, one heartbeat per inspect cycle put and delivered to the hub bus), L each LB's own (probe time, inspect time and DynamoDB units as measured at 100 LBs, its custom metrics, GetMetricData, logs, findings), H the hub's (hub-ingest per heartbeat, hub table writes, hub-coverage every minute over every scope, the coverage alarms, a dashboard)";

/** Prices the fleets when the three measured parts are at hand (this run's or kept ones). */
export function fleetCostResults(parts: {
  readonly cost: Results['cost'];
  readonly fleetLbs: FleetLbsResults | undefined;
  readonly hubIngest: HubIngestResults | undefined;
  readonly inspectMemoryMb: number;
}): FleetCostResults | undefined {
  const { cost, fleetLbs, hubIngest } = parts;
  if (cost === undefined || fleetLbs === undefined || hubIngest === undefined) return undefined;
  const n = fleetLbs.loadBalancers;
  const sweepCalls = Object.values(fleetLbs.sweep.calls).reduce((a, b) => a + b, 0) || listingCalls(n);
  const inputs = {
    spoke: cost.tenSecond,
    inspectMemoryMb: parts.inspectMemoryMb,
    schedule: { inspectRateMinutes: 1, metricsPeriodSeconds: 300 },
    inspectPerLb: {
      msWithMetrics: fleetLbs.withMetrics.medianMs / n,
      msWithoutMetrics: fleetLbs.withoutMetrics.medianMs / n,
      readUnits: fleetLbs.withoutMetrics.readUnits / n,
      writeUnits: fleetLbs.withoutMetrics.writeUnits / n,
    },
    listingMsPerCall: fleetLbs.sweep.ms / sweepCalls,
    registryBytesPerLb: fleetLbs.registryBytesPerLb,
    enrol: { sweepMinutes: SWEEP_MINUTES, memoryMb: NEW_FUNCTION_MEMORY_MB },
    trailUsd: 0,
    findingsPerLbMonth: 0,
    hub: {
      ingestFixedMs: hubIngest.fixedMs,
      ingestMsPerLb: hubIngest.msPerLb,
      ingestMemoryMb: NEW_FUNCTION_MEMORY_MB,
      // lambdas/adapters/hub-table.ts writes a heartbeat in transactions: 2 WRU an item.
      writeUnitsPerRow: TRANSACTIONAL_WRITE_UNITS,
      coverageMemoryMb: NEW_FUNCTION_MEMORY_MB,
      coverageConcurrency: COVERAGE_CONCURRENCY,
      uncoveredSeries: 0,
      dashboards: 1,
    },
  };
  return {
    formula: FLEET_COST_FORMULA,
    basis: `steady state (every LB healthy and covered: no findings, no Uncovered series, so the Metrics Insights alarm analyses none; each LB uncovered at some time in the query's 3-hour window adds $0.10 a month while it lasts). Single-deployment lines from section 5 at default 10-second probing (its per-service alarms left out: a tag-enrolled LB gets none); inspect per LB = the 100-LB cycle ÷ 100 on moto (${inputs.inspectPerLb.msWithMetrics.toFixed(0)} ms with the metrics read, ${inputs.inspectPerLb.msWithoutMetrics.toFixed(0)} ms without); ELBv2 listing ${inputs.listingMsPerCall.toFixed(1)} ms a call on moto; hub-ingest ${hubIngest.fixedMs.toFixed(0)} + ${hubIngest.msPerLb.toFixed(2)} ms per LB (${hubIngest.function}, on moto); hub table rows 2 WRU each (transactions). Assumed: enrol, hub-ingest and hub-coverage at ${NEW_FUNCTION_MEMORY_MB} MB; sweeps every ${SWEEP_MINUTES} min; coverage reads ${COVERAGE_CONCURRENCY} scopes at once; trail: existing (a created trail is free as the account's first copy of management events, $2.00 per 100,000 events as a second one); STS and ELBv2 Describe* calls are not billed; a hub dashboard. Prices from bench/prices.ts (the Metrics Insights alarm price to confirm).`,
    fleets: FLEET_SHAPES.map((shape) => estimateFleetCost(shape, inputs)),
  };
}
