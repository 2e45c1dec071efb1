import type { LbGuardConfig, ServiceConfig } from '../../lib/config/index.ts';
import {
  type Convergence,
  convergenceSinceWrite,
  describeConvergence,
  lastWriteAt,
  type WriteTime,
} from '../../lib/convergence.ts';
import { diagnose } from '../../lib/diagnosis.ts';
import { countsByInstance } from '../../lib/instance-counters.ts';
import type { LastGood } from '../../lib/last-good.ts';
import {
  attributeRotation,
  CHANGE_WINDOW_MS,
  counterIdentities,
  isoBefore,
  judgeProbes,
  type MetricsFetch,
  probeWindowMs,
  routingSince,
  SERVED_BY_WINDOW_MS,
  targetZones,
  wantsMetrics,
} from '../../lib/observation.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import { StateIntegrityError } from '../../lib/state-integrity.ts';
import type {
  AlbMetrics,
  Diagnosis,
  LbSnapshot,
  ProbeResult,
  Signals,
  StoredSnapshot,
  TargetGroupAttachments,
  TargetHealth,
} from '../../lib/types.ts';
import { allInOrder } from '../adapters/all-in-order.ts';
import type { Now } from '../adapters/clock.ts';
import type { AlbMetricsReader } from '../adapters/cloudwatch.ts';
import type { LoadBalancerReader } from '../adapters/elbv2/ports.ts';
import type { Log } from '../adapters/log.ts';
import type { EvidenceStore, SnapshotStore } from '../adapters/state-store/ports.ts';
import type { ZonalShifts } from '../adapters/zonal-shifts.ts';
import { knownAttributesOf, readServiceState, readZonalShifts } from './read-service.ts';

/** Everything lbguard knows about one service at one moment, diagnosed. */
export interface Observation {
  readonly at: Date;
  /** The newest stored snapshot before this observation (history is written on hash change). */
  readonly latest?: StoredSnapshot;
  readonly snapshot: LbSnapshot;
  readonly snapshotHash: string;
  readonly health: readonly TargetHealth[];
  /** Which load balancers use each target group read (for the plan's reach guardrail). */
  readonly attachments: TargetGroupAttachments;
  readonly lastGood?: LastGood;
  /** Every probe result under the current routing, blips included (the soak wants them all). */
  readonly probes: readonly ProbeResult[];
  /** Every probe result in the window, whatever the routing: a probe's history is the site's. */
  readonly recentProbes: readonly ProbeResult[];
  /** Whether the data plane follows the newest write, while it is recent (lib/convergence.ts). */
  readonly convergence?: Convergence;
  /** When that write happened, and how it is known. */
  readonly write?: WriteTime;
  /** What the diagnosis was given. */
  readonly signals: Signals;
  readonly diagnosis: Diagnosis;
}

/** What an observation reads through: inspect's adapters, whoever calls it. */
export interface ObserveDeps {
  readonly config: LbGuardConfig;
  readonly reader: LoadBalancerReader;
  readonly albMetrics: AlbMetricsReader;
  readonly store: SnapshotStore & EvidenceStore;
  readonly now: Now;
  /** Zonal shifts in effect (ARC); absent where nothing reads them (the CLI without a grant). */
  readonly zonalShifts?: ZonalShifts;
  /** Where a secondary read that failed (the zonal shifts) is reported. */
  readonly logger?: Log;
}

export interface ObserveOptions {
  readonly fetchMetrics: MetricsFetch;
  /** `reread`: every group's attributes; otherwise `rereadOf`, plus this cycle's rotation if `rotate`. */
  readonly attributes: 'reread' | { readonly rereadOf: readonly string[]; readonly rotate: boolean };
  /**
   * A change being recorded that this observation must see (the CloudTrail event that woke
   * inspect): the change window is read after it, the rest meanwhile.
   */
  readonly changesRecorded?: Promise<void>;
}

/**
 * Everything inspect knows about one service now, diagnosed. Reads only. The inspect function,
 * `lbguard status`, `restore`, `snapshot` and `verify` all observe through this, so they see the
 * same signals filtered the same way.
 */
