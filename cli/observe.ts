import type { LoadBalancerState } from '../lambdas/adapters/elbv2.ts';
import type { LastGood } from '../lambdas/adapters/state-store.ts';
import { judgeProbes, probeWindowMs } from '../lambdas/inspect/handler.ts';
import { Elbv2TargetGroupDescriber, readServiceState } from '../lambdas/shared/service-state.ts';
import type { LbGuardConfig, ServiceConfig } from '../lib/config/index.ts';
import { diagnose } from '../lib/diagnosis.ts';
import { DEFAULT_HYSTERESIS } from '../lib/hysteresis.ts';
import type { Incident } from '../lib/incident.ts';
import { hashSnapshot } from '../lib/snapshot.ts';
import type { AlbMetrics, Diagnosis, Signals } from '../lib/types.ts';
import type { AwsContext } from './context.ts';

/** Everything the CLI knows about one service at one moment. */
export interface ServiceObservation {
  readonly service: ServiceConfig;
  readonly at: string;
  readonly state: LoadBalancerState;
  readonly lastGood?: LastGood;
  readonly openIncident?: Incident;
  readonly signals: Signals;
  readonly diagnosis: Diagnosis;
}

// The same windows as inspect's observation (lambdas/inspect/handler.ts), so `status` and the
// inspect function diagnose the same signals the same way.
/** Served-by samples are taken once a minute; a few minutes give the skew test enough requests. */
const SERVED_BY_WINDOW_SECONDS = 300;
/** A change older than this is no longer the likely cause of what is seen now. */
const CHANGE_WINDOW_SECONDS = 3600;

function minus(at: string, seconds: number): string {
  return new Date(Date.parse(at) - seconds * 1000).toISOString();
}

/**
 * Reads what inspect's (private) observation reads for one service (configuration and health, last known good, recent
 * probe results and served-by samples, the last recorded config change, ALB metrics for one
 * metrics period, the open incident) and diagnoses it with `lib/diagnosis`.
 */
export async function observeService(
  aws: AwsContext,
  config: LbGuardConfig,
  service: ServiceConfig,
  at: string,
): Promise<ServiceObservation> {
  const name = service.name;
  const lastGood = await aws.store.getLastGood(name);
  const describer = new Elbv2TargetGroupDescriber(aws.clients.elbv2);
  const hysteresis = service.thresholds.hysteresis ?? DEFAULT_HYSTERESIS;
  const [state, recentProbes, recentServedBy, changes, openIncident, latest] = await Promise.all([
    readServiceState(aws.reader, describer, service, lastGood?.snapshot),
    aws.store.recentProbeResults(name, minus(at, probeWindowMs(config.schedule, hysteresis) / 1000)),
    aws.store.recentServedBySamples(name, minus(at, SERVED_BY_WINDOW_SECONDS)),
    aws.store.recentConfigChanges(name, minus(at, CHANGE_WINDOW_SECONDS)),
    aws.store.getOpenIncident(name),
    aws.store.getLatestSnapshot(name),
  ]);
  // As inspect does: only evidence gathered under the current routing, probes through hysteresis.
  const hash = hashSnapshot(state.snapshot);
  const routingSince = latest?.hash === hash ? latest.takenAt : at;
  const probes = judgeProbes(
    recentProbes.filter((p) => p.at >= routingSince),
    hysteresis,
  );
  const servedBy = recentServedBy.filter((s) => s.at >= routingSince);
  const metrics = await readMetrics(aws, state, service, at, config.schedule.metricsPeriodSeconds);
  const latestServedBy = servedBy.at(-1);
  const lastChange = changes.at(-1);
  const signals: Signals = {
    at,
    service: name,
    snapshot: state.snapshot,
    ...(lastGood === undefined ? {} : { lastGood }),
    health: state.health,
    probes,
    ...(metrics === undefined ? {} : { metrics }),
    ...(latestServedBy === undefined ? {} : { servedBy: latestServedBy }),
    ...(lastChange === undefined ? {} : { lastChange }),
    ...(changes.length === 0 ? {} : { changes }),
  };
  return {
    service,
    at,
    state,
    ...(lastGood === undefined ? {} : { lastGood }),
    ...(openIncident === undefined ? {} : { openIncident }),
    signals,
    diagnosis: diagnose(signals, service.thresholds),
  };
}

async function readMetrics(
  aws: AwsContext,
  state: LoadBalancerState,
  service: ServiceConfig,
  at: string,
  periodSeconds: number,
): Promise<AlbMetrics | undefined> {
  const zones = new Set(
    state.snapshot.targetGroups.flatMap((g) =>
      g.targets.flatMap((t) => (t.availabilityZone === undefined ? [] : [t.availabilityZone])),
    ),
  );
  return aws.metrics.read({
    loadBalancerArn: service.loadBalancerArn,
    targetGroupArns: state.snapshot.targetGroups.map((g) => g.arn),
    availabilityZones: [...zones].sort(),
    start: minus(at, periodSeconds),
    end: at,
    periodSeconds,
  });
}
