/**
 * The custom metrics lbguard's functions emit (EMF, namespace `LbGuard`, one dimension
 * `Service`) — the one list that the lambdas emit and the CDK alarms and dashboard read, so the
 * two cannot drift apart.
 *
 * CloudWatch bills $0.30 a month for every metric name and dimension value published, prorated
 * by the hour it is published in, and $0.10 a month for every metric an alarm reads. So only
 * `ProbeSuccess` is published in every round (its silence is itself a signal); the verdicts that
 * page someone are published only in the hours they happen (`publicationOf`), and the figures
 * only the dashboard and Logs Insights read stay properties of the EMF record, which cost nothing
 * beyond the log line that carries them.
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
  /**
   * The most severe lbguard verdict of the record (`SIGNAL_CODES`), published only when there is
   * one: a single metric, and a single alarm, for three of the on-call's signals. Read as Maximum.
   */
  signal: 'Signal',
  /**
   * 1 per invocation that found the enrolment registry failing a check or unreadable, and so
   * guarded its config's services only (inspect, probe, remediate, enrol). Read as Sum; alarmable.
   */
  registryUnreadable: 'RegistryUnreadable',
  /** Enrolment transitions (enrolled, released, updated) one sweep wrote (enrol). Read as Sum. */
  enrolmentTransitions: 'EnrolmentTransitions',
} as const;

export type LbGuardMetricName = (typeof LBGUARD_METRICS)[keyof typeof LBGUARD_METRICS];

/**
 * The values of `Signal`, ranked so that a minute's Maximum names the most severe verdict in it:
 * an escalation outranks the failed remediation that led to it, which outranks the skew it tried
 * to fix. The alarm's notification carries the value (its state reason quotes the datapoint).
 */
export const SIGNAL_CODES = {
  routingSkew: 1,
  remediationFailed: 2,
  incidentEscalated: 3,
} as const;

/** Which emitted value feeds which `Signal` code. */
const SIGNAL_SOURCES: Readonly<Partial<Record<LbGuardMetricName, number>>> = {
  SkewDetected: SIGNAL_CODES.routingSkew,
  RemediationFailed: SIGNAL_CODES.remediationFailed,
  IncidentEscalated: SIGNAL_CODES.incidentEscalated,
};

/**
 * How a value reaches CloudWatch:
 * - `metric`: a custom metric in every record (a gauge whose absence must alarm);
 * - `event`: a custom metric only when non-zero (zero stays a record property), so it costs
 *   only in the hours something happened and its alarm treats no data as fine;
 * - `property`: never a metric, only a field of the EMF record for Logs Insights and the
 *   dashboard's log widgets.
 */
export type Publication = 'metric' | 'event' | 'property';

const PUBLICATION: Readonly<Record<LbGuardMetricName, Publication>> = {
  ProbeSuccess: 'metric',
  DriftCount: 'event',
  Signal: 'event',
  // Emitted only after an ELBv2 write, alone in its record: as a property it would never be logged.
  PropagationLag: 'event',
  SkewDetected: 'property',
  RemediationFailed: 'property',
  IncidentEscalated: 'property',
  ProbeLatency: 'property',
  Probe503: 'property',
  ServedBySpread: 'property',
  RegistryUnreadable: 'event',
  EnrolmentTransitions: 'event',
};

/** One value as the functions emit it. */
export interface EmittedValue {
  readonly name: LbGuardMetricName;
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
}

/** One EMF record: what becomes a custom metric, and what stays a property of the log line. */
export interface EmfRecordPlan {
  readonly metrics: readonly EmittedValue[];
  readonly properties: Readonly<Record<string, number>>;
}

/**
 * Splits one service's emitted values into the custom metrics to publish and the record
 * properties to log, adding `Signal` when a verdict is present. Several values of one property
 * fold into one: milliseconds to the slowest (the figure an on-call reads), counts to their sum.
 */
export function planEmfRecord(values: readonly EmittedValue[]): EmfRecordPlan {
  const metrics: EmittedValue[] = [];
  const properties: Record<string, number> = {};
  let signal = 0;
  for (const v of values) {
    const code = SIGNAL_SOURCES[v.name];
    if (code !== undefined && v.value > 0) signal = Math.max(signal, code);
    const publication = PUBLICATION[v.name];
    if (publication === 'metric' || (publication === 'event' && v.value > 0)) {
      metrics.push(v);
      continue;
    }
    const before = properties[v.name];
    properties[v.name] =
      before === undefined
        ? v.value
        : v.unit === 'Milliseconds'
          ? Math.max(before, v.value)
          : before + v.value;
  }
  if (signal > 0) metrics.push({ name: LBGUARD_METRICS.signal, unit: 'Count', value: signal });
  return { metrics, properties };
}

/** The names `planEmfRecord` can publish as custom metrics: the ones that can ever be billed. */
export function publishedMetricNames(): LbGuardMetricName[] {
  return (Object.keys(PUBLICATION) as LbGuardMetricName[]).filter((n) => PUBLICATION[n] !== 'property');
}

/**
 * Metrics about lbguard itself, emitted with no dimension: one per deployment, whatever the
 * number of services. Published only when something went wrong, so they cost nothing otherwise.
 */
export const LBGUARD_DEPLOYMENT_METRICS = {
  /** 1 per write to the state table that failed after retries (all functions). Read as Sum. */
  stateWriteFailed: 'StateWriteFailed',
  /** Hub events (entries) a spoke could not deliver after its one retry (inspect, remediate, enrol). Read as Sum. */
  hubReportFailures: 'HubReportFailures',
} as const;
