import { type Convergence, describeConvergence } from './convergence.ts';
import { describeStep, type PlanOutcome } from './plan.ts';
import type { Diagnosis, LbSnapshot, ProbeResult, Severity, TargetHealth } from './types.ts';

// Two judgements that both answer "is it right now?", for two different moments:
// - recovery: after lbguard applied a plan, has the load balancer come back to last known good,
//   does the data plane serve what it now models, and do the probes pass? (remediate polls this
//   until its deadline);
// - deployment: after someone else changed the load balancer (a deploy), is its routing such
//   that the deployment may pass the gate? (`lbguard verify`, the post-deploy trigger).

/** Recovery after a plan: ok only when the configuration converged, traffic followed and every probe passed. */
export interface RecoveryVerdict {
  readonly ok: boolean;
  /** The live configuration equals last known good: the API side of the recovery. */
  readonly configConverged: boolean;
  /** The data plane side, when it was looked at (lib/convergence.ts). */
  readonly dataPlane?: Convergence;
  readonly evidence: readonly string[];
}

/**
 * Judges one look at the load balancer after a plan was applied. `replanned` is the plan that
 * would restore last known good from the live state now: nothing to do means the configuration
 * converged. The API accepting the plan is not enough: `dataPlane` must say the observed shares
 * follow the model, or that nothing could observe them (the evidence then says it was verified on
 * configuration and probes alone).
 */
export function judgeRecovery(input: {
  readonly replanned: PlanOutcome;
  readonly live: LbSnapshot;
  readonly health: readonly TargetHealth[];
  readonly probes: readonly ProbeResult[];
  readonly dataPlane?: Convergence;
  /** The deadline the data plane is held to, for its evidence line. */
  readonly deadlineSeconds?: number;
}): RecoveryVerdict {
  const { replanned, live, health, probes, dataPlane } = input;
  const converged = replanned.kind === 'nothing-to-do';
  const states = new Map<string, number>();
  for (const h of health) states.set(h.state, (states.get(h.state) ?? 0) + 1);
  const followed =
    dataPlane === undefined || dataPlane.kind === 'converged' || dataPlane.kind === 'unobserved';
  const evidence = [
    converged
      ? 'config: live routing matches last known good (nothing left to restore)'
      : `config: not converged (${replanned.kind === 'plan' ? replanned.plan.steps.map((s) => describeStep(s, live)).join('; ') : replanned.detail})`,
    ...(dataPlane === undefined
      ? []
      : [
          describeConvergence(dataPlane, input.deadlineSeconds ?? 0),
          ...(dataPlane.kind === 'unobserved' ? [] : dataPlane.evidence),
        ]),
    `targets: ${[...states].map(([state, n]) => `${n} ${state}`).join(', ') || 'none registered'}`,
    ...probes.map(describeProbe),
  ];
  return {
    ok: converged && followed && probes.every((p) => p.ok),
    configConverged: converged,
    ...(dataPlane === undefined ? {} : { dataPlane }),
    evidence,
  };
}

/**
 * The diagnosis when the configuration lbguard wrote converged and the data plane did not follow
 * it by the deadline: what was written when, what the data plane still serves, what to do.
 */
export function dataPlaneNotFollowing(input: {
  readonly dataPlane: Extract<Convergence, { kind: 'not-following' }>;
  readonly written: readonly string[];
  readonly deadlineSeconds: number;
}): Diagnosis {
  const { dataPlane, written, deadlineSeconds } = input;
  return {
    cause: 'data-plane-not-following',
    lbFault: true,
    remediable: false,
    severity: 'critical',
    summary: `The data plane is not following the configuration: written at ${dataPlane.writtenAt}, traffic has not moved ${deadlineSeconds} s later`,
    evidence: [
      `written at ${dataPlane.writtenAt}: ${written.length === 0 ? 'nothing (live routing already matched last known good)' : written.join('; ')}`,
      describeConvergence(dataPlane, deadlineSeconds),
      ...dataPlane.evidence,
      'What to do: keep the targets the data plane still serves (do not scale them away), compare the listener with what the served-by samples show, and open an AWS support case with the write time above; lbguard does not write again and does not resolve this incident until traffic is observed to follow.',
    ],
    drift: [],
  };
}

/** What stands in for a probe the probe function has not reported on since the plan was applied. */
export const NO_REPORT_YET = 'no result from the probe function since the plan was applied';

/**
 * For probes remediate cannot run itself (their credentials only probe may read): the probe
 * function's newest result started after `since` (`results` oldest first; one started at the
 * same instant may predate the change), or a failing stand-in saying none has come yet, so
 * recovery waits for one.
 */
export function reportedProbes(
  service: string,
  names: readonly string[],
  results: readonly ProbeResult[],
  since: string,
  at: string,
): ProbeResult[] {
  return names.map(
    (probe) =>
      results.filter((r) => r.probe === probe && r.at > since).at(-1) ?? {
        service,
        probe,
        at,
        ok: false,
        totalMs: 0,
        steps: [{ name: probe, url: '', method: '', ok: false, latencyMs: 0, failures: [NO_REPORT_YET] }],
      },
  );
}

function describeProbe(p: ProbeResult): string {
  if (p.ok) return `probe ${p.probe}: ok in ${p.totalMs} ms`;
  const step = p.steps.find((s) => !s.ok);
  return `probe ${p.probe}: failed${step ? ` at ${step.name}: ${step.failures[0] ?? step.error ?? `status ${step.status}`}` : ''}`;
}

/** One service's answer at the deployment gate. */
export interface VerifyFinding {
  readonly service: string;
  readonly ok: boolean;
  readonly cause: Diagnosis['cause'];
  readonly severity: Severity;
  readonly summary: string;
  readonly evidence: readonly string[];
}

/**
 * The gate's finding for one service from its diagnosis. The gate guards the load balancer's
 * configuration: an application fault is reported in the summary but is not the deployment's
 * routing to block.
 */
export function judgeDeployment(service: string, diagnosis: Diagnosis): VerifyFinding {
  return {
    service,
    ok: !diagnosis.lbFault,
    cause: diagnosis.cause,
    severity: diagnosis.severity,
    summary: diagnosis.summary,
    evidence: diagnosis.evidence,
  };
}

/** The gate's finding when the service asked for is not guarded: a failure, never a pass. */
export function unknownServiceFinding(service: string | undefined): VerifyFinding {
  return {
    service: service ?? '(none)',
    ok: false,
    cause: 'unknown',
    severity: 'warning',
    summary: `no guarded service named ${service ?? '(none)'}`,
    evidence: [],
  };
}
