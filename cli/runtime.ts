import type { Notification, Notifier } from '../lambdas/adapters/notifier.ts';
import { SnsNotifier } from '../lambdas/adapters/notifier.ts';
import type { InspectDeps } from '../lambdas/inspect/handler.ts';
import type { Log } from '../lambdas/adapters/log.ts';
import type { MetricsSink } from '../lambdas/adapters/metrics-sink.ts';
import { Elbv2TargetGroupDescriber } from '../lambdas/flows/read-service.ts';
import type { LbGuardConfig } from '../lib/config/index.ts';
import type { AwsContext } from './context.ts';
import type { CliIo } from './io.ts';

// The lambdas' `run` functions take their adapters as deps. In the CLI three of them must not
// behave as in Lambda: logs and EMF metrics would go to stdout (and break --json), and there
// may be no SNS topic. These are the CLI's versions; everything else is the lambdas' own.

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

export function createNotifier(aws: AwsContext, io: CliIo): CollectingNotifier {
  const topic = io.env.LBGUARD_TOPIC_ARN;
  return new CollectingNotifier(
    topic === undefined || topic === '' ? undefined : new SnsNotifier(aws.clients.sns, topic),
  );
}

/** The inspect function's deps, for `lbguard verify` (which calls inspect's own `run`). */
export function createInspectDeps(
  aws: AwsContext,
  config: LbGuardConfig,
  io: CliIo,
  debug: boolean,
): InspectDeps {
  return {
    config,
    reader: aws.reader,
    describer: new Elbv2TargetGroupDescriber(aws.clients.elbv2),
    albMetrics: aws.metrics,
    store: aws.store,
    notifier: createNotifier(aws, io),
    metrics: silentMetrics,
    logger: cliLog(io, debug),
    now: () => new Date(io.now()),
  };
}
