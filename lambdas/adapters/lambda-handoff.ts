import type { RemediateRequest } from '../runtime/remediate-events.ts';
import type { RemediationInvoker } from './remediation-handoff.ts';
import { type BorrowedClientConfig, SignedRequests } from './signed-request.ts';

/**
 * An operator's hand-off (`lbguard approve`): the bare request remediate accepts, sent as an
 * asynchronous Lambda Invoke of the deployed remediate function. Not through the remediation
 * topic, on which only inspect may publish (infra/grants.ts `OnlyInspectMayPublish`); signed by
 * hand rather than with @aws-sdk/client-lambda, for one call (signed-request.ts).
 */
export class LambdaRemediationInvoker implements RemediationInvoker {
  readonly #api: SignedRequests;
  readonly #functionName: string;

  constructor(config: BorrowedClientConfig, functionName: string) {
    this.#api = new SignedRequests(config, 'lambda');
    this.#functionName = functionName;
  }

  async invoke(request: RemediateRequest): Promise<void> {
    await this.#api.send({
      operation: 'Invoke',
      path: `/2015-03-31/functions/${encodeURIComponent(this.#functionName)}/invocations`,
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
      body: JSON.stringify(request),
      // An asynchronous invoke is accepted with 202: remediate runs, retries and alarms on its own.
      accept: [202],
    });
  }
}
