import type { ServiceConfig } from '../../lib/config/index.ts';
// Not through index.ts, whose YAML parser no function bundles.
import { plainProbe, usesSecrets } from '../../lib/config/secrets.ts';
import { type DataPlaneLook, judgeDataPlane, trackConvergence } from '../../lib/convergence.ts';
import type { LastGood } from '../../lib/last-good.ts';
import { type PlanOutcome, planRestore } from '../../lib/plan.ts';
import type { ZonalShift } from '../../lib/types.ts';
import { judgeRecovery, type RecoveryVerdict, reportedProbes } from '../../lib/verification.ts';
import type { Now, Sleep } from '../adapters/clock.ts';
import type { LoadBalancerReader, LoadBalancerState } from '../adapters/elbv2/ports.ts';
import type { EvidenceStore } from '../adapters/state-store/ports.ts';
import { type DataPlaneDeps, sampleDataPlane } from './data-plane.ts';
import { readServiceState } from './read-service.ts';

// Remediate's verification after it wrote: poll the configuration, the data plane and the probes
// until all agree with last known good, or the deadline passes.

/** What verification reads, and its clock: a part of remediate's deps. */
export interface RecoveryDeps extends DataPlaneDeps {
  readonly reader: LoadBalancerReader;
  readonly store: Pick<EvidenceStore, 'recentServedBySamples' | 'recentProbeResults'>;
  readonly now: Now;
  readonly sleep: Sleep;
}

/** Remediate reads no secret: the probes it runs itself are those that need none. */
const NO_SECRET_VALUES: ReadonlyMap<string, string> = new Map();

/** Between verification polls; re-registered targets need healthy-threshold × interval anyway. */
const VERIFY_POLL_MS = 10_000;

/** The plan restoring last known good from `live`, as remediate re-plans it under the lock. */
export function replan(
  service: ServiceConfig,
  live: LoadBalancerState,
  lastGood: LastGood,
  shifts: readonly ZonalShift[] | undefined,
): PlanOutcome {
  return planRestore({
    current: live.snapshot,
    lastGood: lastGood.snapshot,
    health: live.health,
    attachments: live.attachments,
    policy: service.remediation,
    ...(shifts === undefined ? {} : { zonalShifts: shifts }),
  });
}

/**
 * Polls until config has converged on last known good, the data plane serves the modelled shares
 * and every probe passes, or the deadline passes. Re-registered targets stay `initial` for
 * healthy-threshold × interval, which is what `verifyDeadlineSeconds` is sized for. The looks at
 * the data plane accumulate: the propagation lag runs from the write to the first look of the
 * run of following looks that ends the wait.
 */
export async function awaitRecovery(
  service: ServiceConfig,
  lastGood: LastGood,
  shifts: readonly ZonalShift[] | undefined,
  appliedAt: string,
  deps: RecoveryDeps,
): Promise<RecoveryVerdict> {
  const deadline = deps.now().getTime() + service.remediation.verifyDeadlineSeconds * 1000;
  const looks: DataPlaneLook[] = [];
  for (;;) {
    const verdict = await checkRecovery(service, lastGood, shifts, appliedAt, looks, deps);
    const left = deadline - deps.now().getTime();
    if (verdict.ok || left <= 0) return verdict;
    await deps.sleep(Math.min(VERIFY_POLL_MS, left));
  }
}

/**
 * Remediate runs the probes it can; a probe that sends a secret (which only probe's role may read)
 * is judged on the probe function's own results since the plan was applied.
 */
async function checkRecovery(
  service: ServiceConfig,
  lastGood: LastGood,
  shifts: readonly ZonalShift[] | undefined,
  appliedAt: string,
  looks: DataPlaneLook[],
  deps: RecoveryDeps,
): Promise<RecoveryVerdict> {
  const live = await readServiceState(deps.reader, service, lastGood.snapshot);
  const options = service.servedByHeader === undefined ? {} : { servedByHeader: service.servedByHeader };
  const reported = service.probes.filter(usesSecrets).map((p) => p.name);
  const [samples, ran, results] = await Promise.all([
    sampleDataPlane(service, looks.at(-1)?.at ?? appliedAt, deps),
    Promise.all(
      service.probes
        .filter((p) => !usesSecrets(p))
        .map((p) => deps.prober.run(service.name, plainProbe(p, NO_SECRET_VALUES), options)),
    ),
    reported.length === 0 ? [] : deps.store.recentProbeResults(service.name, appliedAt),
  ]);
  const probes = [
    ...ran,
    ...reportedProbes(service.name, reported, results, appliedAt, deps.now().toISOString()),
  ];
  const at = deps.now().toISOString();
  const deadlineSeconds = service.remediation.verifyDeadlineSeconds;
  if (service.servedByHeader !== undefined) {
    const intent = {
      snapshot: live.snapshot,
      health: live.health,
      lastGood: lastGood.snapshot,
      // A shifted zone's targets serve less on purpose: that is not "not following".
      zonalShifts: shifts ?? [],
    };
    // One look per burst, at the time it began: a stored burst taken under the old routing is
    // judged as of then, not as of this poll, and the lag is measured to when traffic was seen.
    if (samples.length === 0) looks.push(judgeDataPlane([], intent, service.thresholds.skew, at));
    for (const s of samples) looks.push(judgeDataPlane([s], intent, service.thresholds.skew, s.at));
    looks.sort((a, b) => a.at.localeCompare(b.at));
  }
  return judgeRecovery({
    // Converged means nothing left to restore that a plan may restore: not a shifted zone's targets.
    replanned: replan(service, live, lastGood, shifts),
    live: live.snapshot,
    health: live.health,
    probes,
    ...(looks.length === 0 ? {} : { dataPlane: trackConvergence(looks, appliedAt, at, deadlineSeconds) }),
    deadlineSeconds,
  });
}
