import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';

/** Namespace of every custom metric (DESIGN.md "Money": keep the list short). */
export const METRICS_NAMESPACE = 'LbGuard';

/** Structured JSON logs; service name from `POWERTOOLS_SERVICE_NAME`, set per function by the CDK. */
export const logger = new Logger();

/**
 * The metric sink publishes one EMF record per guarded service (dimension `Service`), so the
 * middleware's closing flush usually finds nothing left; that is expected, not worth a warning.
 */
const metricsLog = {
  debug: (...args: unknown[]) => logger.debug(String(args[0])),
  info: (...args: unknown[]) => logger.info(String(args[0])),
  error: (...args: unknown[]) => logger.error(String(args[0])),
  warn: (...args: unknown[]) => {
    const message = String(args[0]);
    if (message.startsWith('No application metrics to publish')) logger.debug(message);
    else logger.warn(message);
  },
};

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, logger: metricsLog });
// Alarms and the dashboard read `{ Service }` alone; Powertools' default `service` dimension
// would make every metric a different one from what they watch.
metrics.clearDefaultDimensions();

/** Logs why an invocation failed, once, and lets the error through to Lambda (retries, DLQ). */
function logFailures(): MiddlewareObj {
  return {
    onError: (request) => {
      const error = request.error;
      if (error?.name === 'ParseError') {
        // Nothing acted on this event; the parser's message lists what was wrong with it.
        logger.error('malformed event rejected', { error });
      } else {
        logger.error('invocation failed', { error });
      }
    },
  };
}

/**
 * The shared middy stack: Logger context, the metrics flush, failure logging, then the parser
 * (last, so a malformed event is logged with the request id but reaches no handler code).
 */
export function createHandler<S extends z.core.$ZodType, R>(
  schema: S,
  run: (event: z.output<S>, context: Context) => Promise<R>,
) {
  return middy()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(logFailures())
    .use(parser({ schema }))
    .handler(async (event: unknown, context: Context) => run(event as z.output<S>, context));
}
