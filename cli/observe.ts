import type { LoadBalancerState } from '../lambdas/adapters/elbv2/ports.ts';
import type { Log } from '../lambdas/adapters/log.ts';
import { observe } from '../lambdas/flows/observe.ts';
import { inspectDeps } from '../lambdas/inspect/deps.ts';
import type { LbGuardConfig, ServiceConfig } from '../lib/config/index.ts';
import type { Incident } from '../lib/incident.ts';
import type { LastGood } from '../lib/last-good.ts';
import type { Diagnosis, Signals } from '../lib/types.ts';
import type { AwsContext } from './context.ts';
import { CapturingInvoker, CollectingNotifier, silentMetrics } from './runtime.ts';

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

/**
 * Observes one service exactly as the inspect function does (lambdas/flows/observe.ts: the same
 * windows, the current-routing filter, probes through hysteresis, ALB metrics with the
 * per-instance counters), except that an operator always gets fresh metrics and every group's
 * attributes, and adds the open incident.
 */
/** What a read-only observation logs to: nothing (a failed secondary read is shown with --debug elsewhere). */
const QUIET_LOG: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export async function observeService(
  aws: AwsContext,
  config: LbGuardConfig,
  service: ServiceConfig,
  at: string,
): Promise<ServiceObservation> {
  const deps = inspectDeps(
    { config, tableName: aws.tableName },
    {
      clients: aws.clients,
      reader: aws.reader,
      albMetrics: aws.metrics,
      store: aws.store,
      // Observing reads only: nothing is told, nothing is handed off.
      notifier: new CollectingNotifier(),
      invoker: new CapturingInvoker(),
      metrics: silentMetrics,
      // The Lambda's JSON logger must not reach an operator's stderr; `--debug` shows these.
      logger: QUIET_LOG,
      now: () => new Date(at),
    },
  );
  const [o, openIncident] = await Promise.all([
    observe(service, deps, { fetchMetrics: 'always', attributes: 'reread' }),
    aws.store.getOpenIncident(service.name),
  ]);
  return {
    service,
    at,
    state: { snapshot: o.snapshot, health: o.health, attachments: o.attachments },
    ...(o.lastGood === undefined ? {} : { lastGood: o.lastGood }),
    ...(openIncident === undefined ? {} : { openIncident }),
    signals: o.signals,
    diagnosis: o.diagnosis,
  };
}
