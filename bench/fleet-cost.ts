// Cost per guarded load balancer per month at fleet scale (issue 19): the cost model of
// bench/cost-model.ts, spread over a fleet of spokes (one deployment per account and region, each
// guarding the tagged load balancers of its scope) and a hub. Pure: every figure comes in as an
// argument, every price from bench/prices.ts.
//
//   per LB = D / n + L + H / (s × n)
//
// with n load balancers per spoke, s spokes (accounts × regions), D the per-deployment costs of
// one spoke, L the per-LB costs inside a spoke, and H the hub's own costs (which grow with s and n).
import type { HeartbeatDetail } from '../lib/fleet/hub-events.ts';
import { HUB_DETAIL_TYPES, HUB_EVENT_SOURCE, HUB_EVENT_VERSION } from '../lib/fleet/hub-events.ts';
import { type CostEstimate, type CostLine, MINUTES_PER_MONTH, metricReadsPerMonth } from './cost-model.ts';
import { PRICES } from './prices.ts';

export interface FleetShape {
  readonly accounts: number;
  readonly regions: number;
  readonly lbsPerSpoke: number;
}

/** EventBridge bills a PutEvents entry per 64 KB chunk. */
export const EVENT_CHUNK_BYTES = 64 * 1024;
/** ELBv2 DescribeTags: 20 ARNs a call; DescribeLoadBalancers: 400 a page at most. */
const TAGS_PER_CALL = 20;
const LBS_PER_PAGE = 400;
/** Bytes of one heartbeat row in the hub table (pk, sk, account, region, ARN, service, status…). */
const HUB_ROW_BYTES = 350;

export interface FleetCostInputs {
  /**
   * The single-deployment model at the chosen schedule (bench/cost-model.ts): its first-service
   * lines less its additional-service lines are what one deployment pays once; its additional
   * lines (probe, metrics, metric reads, logs) what each service adds.
   */
  readonly spoke: CostEstimate;
  readonly inspectMemoryMb: number;
  readonly schedule: { readonly inspectRateMinutes: number; readonly metricsPeriodSeconds: number };
  /** One LB's share of a scheduled inspect cycle (bench/fleet-lbs.ts, cycle ÷ load balancers). */
  readonly inspectPerLb: {
    readonly msWithMetrics: number;
    readonly msWithoutMetrics: number;
    readonly readUnits: number;
    readonly writeUnits: number;
  };
  /** Measured ms per ELBv2 listing call (DescribeLoadBalancers, DescribeTags) in the sweep. */
  readonly listingMsPerCall: number;
  /** Bytes of the enrolment registry per enrolled service (the services it stores, as JSON). */
  readonly registryBytesPerLb: number;
  readonly enrol: { readonly sweepMinutes: number; readonly memoryMb: number };
  /** A spoke's trail: 0 with `trail: existing` (or the account's first copy of management events). */
  readonly trailUsd: number;
  /** Non-healthy diagnoses reported per LB a month (a Finding event each). */
  readonly findingsPerLbMonth: number;
  readonly hub: {
    /** hub-ingest per heartbeat: fixed ms plus ms per LB it names (bench/hub-ingest.ts). */
    readonly ingestFixedMs: number;
    readonly ingestMsPerLb: number;
    readonly ingestMemoryMb: number;
    /** WRU per hub-table row a heartbeat writes: 2 when written in transactions (TransactWriteItems). */
    readonly writeUnitsPerRow: number;
    readonly coverageMemoryMb: number;
    /** `fleet.concurrency`: scopes read at once by hub-coverage. */
    readonly coverageConcurrency: number;
    /** `Uncovered` time series the coverage alarm's query reads (published in its last 3 hours). */
    readonly uncoveredSeries: number;
    readonly dashboards: number;
  };
}

export type FleetCostScope = 'per deployment' | 'per LB' | 'hub';

export interface FleetCostLine extends CostLine {
  readonly scope: FleetCostScope;
}

export interface FleetCost {
  readonly shape: FleetShape;
  readonly spokes: number;
  readonly loadBalancers: number;
  /** Whole-fleet monthly lines; `usd` is the fleet's total for the line. */
  readonly lines: readonly FleetCostLine[];
  readonly totalUsd: number;
  readonly perLbUsd: number;
  /** The three terms of the formula, per LB: D / n, L, H / (s × n). */
  readonly perLb: { readonly deployment: number; readonly own: number; readonly hub: number };
  readonly heartbeatBytes: number;
}

