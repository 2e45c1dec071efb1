import { EventBridgeHubReporter, hubReportFailureMetric } from '../adapters/eventbridge-hub-reporter.ts';
import type { HubReporter } from '../adapters/hub-reporter.ts';
import type { Log } from '../adapters/log.ts';
import type { BorrowedClientConfig } from '../adapters/signed-request.ts';
import type { WiringEnv } from './env.ts';
import { metrics } from './middleware.ts';

/**
 * The hub reporter of a function whose stack was given a hub bus (`LBGUARD_HUB_EVENTS=on`): its
 * events go on the account's default bus, signed like ELBv2's calls (same credentials, region and
 * endpoint override), and the stack's rule forwards them. Undefined without a hub: nothing is put.
 */
export function hubReporterFor(
  env: WiringEnv,
  signing: BorrowedClientConfig,
  log: Log,
): HubReporter | undefined {
  if (env.hubEvents !== true) return undefined;
  return new EventBridgeHubReporter(signing, { log, countFailures: hubReportFailureMetric(metrics) });
}
