import type { LoadBalancerState } from '../lambdas/adapters/elbv2.ts';
import type { LastGood } from '../lambdas/adapters/state-store.ts';
import { observe } from '../lambdas/inspect/handler.ts';
import { Elbv2TargetGroupDescriber } from '../lambdas/flows/read-service.ts';
import type { LbGuardConfig, ServiceConfig } from '../lib/config/index.ts';
import type { Incident } from '../lib/incident.ts';
import type { Diagnosis, Signals } from '../lib/types.ts';
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

/**
 * Observes one service exactly as the inspect function does (lambdas/inspect/handler.ts
 * `observe`: the same windows, the current-routing filter, probes through hysteresis, ALB metrics
 * with the per-instance counters), except that an operator always gets fresh metrics and every
 * group's attributes, and adds the open incident.
 */
export async function observeService(
  aws: AwsContext,
  config: LbGuardConfig,
  service: ServiceConfig,
  at: string,
): Promise<ServiceObservation> {
  const [o, openIncident] = await Promise.all([
    observe(
      service,
      {
        config,
        reader: aws.reader,
        describer: new Elbv2TargetGroupDescriber(aws.clients.elbv2),
        albMetrics: aws.metrics,
        store: aws.store,
        now: () => new Date(at),
      },
      { fetchMetrics: 'always', attributes: 'reread' },
    ),
    aws.store.getOpenIncident(service.name),
  ]);
  return {
    service,
    at,
    state: { snapshot: o.snapshot, health: o.health },
    ...(o.lastGood === undefined ? {} : { lastGood: o.lastGood }),
    ...(openIncident === undefined ? {} : { openIncident }),
    signals: o.signals,
    diagnosis: o.diagnosis,
  };
}
