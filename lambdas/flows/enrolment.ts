import type { LbGuardConfig } from '../../lib/config/index.ts';
import { LbGuardError } from '../../lib/errors.ts';
import {
  type EnrolmentCause,
  enrolmentEvent,
  enrolmentNotification,
} from '../../lib/fleet/enrolment-messages.ts';
import { diffEnrolment, type Enrolment, type EnrolmentTransition, enrol } from '../../lib/fleet/index.ts';
import { capEnrolment, encodeRegistryBody, type RegistryBody } from '../../lib/fleet/registry.ts';
import type { Scope } from '../../lib/fleet/scope.ts';
import type { Now } from '../adapters/clock.ts';
import type { LoadBalancerDiscovery } from '../adapters/elbv2/discovery.ts';
import type { HubReporter } from '../adapters/hub-reporter.ts';
import type { Log } from '../adapters/log.ts';
import type { MetricsSink } from '../adapters/metrics-sink.ts';
import type { Notifier } from '../adapters/notifier.ts';
import type { RegistryRead, RegistryStore } from '../adapters/state-store/enrolment-registry.ts';
import type { EnrolEvent } from '../runtime/enrol-events.ts';

// The spoke's enrolment (docs/fleet.md "The spoke"): every wake-up sweeps the account and region,
// decides with lib/fleet's enrol(), and writes what changed to the registry that inspect, probe
// and remediate read — so a load balancer tagged lbguard:guard is guarded without a redeploy.

export interface EnrolmentDeps {
  readonly config: LbGuardConfig;
  readonly discovery: LoadBalancerDiscovery;
  readonly registry: RegistryStore;
  readonly notifier: Notifier;
  readonly hub: HubReporter;
  readonly metrics: MetricsSink;
  readonly logger: Log;
  readonly now: Now;
}

export type EnrolmentOutcome =
  | {
      readonly kind: 'written';
      readonly scope: Scope;
      readonly version: number;
      readonly transitions: readonly EnrolmentTransition[];
    }
  /** The sweep found what the registry already holds: nothing written, nobody told. */
  | { readonly kind: 'unchanged'; readonly scope: Scope; readonly version: number }
  /** A CloudTrail call that failed changed nothing: no sweep. */
  | { readonly kind: 'ignored'; readonly reason: string };

/** Two sweeps rarely collide more than once; a third loss means something keeps writing. */
const MAX_WRITE_ATTEMPTS = 3;

const EMPTY: Enrolment = { services: [], ignored: [], errors: [] };

/**
 * One sweep of the event's account and region. A listing that fails throws before anything is
 * written (a failed listing must never read as "every load balancer deleted"); the write is
 * conditioned on the version read, and a sweep that loses the race re-reads and diffs again, so
 * each transition is notified once, by the sweep that wrote it.
 */
export async function runEnrolment(event: EnrolEvent, deps: EnrolmentDeps): Promise<EnrolmentOutcome> {
  const scope: Scope = { account: event.account, region: event.region };
  let cause: EnrolmentCause = 'sweep';
  if (event.source === 'aws.elasticloadbalancing') {
    if (event.detail.errorCode !== undefined) {
      const reason = `${event.detail.eventName} failed (${event.detail.errorCode}): nothing changed`;
      deps.logger.info('enrolment event ignored', { reason });
      return { kind: 'ignored', reason };
    }
    cause = event.detail.eventName;
  }
  const discovery = deps.config.discovery;
  if (discovery === undefined)
    throw new LbGuardError('lbguard: enrol needs a discovery section in the config');

  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const stored = await deps.registry.read(scope);
    const loadBalancers = await deps.discovery.listLoadBalancers();
    const current = capEnrolment(
      enrol({ loadBalancers, services: deps.config.services, profiles: discovery.profiles, scope }),
    );
    const { previous, version } = previousOf(stored, deps.logger);
    const transitions = diffEnrolment(previous, current);
    if (stored.kind === 'read' && transitions.length === 0 && sameLists(previous, current)) {
      deps.logger.info('enrolment unchanged', { scope, version, guarded: current.services.length });
      return { kind: 'unchanged', scope, version: version ?? 0 };
    }
    const at = deps.now().toISOString();
    const body: RegistryBody = { sweptAt: at, ...current };
    const put = await deps.registry.write(scope, body, version);
    if (!put.written) {
      deps.logger.info('another sweep wrote the registry first; re-reading', { scope, attempt });
      continue;
    }
    await tell(transitions, cause, at, deps);
    const written = (version ?? 0) + 1;
    deps.logger.info('enrolment written', {
      scope,
      version: written,
      cause,
      guarded: current.services.length,
      refused: current.errors.length,
      transitions,
    });
    return { kind: 'written', scope, version: written, transitions };
  }
  throw new LbGuardError(
    `the enrolment registry of ${scope.account}/${scope.region} kept changing; giving up this time`,
  );
}

/** What the registry held, to diff against; a refused item counts as empty (and is overwritten). */
function previousOf(stored: RegistryRead, logger: Log): { previous: Enrolment; version: number | undefined } {
  switch (stored.kind) {
    case 'absent':
      return { previous: EMPTY, version: undefined };
    case 'read':
      return { previous: stored.registry, version: stored.registry.version };
    case 'refused':
      logger.error('enrolment registry failed its check; rewriting it from this sweep', {
        problem: stored.problem,
      });
      return { previous: EMPTY, version: stored.version };
  }
}

/** Ignored and refused load balancers matter too: the heartbeat reports the refused ones. */
function sameLists(a: Enrolment, b: Enrolment): boolean {
  const text = ({ services, ignored, errors }: Enrolment) =>
    encodeRegistryBody({ sweptAt: '', services, ignored, errors });
  return text(a) === text(b);
}

/**
 * One message per transition, then the hub's events. Every message is attempted; failures are
 * thrown together so the invocation fails and is retried (the registry is already written, so
 * the retry finds it unchanged: a lost message is logged, never sent twice by design).
 */
async function tell(
  transitions: readonly EnrolmentTransition[],
  cause: EnrolmentCause,
  at: string,
  deps: EnrolmentDeps,
): Promise<void> {
  if (transitions.length === 0) return;
  deps.metrics.emit('(enrolment)', [
    { name: 'EnrolmentTransitions', unit: 'Count', value: transitions.length },
  ]);
  const settled = await Promise.allSettled(
    transitions.map((t) => deps.notifier.notify(enrolmentNotification(t, cause))),
  );
  await deps.hub.report(transitions.map((t) => enrolmentEvent(t, at)));
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failures.length > 0) {
    deps.logger.error('enrolment notifications failed', { failures: failures.length });
    throw failures.length === 1
      ? failures[0]
      : new AggregateError(failures, 'enrolment notifications failed');
  }
}
