import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { AwsApiError } from '../../lib/errors.ts';
import type { RemediateRequest } from './events.ts';

/** Hands a confirmed, remediable incident to the remediate function. */
export interface RemediationInvoker {
  invoke(request: RemediateRequest): Promise<void>;
}

/**
 * Invokes remediate asynchronously (`InvocationType: 'Event'`): inspect must not wait out a
 * verification deadline, and Lambda's own retries and dead-letter queue then cover remediate.
 */
export class LambdaRemediationInvoker implements RemediationInvoker {
  readonly #client: LambdaClient;
  readonly #functionName: string;

  constructor(client: LambdaClient, functionName: string) {
    this.#client = client;
    this.#functionName = functionName;
  }

  async invoke(request: RemediateRequest): Promise<void> {
    try {
      await this.#client.send(
        new InvokeCommand({
          FunctionName: this.#functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
      );
    } catch (cause) {
      throw new AwsApiError('Invoke', { cause });
    }
  }
}
