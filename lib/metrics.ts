/**
 * The custom metrics lbguard's functions emit (EMF, namespace `LbGuard`, one dimension
 * `Service`) — the one list that the lambdas emit and the CDK alarms and dashboard read, so the
 * two cannot drift apart. Every name costs $0.30 a month per guarded service: keep it short.
 */
export const LBGUARD_NAMESPACE = 'LbGuard';

export const LBGUARD_METRICS = {
  /** 1 when a probe run passed every assertion, else 0 (probe). Read as Average. */
  probeSuccess: 'ProbeSuccess',
  /** Milliseconds a probe run took (probe). */
  probeLatency: 'ProbeLatency',
  /** Responses with status 503 seen by probes (probe). Read as Sum. */
  probe503: 'Probe503',
  /** 1 when routing is concentrated on too few targets, else 0 (inspect). */
  skewDetected: 'SkewDetected',
  /** Number of drift items against last known good (inspect). */
  driftCount: 'DriftCount',
  /** Distinct targets seen answering in served-by samples (probe). */
  servedBySpread: 'ServedBySpread',
  /** 1 per remediation that failed to apply or verify (remediate). Read as Sum. */
  remediationFailed: 'RemediationFailed',
  /** 1 per incident escalated to people (inspect, remediate). Read as Sum. */
  incidentEscalated: 'IncidentEscalated',
  /**
   * Milliseconds from an ELBv2 write to the first observation of the data plane serving the
   * modelled shares (remediate after its own write, inspect after a deployment's). Read as Maximum.
   */
  propagationLag: 'PropagationLag',
} as const;

export type LbGuardMetricName = (typeof LBGUARD_METRICS)[keyof typeof LBGUARD_METRICS];

/**
 * Metrics about lbguard itself, emitted with no dimension: one per deployment, whatever the
 * number of services. Published only when something went wrong, so they cost nothing otherwise.
 */
export const LBGUARD_DEPLOYMENT_METRICS = {
  /** 1 per write to the state table that failed after retries (all functions). Read as Sum. */
  stateWriteFailed: 'StateWriteFailed',
} as const;
