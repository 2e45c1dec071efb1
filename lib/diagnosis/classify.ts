/**
 * Deciding the cause: one root-cause class from the facts, load-balancer faults first (they are
 * the ones lbguard can fix), then the classes that stop it "fixing" a load balancer that is fine.
 */
import type { RootCause, Severity } from '../types.ts';
import type { Facts, GroupFacts } from './facts.ts';

/** The one root cause the facts point to; the order of the tests is the order of precedence. */
export function classify(f: Facts): RootCause {
  const emptied = f.groups.filter((g) => g.registered === 0);
  const shrunk = f.groups.filter(isShrunk);
  // First: whatever else is wrong, lbguard cannot act on it and people must know why.
  if ((f.signals.stateIntegrity ?? []).length > 0) return 'state-integrity';
  if (f.configSkew.length > 0) return 'routing-skew';
  if (emptied.length > 0 || (shrunk.length > 0 && f.impact) || f.groups.some(isHalved))
    return 'missing-targets';
  if (f.routingDrift.some((d) => d.remediable) && (f.impact || f.newDenials.length > 0))
    return 'listener-drift';
  if (f.survivors.length > 0) return 'single-survivor';
  if (f.groups.some(hasNoHealthyTargets)) return 'no-healthy-targets';
  if (f.groups.some((g) => (g.health?.unhealthy ?? 0) > 0)) return 'targets-unhealthy-balanced';
  // After a write, traffic still departing from the model past the deadline is the data plane's fault.
  if (f.signals.dataPlane?.kind === 'not-following') return 'data-plane-not-following';
  if (f.observedSkew.length > 0) return 'routing-skew';
  // Deliberate: unevenness it explains is not skew, and its targets are not sent traffic back.
  if (f.protections.length > 0) return 'lb-protecting';
  if (f.impact) {
    const backend = f.backendProbeFailures || (f.signals.metrics?.target5xx ?? 0) > 0;
    return backend ? 'backend-errors-balanced' : 'unknown';
  }
  return 'healthy';
}

/** Fewer registered targets than last known good had. */
export function isShrunk(g: GroupFacts): boolean {
  return g.registeredBefore !== undefined && g.registered < g.registeredBefore;
}

/** Half the capacity gone (one survivor of two included) is a risk before any customer notices. */
function isHalved(g: GroupFacts): boolean {
  return g.registeredBefore !== undefined && g.registered * 2 <= g.registeredBefore;
}

/** Registered targets, all failing their health checks (ALB then fails open to all of them). */
export function hasNoHealthyTargets(g: GroupFacts): boolean {
  return g.registered > 0 && g.health !== undefined && g.health.healthy === 0 && g.health.unhealthy > 0;
}

/** `critical` when customers are affected now, `info` when healthy, otherwise `warning`. */
export function severityOf(cause: RootCause, f: Facts): Severity {
  if (cause === 'healthy') return 'info';
  // Someone wrote to lbguard's state what lbguard did not: a security event, whatever the traffic.
  if (cause === 'state-integrity') return 'critical';
  // An emptied routed group answers 503 to its share of customers whether or not a probe hit it.
  if (f.impact || f.groups.some((g) => g.registered === 0)) return 'critical';
  return 'warning';
}
