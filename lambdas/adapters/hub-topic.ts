import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AwsApiError } from '../../lib/errors.ts';
import { toSnsSubject } from './notifier.ts';

/** The hub's SNS topic: one plain message per change of the fleet's coverage. */
export interface HubTopic {
  publish(message: { readonly subject: string; readonly message: string }): Promise<void>;
}

export class SnsHubTopic implements HubTopic {
  readonly #client: SNSClient;
  readonly #topicArn: string;

  constructor(client: SNSClient, topicArn: string) {
    this.#client = client;
    this.#topicArn = topicArn;
  }

  async publish(m: { readonly subject: string; readonly message: string }): Promise<void> {
    try {
      await this.#client.send(
        new PublishCommand({
          TopicArn: this.#topicArn,
          Subject: toSnsSubject(m.subject),
          Message: m.message,
        }),
      );
    } catch (cause) {
      throw new AwsApiError('Publish', { cause });
    }
  }
}
