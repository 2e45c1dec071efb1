// Hub events per second (issue 19, "Bench"): drives heartbeat events, each naming 10 to 100 load
// balancers, through the hub-ingest flow writing the hub table on moto DynamoDB, and counts
// events/s and LB rows/s. `hubIngestUnderTest` is the one place that names the function driven.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startMoto } from '../drill/world/moto.ts';
import { createAwsClients, destroyAwsClients } from '../lambdas/adapters/clients.ts';
import type { FleetMetrics } from '../lambdas/adapters/fleet-metrics.ts';
import { DynamoDbHubTable } from '../lambdas/adapters/hub-table.ts';
import type { Log } from '../lambdas/adapters/log.ts';
import { createStateTable } from '../lambdas/adapters/state-store/table.ts';
import { ingestHubEvent } from '../lambdas/flows/hub-ingest.ts';
import { hubIngestDeps } from '../lambdas/hub-ingest/deps.ts';
import type { HeartbeatDetail } from '../lib/fleet/hub-events.ts';
import { sampleHeartbeat } from './fleet-cost.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { fitLine } from './stats.ts';

/** An event as EventBridge hands it to the hub's rule target. */
export interface HubEnvelope {
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly detail: unknown;
}

/** What the harness drives: one event in, the hub table written, or a throw. */
export type HubIngest = (event: HubEnvelope) => Promise<void>;

export interface IngestUnderTest {
  /** Named in the results, so a figure never passes for another function's. */
  readonly name: string;
  readonly ingest: HubIngest;
}

const REGION = 'us-east-1';
const TABLE = 'lbguard-hub-bench';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
/**
 * Spokes the heartbeats come from, one a minute each. Few, and a fresh table for each heartbeat
 * size: moto's TransactWriteItems slows as its table grows (at 10 spokes × 100 LBs it timed out),
 * which is moto's cost, not the flow's or DynamoDB's.
 */
const SPOKES = 4;

/** Counts nothing: the bench measures the writes, not the EMF lines. */
const silentFleetMetrics: FleetMetrics = { uncovered: () => {}, coverageCheck: () => {}, ingested: () => {} };
const silentLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * The ingest function measured: the hub-ingest flow (`ingestHubEvent`) as its handler wires it,
 * around the counted DynamoDB client, with the hub's clock a second after each heartbeat. An
 * event it does not write fails the run: a refusal would pass for throughput.
 */
export function hubIngestUnderTest(dynamodb: DynamoDBClient, table: string): IngestUnderTest {
  let now = new Date(0);
  const deps = hubIngestDeps(
    { hubTableName: table },
    {
      table: new DynamoDbHubTable(dynamodb, table),
      metrics: silentFleetMetrics,
      logger: silentLog,
      now: () => now,
    },
  );
  return {
    name: 'hub-ingest (lambdas/flows/hub-ingest.ts ingestHubEvent, DynamoDbHubTable)',
    ingest: async (event) => {
      now = new Date(Date.parse(event.time) + 1000);
      const outcome = await ingestHubEvent(event, deps);
      if (outcome.kind !== 'written') {
        throw new Error(`bench: hub-ingest did not write heartbeat ${event.id}: ${JSON.stringify(outcome)}`);
      }
    },
  };
}

export interface IngestFigure {
  readonly lbsPerEvent: number;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly lbRowsPerSecond: number;
  readonly msPerEvent: number;
  readonly dynamodbCalls: number;
}

export interface HubIngestResults {
  readonly function: string;
  /** Spokes the heartbeats came from (one a minute each). */
  readonly spokes: number;
  readonly figures: readonly IngestFigure[];
  /** Least squares of ms per event on LBs per event: what the cost model charges hub-ingest. */
  readonly fixedMs: number;
  readonly msPerLb: number;
  readonly note: string;
}

/**
 * Heartbeat `k` of `spokes` spokes, one event per spoke per minute from `firstMinute` on, each
 * naming `lbs` LBs: every one newer than any before it, so each is written, never stale.
 */
function heartbeatEvent(k: number, spokes: number, lbs: number, firstMinute: number): HubEnvelope {
  const account = String(100000000000 + (k % spokes));
  const sample = sampleHeartbeat(lbs) as unknown as HubEnvelope & { detail: HeartbeatDetail };
  const minute = firstMinute + Math.floor(k / spokes);
  const at = new Date(Date.parse('2026-11-02T14:00:20.000Z') + minute * 60_000).toISOString();
  return {
    ...sample,
    id: `bench-${k}`,
    account,
    time: at.replace(/\.\d+Z$/, 'Z'),
    detail: {
      ...sample.detail,
      at,
      loadBalancers: sample.detail.loadBalancers.map((lb) => ({
        ...lb,
        loadBalancerArn: lb.loadBalancerArn.replace(':123456789012:', `:${account}:`),
      })),
    },
  };
}

/** Events one after another, as one Lambda instance takes them. */
async function drive(
  under: IngestUnderTest,
  proxy: RecordingProxy,
  lbs: number,
  events: number,
  firstMinute: number,
): Promise<IngestFigure> {
  const list = Array.from({ length: events }, (_, k) => heartbeatEvent(k, SPOKES, lbs, firstMinute));
  proxy.take();
  const started = performance.now();
  for (const e of list) await under.ingest(e);
  const seconds = (performance.now() - started) / 1000;
  return {
    lbsPerEvent: lbs,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    lbRowsPerSecond: (events * lbs) / seconds,
    msPerEvent: (seconds * 1000) / events,
    dynamodbCalls: proxy.take().length,
  };
}

/** Runs the part: moto, the hub table, heartbeats of 10, 50 and 100 LBs. */
export async function measureHubIngest(options: {
  readonly events: number;
  readonly log: (line: string) => void;
}): Promise<HubIngestResults> {
  const moto = await startMoto();
  const proxy = await startRecordingProxy(moto.url);
  const admin = createAwsClients({ endpoint: moto.url, region: REGION, credentials: CREDENTIALS });
  const clients = createAwsClients({ endpoint: proxy.url, region: REGION, credentials: CREDENTIALS });
  let name = '';
  try {
    const figures: IngestFigure[] = [];
    for (const lbs of [10, 50, 100]) {
      const table = `${TABLE}-${lbs}`;
      await createStateTable(admin.dynamodb, table);
      const under = hubIngestUnderTest(clients.dynamodb, table);
      // One warm-up minute, then the measured ones: each heartbeat newer than the last (never stale).
      await drive(under, proxy, lbs, SPOKES, 0);
      const f = await drive(under, proxy, lbs, options.events, 1);
      figures.push(f);
      options.log(
        `hub-ingest: ${lbs} LBs an event: ${f.eventsPerSecond.toFixed(1)} events/s, ${f.lbRowsPerSecond.toFixed(0)} LB rows/s`,
      );
      name = under.name;
    }
    const fit = fitLine(figures.map((f) => ({ x: f.lbsPerEvent, y: f.msPerEvent })));
    return {
      function: name,
      spokes: SPOKES,
      figures,
      fixedMs: Math.max(0, fit.intercept),
      msPerLb: fit.slope,
      note: "One Lambda instance, events one after another; EventBridge runs instances side by side, so the hub scales out until DynamoDB or Lambda concurrency binds. The flow writes a heartbeat in transactions of up to 100 items, and moto takes time that grows faster than the item count for them: these are moto's figures, and DynamoDB's throughput is likely higher",
    };
  } finally {
    destroyAwsClients(admin);
    destroyAwsClients(clients);
    await proxy.close();
    await moto.stop();
  }
}
