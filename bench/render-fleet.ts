// Renders the fleet parts of issue 19: 100 load balancers in one account and region, hub events
// per second, and the cost per guarded load balancer at fleet scale.
import type { FleetCost } from './fleet-cost.ts';
import type { FleetLbsResults, LbsCycleSummary } from './fleet-lbs.ts';
import { describeVerdict } from './fleet-verdict.ts';
import type { HubIngestResults } from './hub-ingest.ts';

/**
 * ELBv2's Describe* token bucket per account and region, as AWS's "Request throttling for the ELB
 * API" page gives it by example (40 tokens, 10 a second refill); support may raise it.
 */
const ELBV2_DESCRIBE_BUCKET = 40;
const ELBV2_DESCRIBE_REFILL_PER_SECOND = 10;

const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
const usd = (n: number): string => (n < 0.01 && n > 0 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);

/** Results of the fleet cost: the shapes priced and what they rest on. */
export interface FleetCostResults {
  readonly basis: string;
  readonly formula: string;
  readonly fleets: readonly FleetCost[];
}

function cycleRow(label: string, c: LbsCycleSummary): string {
  return `| ${label} | ${c.cycles} | ${s1(c.medianMs)} (${c.allMs.map((m) => (m / 1000).toFixed(1)).join(', ')}) | ${c.awsCalls} | ${Object.entries(
    c.calls,
  )
    .filter(([k]) => k.startsWith('dynamodb:'))
    .reduce(
      (a, [, v]) => a + v,
      0,
    )} | ${c.perServiceMs.median.toFixed(0)} / ${c.perServiceMs.p90.toFixed(0)} / ${c.perServiceMs.max.toFixed(0)} ms | ${describeVerdict(c.verdict)} |`;
}

/** Section 8: the 100-load-balancer spoke. */
export function renderFleetLbs(r: FleetLbsResults): string[] {
  const rows = [
    `${r.loadBalancers} Application Load Balancers in one account and region on moto (${r.targetGroups} IP target groups on unusual ports, ${r.targets} targets, ${r.rules} rules: host-header, host + path with a 90/10 weighted forward, path), each tagged \`lbguard:guard=true\` and \`lbguard:probe-url\`, enrolled by one sweep of the enrol flow (lambdas/flows/enrolment.ts; its ELBv2 listing took ${s1(r.sweep.ms)}; calls: ${Object.entries(
      r.sweep.calls,
    )
      .map(([k, v]) => `${v} ${k.split(':')[1]}`)
      .join(
        ', ',
      )}), then inspected by the real scheduled cycle (lambdas/flows/inspect.ts, production adapters: its services read from the signed registry, a heartbeat put on the event bus) through the recording proxy. Built in ${r.buildSeconds.toFixed(0)} s. Warm-up cycle (every stored snapshot's MAC verified once, as in a fresh container): ${s1(r.warmUp.ms)}; measured cycles follow it.`,
    '',
    `| Cycle | Cycles | Wall time, median (all) | ELBv2 + CloudWatch + ARC calls | DynamoDB calls | Per service: median / p90 / max | Against the ${r.scheduleSeconds} s schedule (timeout ${r.timeoutSeconds} s) |`,
    '|---|---:|---:|---:|---:|---:|---|',
    cycleRow('metrics tick (GetMetricData)', r.withMetrics),
    cycleRow('no metrics read', r.withoutMetrics),
    '',
    'Calls and summed request time by operation, median cycle with the metrics read (requests within one service overlap):',
    '',
    '| Operation | Calls | Per LB | Request time |',
    '|---|---:|---:|---:|',
  ];
  for (const [op, n] of Object.entries(r.withMetrics.calls)) {
    rows.push(
      `| ${op} | ${n} | ${(n / r.loadBalancers).toFixed(2)} | ${s1(r.withMetrics.requestMs[op] ?? 0)} |`,
    );
  }
  const slow = r.withMetrics.slowest.map((s) => `${s.service} ${s.ms.toFixed(0)} ms`).join(', ');
  const describes = Object.entries(r.withMetrics.calls)
    .filter(([k]) => k.startsWith('elasticloadbalancing:Describe'))
    .reduce((a, [, v]) => a + v, 0);
  const describesPerSecond = describes / r.scheduleSeconds;
  rows.push(
    '',
    `ARC \`GetManagedResource\` reads ${((r.withMetrics.calls['arc-zonal-shift:GetManagedResource'] ?? 0) / r.loadBalancers).toFixed(0)} times per load balancer here because moto, which has no ARC, answers with an error that the signed call retries (once per load balancer on AWS). The ELBv2 Describe* calls of a cycle (${describes} here, ${describesPerSecond.toFixed(1)} a second over the minute) share the account's ELBv2 API rate limit with everything else in it: a bucket of ${ELBV2_DESCRIBE_BUCKET} refilled at ${ELBV2_DESCRIBE_REFILL_PER_SECOND} a second in AWS's documented example, so this cycle takes ${((100 * describesPerSecond) / ELBV2_DESCRIBE_REFILL_PER_SECOND).toFixed(0)} % of it; above about ${Math.floor((r.loadBalancers * ELBV2_DESCRIBE_REFILL_PER_SECOND * 0.8) / describesPerSecond)} load balancers a spoke, set \`schedule.inspectRateMinutes: 2\` (a routing change still wakes inspect at once through CloudTrail).`,
    '',
    `Projected to AWS (an assumption, not a measurement): the median cycle with the metrics read spent ${s1(r.withMetrics.ownMs)} with no call in flight (lbguard's own code, but also the in-process recording proxy and CPU shared with moto: an upper bound) and waited on ${r.withMetrics.roundTrips} round trips (${(r.withMetrics.roundTrips / r.loadBalancers).toFixed(1)} per load balancer; calls in flight together count once); at ${r.awsRoundTripMs} ms a round trip that is ${s1(r.withMetrics.projectedAwsMs)}: ${describeVerdict(r.withMetrics.projectedVerdict)}${r.withMetrics.projectedVerdict.kind === 'fits' ? '' : `; within the schedule up to ${r.withMetrics.roundTrips > 0 ? ((r.scheduleSeconds * 1000 - r.withMetrics.ownMs) / r.withMetrics.roundTrips).toFixed(0) : '∞'} ms a round trip`}. Without the metrics read: ${s1(r.withoutMetrics.projectedAwsMs)}, ${describeVerdict(r.withoutMetrics.projectedVerdict)}.`,
    '',
    `Services are inspected one after another (ELBv2 Describe* share one account rate limit), so the cycle is the sum of the per-service times; slowest in the median cycle: ${slow}. The registry item takes ${r.registryBytesPerLb.toFixed(0)} bytes per enrolled service (${((r.registryBytesPerLb * r.loadBalancers) / 1024).toFixed(0)} KiB for ${r.loadBalancers}; one DynamoDB item holds at most 400 KB, and enrolment caps a spoke at 200 tagged services), read whole by every probe, inspect and sweep invocation. ${r.note}.`,
  );
  return rows;
}

