import type { RootCause } from '../lib/types.ts';
import type { ScenarioRun } from './run-types.ts';
import type { Expectations, ScenarioCheck } from './scenarios/types.ts';

// The expectations of issue 15's scenarios, beside analysis.ts's: causes lbguard must never page
// for (deliberate unevenness is not skew), a bound on customers' failures, writes held back until
// an owner in flight settles, and the scenario's own end-of-run checks.

/** States in which an incident has paged people. */
const PAGED: ReadonlySet<string> = new Set(['confirmed', 'mitigating', 'verifying', 'resolved', 'escalated']);

/** The slice of the run's analysis these checks read. */
export interface IntentFigures {
  readonly cause?: RootCause;
  readonly requestsAfterFault: number;
  readonly failedAfterFault: number;
}

export function intentChecks(run: ScenarioRun, a: IntentFigures, expect: Expectations): ScenarioCheck[] {
  const checks: ScenarioCheck[] = [];
  const never = expect.neverCauses;
  if (never !== undefined) {
    const paged = [
      ...run.inspections
        .filter((i) => i.startedAt >= run.faultAt && i.cause !== undefined && never.includes(i.cause))
        .filter((i) => i.incidentState !== undefined && PAGED.has(i.incidentState))
        .map((i) => `${i.cause} (${i.incidentState})`),
      ...run.incidents
        .filter((i) => i.diagnosis !== undefined && never.includes(i.diagnosis.cause))
        .filter((i) => i.timeline.some((e) => PAGED.has(e.to)))
        .map((i) => `${i.diagnosis?.cause} (incident ${i.id})`),
    ];
    checks.push({
      name: `never paged ${never.join(' or ')}`,
      ok: paged.length === 0,
      detail: paged.length === 0 ? `confirmed cause ${a.cause ?? 'none'}` : [...new Set(paged)].join(', '),
    });
  }
  if (expect.maxFailureRate !== undefined) {
    const rate = a.requestsAfterFault === 0 ? 0 : a.failedAfterFault / a.requestsAfterFault;
    checks.push({
      name: `customer failures at most ${(100 * expect.maxFailureRate).toFixed(1)}%`,
      ok: rate <= expect.maxFailureRate,
      detail: `${a.failedAfterFault} of ${a.requestsAfterFault} failed after the fault (${(100 * rate).toFixed(2)}%)`,
    });
  }
  if (expect.noWritesBefore === 'settled') {
    const settled = run.marks.find((m) => m.kind === 'settled' && m.at >= run.faultAt);
    const early = run.writes.filter((w) => settled === undefined || w.at < settled.at);
    checks.push({
      name: 'no ELBv2 write while the owner was in flight',
      ok: settled !== undefined && early.length === 0,
      detail:
        settled === undefined
          ? 'the owner never settled (no `settled` mark)'
          : early.length === 0
            ? `first write ${run.writes[0] === undefined ? 'never' : `${((run.writes[0].at - settled.at) / 1000).toFixed(2)} s after it settled`}`
            : `${early.length} made in flight: ${[...new Set(early.map((w) => w.op))].join(', ')}`,
    });
  }
  checks.push(...(run.scenarioChecks ?? []));
  return checks;
}