/** A representative heartbeat of `lbs` load balancers, as EventBridge delivers it (envelope included). */
export function sampleHeartbeat(lbs: number): Record<string, unknown> {
  const detail: HeartbeatDetail = {
    version: HUB_EVENT_VERSION,
    at: '2026-11-02T14:00:20.000Z',
    lbguardVersion: '0.19.0',
    loadBalancers: Array.from({ length: lbs }, (_, i) => ({
      loadBalancerArn: `arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/shop-frontend-${String(i).padStart(3, '0')}/50dc6c495c0c9188`,
      service: `shop-frontend-${String(i).padStart(3, '0')}`,
      status: 'inspected',
      diagnosis: 'healthy',
      incidentState: 'ok',
    })),
    refused: [],
  };
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': HUB_DETAIL_TYPES.heartbeat,
    source: HUB_EVENT_SOURCE,
    account: '123456789012',
    time: '2026-11-02T14:00:20Z',
    region: 'eu-central-1',
    resources: [],
    detail,
  };
}

/** Bytes of a heartbeat naming `lbs` load balancers. */
export function heartbeatBytes(lbs: number): number {
  return Buffer.byteLength(JSON.stringify(sampleHeartbeat(lbs)));
}

/** Billed EventBridge events for one payload: one per started 64 KB. */
export function eventChunks(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / EVENT_CHUNK_BYTES));
}

