import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AwsApiError } from '../../lib/errors.ts';
import type { IncidentState } from '../../lib/incident.ts';
import type { Severity } from '../../lib/types.ts';

/** Probe hysteresis changes (lib/hysteresis.ts), as the `state` attribute subscribers filter on. */
export type ProbeNotificationState = 'probe-failing' | 'probe-recovered' | 'probe-flapping' | 'probe-settled';

export interface NotificationLink {
  readonly label: string;
  readonly url: string;
}

/** One message to the people who run the service. */
export interface Notification {
  readonly service: string;
  readonly severity: Severity;
  /** The incident's state, or a probe's declared change (`probe-failing`, `probe-flapping`…). */
  readonly state: IncidentState | ProbeNotificationState;
  /** One line; trimmed to what SNS accepts (ASCII, no line breaks, under 100 characters). */
  readonly subject: string;
  /** Summary paragraph(s), one line each. */
  readonly lines: readonly string[];
  /** Lines a human can check, most telling first. */
  readonly evidence?: readonly string[];
  /** Readable plan steps, in order. */
  readonly plan?: readonly string[];
  readonly links?: readonly NotificationLink[];
}

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

/** Plain-text body for e-mail and chat: header, summary, evidence, plan, links. */
export function renderNotificationBody(n: Notification): string {
  const out: string[] = [
    n.subject,
    '',
    `Service: ${n.service}    State: ${n.state}    Severity: ${n.severity}`,
    '',
    ...n.lines,
  ];
  const section = (title: string, items: readonly string[] | undefined, bullet: (i: number) => string) => {
    if (!items || items.length === 0) return;
    out.push('', title, ...items.map((item, i) => `${bullet(i)}${item}`));
  };
  section('Evidence', n.evidence, () => '  - ');
  section('Plan', n.plan, (i) => `  ${i + 1}. `);
  section(
    'Links',
    n.links?.map((l) => `${l.label}: ${l.url}`),
    () => '  - ',
  );
  return `${out.join('\n')}\n`;
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
