import type { ServiceConfig } from '../../lib/config/index.ts';
import { plainProbe, usesSecrets } from '../../lib/config/secrets.ts';
import { LbGuardError } from '../../lib/errors.ts';
import { type GateVerdict, healthWindowMs, judgeGate } from '../../lib/gate.ts';
import { judgeDeployment, unknownServiceFinding, type VerifyFinding } from '../../lib/verification.ts';
import type { Prober } from '../adapters/http-prober.ts';
import type { Log } from '../adapters/log.ts';
import type { VerifyRequest } from '../runtime/events.ts';
import { type ObserveDeps, observe } from './observe.ts';

// The deployment gate: after someone changed the load balancer, may the deployment pass? Backs
// `lbguard verify` and the post-deploy trigger. It only reads: no incident, no promotion.

export type VerifyOutcome = {
  readonly kind: 'verify';
  readonly ok: boolean;
  readonly findings: readonly VerifyFinding[];
  readonly failOnFindings: boolean;
};

export interface VerifyDeps extends ObserveDeps {
  readonly logger: Log;
}

/** Raised by the post-deploy verification so the deployment fails. */
export class VerificationFailedError extends LbGuardError {
  readonly findings: readonly VerifyFinding[];

  constructor(findings: readonly VerifyFinding[]) {
    const bad = findings.filter((f) => !f.ok);
    super(`lbguard verification failed: ${bad.map((f) => `${f.service}: ${f.summary}`).join('; ')}`);
    this.name = 'VerificationFailedError';
    this.findings = findings;
  }
}

/** Judges every guarded service (or the one asked for) at the gate, from a fresh observation. */
export async function verifyDeployment(
  event: VerifyRequest,
  deps: VerifyDeps,
  guarded: readonly ServiceConfig[] = deps.config.services,
): Promise<VerifyOutcome> {
  const services = guarded.filter((s) => event.service === undefined || s.name === event.service);
  const failOnFindings = event.failOnFindings === true;
  if (services.length === 0) {
    return { kind: 'verify', ok: false, findings: [unknownServiceFinding(event.service)], failOnFindings };
  }
  const findings: VerifyFinding[] = [];
  for (const service of services) {
    const o = await observe(service, deps, { fetchMetrics: 'never', attributes: 'reread' });
    findings.push(judgeDeployment(service.name, o.diagnosis));
  }
  const ok = findings.every((f) => f.ok);
  deps.logger.info('verified', {
    ok,
    findings: findings.map((f) => ({ service: f.service, cause: f.cause })),
  });
  return { kind: 'verify', ok, findings, failOnFindings };
}

/** What the gate reads through: a fresh observation, and a prober when it runs the probes itself. */
export interface GateDeps extends ObserveDeps {
  /** Absent: health comes only from the probe function's results in the health window. */
  readonly prober?: Prober;
}

/**
 * `lbguard verify`'s gate for each service asked for: a fresh observation, the probes it can run
 * from here (a probe sending a secret is judged on the probe function's results), and the stored
 * results of the health window, judged by `judgeGate`. Reads only.
 */
export async function gateServices(
  services: readonly ServiceConfig[],
  deps: GateDeps,
): Promise<GateVerdict[]> {
  return Promise.all(
    services.map(async (service) => {
      const options = service.servedByHeader === undefined ? {} : { servedByHeader: service.servedByHeader };
      const prober = deps.prober;
      const [o, ran] = await Promise.all([
        // Per-instance counters are per-target evidence (a capacity concentration); ALB metrics
        // come with them in the same GetMetricData calls.
        observe(service, deps, {
          fetchMetrics: service.instanceCounters ? 'always' : 'never',
          attributes: 'reread',
        }),
        prober === undefined
          ? []
          : Promise.all(
              service.probes
                .filter((p) => !usesSecrets(p))
                .map((p) => prober.run(service.name, plainProbe(p, new Map()), options)),
            ),
      ]);
      const since = new Date(o.at.getTime() - healthWindowMs(deps.config.schedule)).toISOString();
      return judgeGate({
        signals: o.signals,
        thresholds: service.thresholds,
        diagnosis: o.diagnosis,
        probes: [...o.recentProbes, ...ran],
        since,
      });
    }),
  );
}
