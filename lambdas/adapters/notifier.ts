import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AwsApiError } from '../../lib/errors.ts';
import { type Notification, renderNotificationBody } from '../../lib/messages.ts';

// The port speaks lib's message type; importers of the port get it from here too.
export type { Notification } from '../../lib/messages.ts';

export interface Notifier {
  notify(notification: Notification): Promise<{ readonly messageId?: string }>;
}

/** SNS rejects subjects of 100 characters or more. */
export const MAX_SUBJECT_LENGTH = 99;

const ASCII_SUBSTITUTES: Readonly<Record<string, string>> = {
  '→': '->',
  '←': '<-',
  '—': '-',
  '–': '-',
  '…': '...',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '×': 'x',
  '≥': '>=',
  '≤': '<=',
};

/**
 * Makes a subject SNS accepts: printable ASCII only (common typography transliterated, anything
 * else `?`), whitespace runs and line breaks folded to one space, and at most 99 characters,
 * ending in `...` when cut.
 */
export function toSnsSubject(subject: string): string {
  const ascii = [...subject]
    .map((ch) => ASCII_SUBSTITUTES[ch] ?? ch)
    .join('')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  const text = ascii === '' ? 'lbguard notification' : ascii;
  if (text.length <= MAX_SUBJECT_LENGTH) return text;
  return `${text.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
}

/**
 * Publishes to one SNS topic. `service`, `severity` and `state` travel as message attributes so
 * subscribers can filter (e.g. page only on `critical`) with a subscription filter policy.
 */
export class SnsNotifier implements Notifier {
  readonly #client: SNSClient;
  readonly #topicArn: string;

  constructor(client: SNSClient, topicArn: string) {
    this.#client = client;
    this.#topicArn = topicArn;
  }

  async notify(n: Notification): Promise<{ readonly messageId?: string }> {
    try {
      const out = await this.#client.send(
        new PublishCommand({
          TopicArn: this.#topicArn,
          Subject: toSnsSubject(n.subject),
          Message: renderNotificationBody(n),
          MessageAttributes: {
            service: { DataType: 'String', StringValue: n.service },
            severity: { DataType: 'String', StringValue: n.severity },
            state: { DataType: 'String', StringValue: n.state },
          },
        }),
      );
      return out.MessageId === undefined ? {} : { messageId: out.MessageId };
    } catch (cause) {
      throw new AwsApiError('Publish', { cause });
    }
  }
}