/** Section 9: heartbeats through hub ingest. */
export function renderHubIngest(r: HubIngestResults): string[] {
  const rows = [
    `Function: ${r.function}. Heartbeats of ${r.spokes} spokes, a fresh hub table for each heartbeat size, one Lambda instance taking them one after another, writing moto DynamoDB.`,
    '',
    '| LBs per heartbeat | Events | Events/s | LB rows/s | ms per event | DynamoDB calls |',
    '|---:|---:|---:|---:|---:|---:|',
  ];
  for (const f of r.figures) {
    rows.push(
      `| ${f.lbsPerEvent} | ${f.events} | ${f.eventsPerSecond.toFixed(1)} | ${f.lbRowsPerSecond.toFixed(0)} | ${f.msPerEvent.toFixed(0)} | ${f.dynamodbCalls} |`,
    );
  }
  rows.push(
    '',
    `ms per event ≈ ${r.fixedMs.toFixed(1)} + ${r.msPerLb.toFixed(2)} × LBs (least squares; the cost model charges hub-ingest this). ${r.note}.`,
  );
  return rows;
}

/** Section 10: cost per guarded load balancer per month at fleet scale. */
export function renderFleetCost(r: FleetCostResults): string[] {
  const rows = [
    `Formula: ${r.formula}`,
    '',
    '| Fleet | Spokes | LBs | Per deployment, spread (D / n) | Own (L) | Hub, spread | **Per LB per month** | Fleet per month |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const f of r.fleets) {
    const s = f.shape;
    rows.push(
      `| ${plural(s.accounts, 'account')} × ${plural(s.regions, 'region')} × ${s.lbsPerSpoke} LBs | ${f.spokes} | ${f.loadBalancers.toLocaleString('en-US')} | ${usd(f.perLb.deployment)} | ${usd(f.perLb.own)} | ${usd(f.perLb.hub)} | **${usd(f.perLbUsd)}** | ${usd(f.totalUsd)} |`,
    );
  }
  const big = r.fleets.at(-1);
  if (big) {
    rows.push(
      '',
      `Working, ${big.shape.accounts} × ${big.shape.regions} × ${big.shape.lbsPerSpoke} (heartbeat ${big.heartbeatBytes.toLocaleString('en-US')} bytes):`,
      '',
      '| Scope | Item | Working | Fleet per month | Per LB |',
      '|---|---|---|---:|---:|',
    );
    for (const l of big.lines) {
      rows.push(
        `| ${l.scope} | ${l.item} | ${l.working} | ${usd(l.usd)} | ${usd(l.usd / big.loadBalancers)} |`,
      );
    }
  }
  rows.push('', `Basis: ${r.basis}`);
  return rows;
}
