import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AwsApiError } from '../../lib/errors.ts';
import type { RemediateRequest } from '../runtime/events.ts';

/** Hands a confirmed, remediable incident to the remediate function. */
export interface RemediationInvoker {
  invoke(request: RemediateRequest): Promise<void>;
}

/**
 * Publishes the request to lbguard's remediation topic, to which remediate alone is subscribed.
 * SNS invokes remediate asynchronously, as `InvocationType: 'Event'` did: inspect does not wait
 * out a verification deadline, and SNS's delivery retries, then Lambda's own retries and the
 * dead-letter queue cover remediate. Through SNS rather than Lambda's Invoke because inspect
 * already carries the SNS client for notifications: the Lambda client was 70 KiB of inspect's
 * bundle for this one call. SNS may deliver a message twice; remediate's lock and apply-once
 * record make a second delivery a no-op.
 */
export class SnsRemediationInvoker implements RemediationInvoker {
  readonly #client: SNSClient;
  readonly #topicArn: string;

  constructor(client: SNSClient, topicArn: string) {
    this.#client = client;
    this.#topicArn = topicArn;
  }

  async invoke(request: RemediateRequest): Promise<void> {
    try {
      await this.#client.send(
        new PublishCommand({
          TopicArn: this.#topicArn,
          Message: JSON.stringify(request),
          // For a subscription filter or a reader of the dead-letter queue; remediate reads the body.
          MessageAttributes: {
            kind: { DataType: 'String', StringValue: request.kind },
            service: { DataType: 'String', StringValue: request.service },
            incidentId: { DataType: 'String', StringValue: request.incidentId },
          },
        }),
      );
    } catch (cause) {
      throw new AwsApiError('Publish', { cause });
    }
  }
}