export async function observe(
  service: ServiceConfig,
  deps: ObserveDeps,
  options: ObserveOptions,
): Promise<Observation> {
  const at = deps.now();
  const name = service.name;
  // The evidence windows depend on the time alone, so they are read while the load balancer is:
  // on the path from a CloudTrail event to a diagnosis, the longest reads overlap instead of
  // queueing. A failure of the stored state or of ELBv2 is still the one named when both fail.
  const [{ lastGood, latest, stateIntegrity, state }, [recentProbes, recentSamples, changes, zonalShifts]] =
    await allInOrder([
      readState(service, deps, options, at),
      readEvidence(service, deps, at, options.changesRecorded),
    ]);
  const snapshotHash = hashSnapshot(state.snapshot);
  const since = routingSince(latest, snapshotHash, at);
  const underCurrentRouting = (t: { readonly at: string }) => t.at >= since;
  const probes = recentProbes.filter(underCurrentRouting);
  const samples = recentSamples.filter(
    (s) => underCurrentRouting(s) && s.at >= isoBefore(at, SERVED_BY_WINDOW_MS),
  );
  const read = wantsMetrics(options.fetchMetrics, probes, at, deps.config.schedule)
    ? await readMetrics(service, state.snapshot, at, deps)
    : undefined;
  const metrics = read?.metrics;
  const instanceCounts = read?.instanceCounts;
  const servedBy = samples.at(-1);
  const lastChange = changes.at(-1);
  const write = lastWriteAt({
    changes,
    routingSince: since,
    firstObservation: latest === undefined,
    inspectPeriodMs: deps.config.schedule.inspectRateMinutes * 60_000,
  });
  const convergence = convergenceSinceWrite({
    writtenAt: write?.at,
    at: at.toISOString(),
    deadlineSeconds: service.remediation.verifyDeadlineSeconds,
    graceMs: GRACE_MS,
    servedBy: recentSamples,
    ...(instanceCounts === undefined || metrics === undefined
      ? {}
      : { counters: { counts: instanceCounts, windowStart: metrics.windowStart } }),
    intent: {
      snapshot: state.snapshot,
      health: state.health,
      ...(lastGood === undefined ? {} : { lastGood: lastGood.snapshot }),
      zonalShifts: zonalShifts ?? [],
    },
    thresholds: service.thresholds.skew,
  });
  const signals: Signals = {
    at: at.toISOString(),
    service: name,
    snapshot: state.snapshot,
    health: state.health,
    probes: judgeProbes(probes, service.thresholds.hysteresis),
    ...(lastGood === undefined ? {} : { lastGood }),
    ...(metrics === undefined ? {} : { metrics }),
    ...(instanceCounts === undefined ? {} : { instanceCounts }),
    ...(servedBy === undefined ? {} : { servedBy }),
    ...(lastChange === undefined ? {} : { lastChange }),
    ...(changes.length === 0 ? {} : { changes }),
    ...(stateIntegrity.length === 0 ? {} : { stateIntegrity }),
    ...(zonalShifts === undefined ? {} : { zonalShifts }),
    ...(convergence === undefined
      ? {}
      : {
          dataPlane: {
            kind: convergence.kind,
            line: describeConvergence(convergence, service.remediation.verifyDeadlineSeconds),
            evidence: convergence.kind === 'unobserved' ? [] : convergence.evidence,
          },
        }),
  };
  return {
    at,
    ...(latest === undefined ? {} : { latest }),
    snapshot: state.snapshot,
    snapshotHash,
    health: state.health,
    attachments: state.attachments,
    ...(lastGood === undefined ? {} : { lastGood }),
    probes,
    recentProbes,
    ...(convergence === undefined ? {} : { convergence }),
    ...(write === undefined ? {} : { write }),
    signals,
    diagnosis: diagnose(signals, service.thresholds),
  };
}

/**
 * Last known good, the newest snapshot and the load balancer as they are now. An item that fails
 * its integrity check is not used (no plan can come from it) and becomes the diagnosis; a missing
 * key or an unreachable KMS fails the invocation instead.
 */