/** ELBv2 calls to list one scope with its tags: DescribeLoadBalancers pages + DescribeTags. */
export function listingCalls(lbs: number): number {
  return Math.max(1, Math.ceil(lbs / LBS_PER_PAGE)) + Math.ceil(lbs / TAGS_PER_CALL);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const gbs = (ms: number, mb: number): number => (ms / 1000) * (mb / 1024);

/**
 * The fleet's month, line by line: each spoke's per-deployment costs (as the single-deployment
 * model has them, plus the enrol sweep, the registry reads and the heartbeats), each load
 * balancer's own, and the hub's; then per LB = D / n + L + H / (s × n).
 */
export function estimateFleetCost(shape: FleetShape, inputs: FleetCostInputs): FleetCost {
  const spokes = shape.accounts * shape.regions;
  const n = shape.lbsPerSpoke;
  const lbs = spokes * n;
  const inspections = MINUTES_PER_MONTH / inputs.schedule.inspectRateMinutes;
  const lines: FleetCostLine[] = [];
  const add = (
    scope: FleetCostScope,
    item: string,
    working: string,
    usdEach: number,
    times: number,
  ): void => {
    lines.push({ scope, item, working: `${working} × ${fmt(times)}`, usd: usdEach * times });
  };

  // Per deployment: what the single-deployment model's first service carries beyond any other.
  const { firstService, additionalService } = inputs.spoke;
  firstService.lines.forEach((line, i) => {
    const shared = line.usd - (additionalService.lines[i]?.usd ?? 0);
    if (shared > 1e-9)
      add('per deployment', line.item, `${line.working} less a service's share`, shared, spokes);
  });
  const sweeps = MINUTES_PER_MONTH / inputs.enrol.sweepMinutes;
  const sweepMs = listingCalls(n) * inputs.listingMsPerCall;
  add(
    'per deployment',
    'enrol sweeps',
    `${fmt(sweeps)} sweeps × (${listingCalls(n)} ELBv2 calls × ${inputs.listingMsPerCall.toFixed(1)} ms) at ${inputs.enrol.memoryMb} MB + requests`,
    sweeps * (gbs(sweepMs, inputs.enrol.memoryMb) * PRICES.lambdaArmGbSecond.usd + PRICES.lambdaRequest.usd),
    spokes,
  );
  // Probe and inspect read the registry on every invocation (one strongly consistent read, 4 KB a unit).
  const registryRru = Math.ceil((n * inputs.registryBytesPerLb) / 4096);
  const registryReads = MINUTES_PER_MONTH + inspections + sweeps;
  add(
    'per deployment',
    'registry reads',
    `${fmt(registryReads)} reads × ${registryRru} RRU (${fmt(n * inputs.registryBytesPerLb)} bytes)`,
    registryReads * registryRru * PRICES.dynamodbReadUnit.usd,
    spokes,
  );
  const beatBytes = heartbeatBytes(n);
  const chunks = eventChunks(beatBytes);
  add(
    'per deployment',
    'heartbeats (EventBridge)',
    `${fmt(inspections)} heartbeats × ${chunks} chunk${chunks === 1 ? '' : 's'} (${fmt(beatBytes)} bytes) × (put + delivery to the hub bus)`,
    inspections * chunks * (PRICES.eventBridgeCustomEvent.usd + PRICES.eventBridgeCrossAccountEvent.usd),
    spokes,
  );
  // The single-deployment basis is a spoke without a hub, so its conditional forwarding is priced here.
  add(
    'per deployment',
    'hub forwarding dead-letter alarm',
    `1 alarm × ${PRICES.standardAlarmMonth.usd}`,
    PRICES.standardAlarmMonth.usd,
    spokes,
  );
  if (inputs.trailUsd > 0) add('per deployment', 'trail', 'created trail', inputs.trailUsd, spokes);

  // Per LB inside a spoke: the model's per-service lines, inspect and DynamoDB as measured at 100 LBs.
  const keep = new Set(['probe compute', 'custom metrics', 'GetMetricData', 'log ingestion (EMF + logs)']);
  for (const line of additionalService.lines) {
    if (keep.has(line.item)) add('per LB', line.item, line.working, line.usd, lbs);
  }
  const metricReads = metricReadsPerMonth(inputs.schedule);
  const p = inputs.inspectPerLb;
  const inspectMs = metricReads * p.msWithMetrics + (inspections - metricReads) * p.msWithoutMetrics;
  add(
    'per LB',
    'inspect compute',
    `${fmt(inspections)} cycles (${fmt(metricReads)} with the metrics read), ${p.msWithMetrics.toFixed(0)} / ${p.msWithoutMetrics.toFixed(0)} ms each at ${inputs.inspectMemoryMb} MB`,
    gbs(inspectMs, inputs.inspectMemoryMb) * PRICES.lambdaArmGbSecond.usd,
    lbs,
  );
  add(
    'per LB',
    'DynamoDB on demand',
    `${fmt(inspections)} cycles × (${p.writeUnits.toFixed(1)} WRU + ${p.readUnits.toFixed(1)} RRU)`,
    inspections * (p.writeUnits * PRICES.dynamodbWriteUnit.usd + p.readUnits * PRICES.dynamodbReadUnit.usd),
    lbs,
  );
  add(
    'per LB',
    'findings (EventBridge)',
    `${inputs.findingsPerLbMonth} findings × (put + delivery)`,
    inputs.findingsPerLbMonth * (PRICES.eventBridgeCustomEvent.usd + PRICES.eventBridgeCrossAccountEvent.usd),
    lbs,
  );

  // The hub: ingest every heartbeat, check coverage every minute, the two alarms.
  const h = inputs.hub;
  const ingestMs = h.ingestFixedMs + h.ingestMsPerLb * n;
  add(
    'hub',
    'hub-ingest',
    `${fmt(inspections)} heartbeats a spoke, ${ingestMs.toFixed(0)} ms each at ${h.ingestMemoryMb} MB + requests`,
    inspections * (gbs(ingestMs, h.ingestMemoryMb) * PRICES.lambdaArmGbSecond.usd + PRICES.lambdaRequest.usd),
    spokes,
  );
  add(
    'hub',
    'hub table writes',
    `${fmt(inspections)} heartbeats × (${n} LB rows + 1 spoke row) × ${h.writeUnitsPerRow} WRU`,
    inspections * (n + 1) * h.writeUnitsPerRow * PRICES.dynamodbWriteUnit.usd,
    spokes,
  );
  // Every scope: AssumeRole + the listing (ELBv2 Describe* and STS are not billed), and its heartbeat rows.
  const scopeMs = (1 + listingCalls(n)) * inputs.listingMsPerCall;
  const coverageMs = Math.ceil(spokes / h.coverageConcurrency) * scopeMs;
  const scopeRru = Math.ceil((n * HUB_ROW_BYTES) / 4096) * 0.5;
  add(
    'hub',
    'hub-coverage',
    `${fmt(MINUTES_PER_MONTH)} runs × ${(coverageMs / 1000).toFixed(2)} s (${spokes} scopes, ${h.coverageConcurrency} at once, ${1 + listingCalls(n)} STS + ELBv2 calls each, not billed) at ${h.coverageMemoryMb} MB + ${scopeRru} RRU a scope + requests`,
    MINUTES_PER_MONTH *
      (gbs(coverageMs, h.coverageMemoryMb) * PRICES.lambdaArmGbSecond.usd +
        PRICES.lambdaRequest.usd +
        spokes * scopeRru * PRICES.dynamodbReadUnit.usd +
        PRICES.dynamodbWriteUnit.usd),
    1,
  );
  add(
    'hub',
    'coverage alarm (Metrics Insights)',
    `${h.uncoveredSeries} Uncovered series analysed × ${PRICES.metricsInsightsAlarmMetric.usd}`,
    h.uncoveredSeries * PRICES.metricsInsightsAlarmMetric.usd,
    1,
  );
  add(
    'hub',
    'CoverageChecks metric + missing-data alarm',
    `1 custom metric × ${PRICES.customMetricMonth.usd} + 1 alarm × ${PRICES.standardAlarmMonth.usd}`,
    PRICES.customMetricMonth.usd + PRICES.standardAlarmMonth.usd,
    1,
  );
  if (h.dashboards > 0)
    add('hub', 'hub dashboard', `${PRICES.dashboardMonth.usd}`, PRICES.dashboardMonth.usd, h.dashboards);

  const sum = (scope: FleetCostScope): number =>
    lines.filter((l) => l.scope === scope).reduce((a, l) => a + l.usd, 0);
  const totalUsd = lines.reduce((a, l) => a + l.usd, 0);
  return {
    shape,
    spokes,
    loadBalancers: lbs,
    lines,
    totalUsd,
    perLbUsd: totalUsd / lbs,
    perLb: { deployment: sum('per deployment') / lbs, own: sum('per LB') / lbs, hub: sum('hub') / lbs },
    heartbeatBytes: beatBytes,
  };
}
