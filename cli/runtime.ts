import type { Log } from '../lambdas/adapters/log.ts';
import type { MetricsSink } from '../lambdas/adapters/metrics-sink.ts';
import { type Notification, type Notifier, SnsNotifier } from '../lambdas/adapters/notifier.ts';
import type { RemediationInvoker } from '../lambdas/adapters/remediation-handoff.ts';
import type { InspectDeps } from '../lambdas/flows/inspect.ts';
import type { RemediateDeps } from '../lambdas/flows/remediate.ts';
import { inspectDeps } from '../lambdas/inspect/deps.ts';
import { remediateDeps } from '../lambdas/remediate/deps.ts';
import type { WiringEnv } from '../lambdas/runtime/env.ts';
import type { RemediateRequest } from '../lambdas/runtime/remediate-events.ts';
import type { LbGuardConfig } from '../lib/config/index.ts';
import type { AwsContext } from './context.ts';
import type { CliIo } from './io.ts';

// The CLI runs the lambdas' own flows, wired by the functions' own wiring (inspectDeps,
// remediateDeps). What must not behave as in Lambda is overridden here, once: logs and EMF metrics
// would go to stdout (and break --json), there may be no SNS topic, remediation runs here rather
// than through the hand-off, and the clock is the invocation's.

/** Logs to stderr under --debug, otherwise nowhere: the command's own output is the record. */
export function cliLog(io: CliIo, debug: boolean): Log {
  const write =
    (level: string) =>
    (message: string, ...extra: unknown[]): void => {
      if (!debug) return;
      const details = extra.length === 0 ? '' : ` ${JSON.stringify(extra.length === 1 ? extra[0] : extra)}`;
      io.stderr.write(`[${level}] ${message}${details}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** The CLI publishes no custom metrics: an operator's check is not the service's signal. */
export const silentMetrics: MetricsSink = { emit: () => undefined };

/**
 * Notifications for the person at the terminal; they are also sent to SNS when
 * `LBGUARD_TOPIC_ARN` names the deployed topic, so the team sees a manual restore too.
 */
export class CollectingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  readonly #forward?: Notifier;

  constructor(forward?: Notifier) {
    if (forward !== undefined) this.#forward = forward;
  }

  async notify(notification: Notification): Promise<{ readonly messageId?: string }> {
    this.sent.push(notification);
    return (await this.#forward?.notify(notification)) ?? {};
  }
}

/** Captures the remediation an incident asks for, so the CLI runs it here instead of in Lambda. */
export class CapturingInvoker implements RemediationInvoker {
  request: RemediateRequest | undefined;

  async invoke(request: RemediateRequest): Promise<void> {
    this.request = request;
  }
}

/** What a command's flows run with: the CLI's own adapters in place of Lambda's. */
export interface CliRuntime {
  readonly notifier: CollectingNotifier;
  readonly invoker: CapturingInvoker;
  readonly logger: Log;
  readonly inspectDeps: InspectDeps;
  remediateDeps(overrides: Partial<RemediateDeps> & { readonly lockOwner: string }): RemediateDeps;
}

export function createCliRuntime(
  aws: AwsContext,
  config: LbGuardConfig,
  io: CliIo,
  debug: boolean,
): CliRuntime {
  const topic = io.env.LBGUARD_TOPIC_ARN;
  const notifier = new CollectingNotifier(
    topic === undefined || topic === '' ? undefined : new SnsNotifier(aws.clients.sns, topic),
  );
  const invoker = new CapturingInvoker();
  const logger = cliLog(io, debug);
  const env: WiringEnv = { config, tableName: aws.tableName };
  const overrides = {
    clients: aws.clients,
    reader: aws.reader,
    store: aws.store,
    notifier,
    metrics: silentMetrics,
    logger,
    now: () => new Date(io.now()),
  };
  return {
    notifier,
    invoker,
    logger,
    inspectDeps: inspectDeps(env, { ...overrides, albMetrics: aws.metrics, invoker }),
    remediateDeps: (more) => remediateDeps(env, { ...overrides, writer: aws.writer, ...more }),
  };
}