async function readState(service: ServiceConfig, deps: ObserveDeps, options: ObserveOptions, at: Date) {
  const name = service.name;
  const [lastGoodRead, latestRead] = await allInOrder([
    checked(deps.store.getLastGood(name)),
    checked(deps.store.getLatestSnapshot(name)),
  ]);
  const lastGood = lastGoodRead.value;
  const latest = latestRead.value;
  const stateIntegrity = [lastGoodRead.failure, latestRead.failure].flatMap((f) =>
    f === undefined ? [] : [{ item: f.item, problem: f.problem }],
  );
  // Target group attributes change rarely, and changing them wakes inspect with a re-read of the
  // groups changed; in between, those of the latest snapshot stand, a few groups re-read a cycle.
  const knownAttributes =
    options.attributes === 'reread' || latest === undefined
      ? undefined
      : withoutGroups(knownAttributesOf(latest.snapshot), [
          ...(options.attributes.rotate
            ? attributeRotation(
                latest.snapshot.targetGroups.map((g) => g.arn),
                at,
                deps.config.schedule.inspectRateMinutes,
              )
            : []),
          ...options.attributes.rereadOf,
        ]);
  const state = await readServiceState(
    deps.reader,
    service,
    lastGood?.snapshot,
    knownAttributes === undefined ? {} : { knownAttributes },
  );
  return { lastGood, latest, stateIntegrity, state };
}

/** What was seen between inspections, each in its window back from `at`. */
function readEvidence(
  service: ServiceConfig,
  deps: ObserveDeps,
  at: Date,
  changesRecorded: Promise<void> = Promise.resolve(),
) {
  const name = service.name;
  const deadlineMs = service.remediation.verifyDeadlineSeconds * 1000;
  return allInOrder([
    deps.store.recentProbeResults(
      name,
      isoBefore(at, probeWindowMs(deps.config.schedule, service.thresholds.hysteresis)),
    ),
    // Back to the write's deadline at least: the lag is measured from its first following sample.
    deps.store.recentServedBySamples(
      name,
      isoBefore(at, Math.max(SERVED_BY_WINDOW_MS, deadlineMs + GRACE_MS)),
    ),
    changesRecorded.then(() => deps.store.recentConfigChanges(name, isoBefore(at, CHANGE_WINDOW_MS))),
    readZonalShifts(deps.zonalShifts, service.loadBalancerArn, deps.logger),
  ]);
}

/** How long after a write's deadline its convergence is still reported (then skew is skew). */
const GRACE_MS = SERVED_BY_WINDOW_MS;

async function checked<T>(
  read: Promise<T | undefined>,
): Promise<{ readonly value?: T; readonly failure?: StateIntegrityError }> {
  try {
    const value = await read;
    return value === undefined ? {} : { value };
  } catch (error) {
    if (error instanceof StateIntegrityError) return { failure: error };
    throw error;
  }
}

function withoutGroups<V>(known: ReadonlyMap<string, V>, arns: readonly string[]): ReadonlyMap<string, V> {
  const kept = new Map(known);
  for (const arn of arns) kept.delete(arn);
  return kept;
}

/**
 * ALB metrics and, in the same GetMetricData calls, the applications' per-instance counters
 * (docs/per-target-distribution.md), mapped to target keys.
 */
async function readMetrics(
  service: ServiceConfig,
  snapshot: LbSnapshot,
  at: Date,
  deps: ObserveDeps,
): Promise<{ readonly metrics: AlbMetrics; readonly instanceCounts?: Record<string, number> }> {
  const periodSeconds = deps.config.schedule.metricsPeriodSeconds;
  const { instanceRequests, ...metrics } = await deps.albMetrics.read({
    loadBalancerArn: service.loadBalancerArn,
    targetGroupArns: snapshot.targetGroups.map((g) => g.arn),
    availabilityZones: targetZones(snapshot),
    ...(service.instanceCounters ? { instanceIds: counterIdentities(snapshot) } : {}),
    service: service.name,
    start: isoBefore(at, periodSeconds * 1000),
    end: at.toISOString(),
    periodSeconds,
  });
  const datapoints = Object.entries(instanceRequests ?? {}).map(([instanceId, count]) => ({
    service: service.name,
    instanceId,
    count,
  }));
  if (datapoints.length === 0) return { metrics };
  return { metrics, instanceCounts: countsByInstance(datapoints, { snapshot }) };
}
