import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What an SNS subscriber receives over HTTP, as moto POSTs it (and SNS does). */
export interface SnsHttpDelivery {
  /** The path of the subscription endpoint it was POSTed to (one subscription per path). */
  readonly path?: string;
  readonly Type: string;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion?: string;
  readonly Signature?: string;
  readonly SigningCertURL?: string;
  readonly UnsubscribeURL?: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/**
 * The event Lambda receives for one SNS message, in the shape of the sample event in the Lambda
 * developer guide ("Using Lambda with Amazon SNS"): one record whose `Sns` holds the notification,
 * with the Lambda spelling `SigningCertUrl` / `UnsubscribeUrl`.
 */
export function snsLambdaEvent(delivery: SnsHttpDelivery): unknown {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${delivery.TopicArn}:${randomUUID()}`,
        Sns: {
          Type: delivery.Type,
          MessageId: delivery.MessageId,
          TopicArn: delivery.TopicArn,
          Subject: delivery.Subject ?? null,
          Message: delivery.Message,
          Timestamp: delivery.Timestamp,
          SignatureVersion: delivery.SignatureVersion ?? '1',
          Signature: delivery.Signature ?? 'EXAMPLE',
          SigningCertUrl:
            delivery.SigningCertURL ??
            'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
          UnsubscribeUrl:
            delivery.UnsubscribeURL ??
            `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${delivery.TopicArn}:x`,
          MessageAttributes: delivery.MessageAttributes ?? {},
        },
      },
    ],
  };
}

/** `snsLambdaEvent` for a message published to `topicArn` now. */
export function snsLambdaEventOf(message: string, topicArn: string): unknown {
  return snsLambdaEvent({
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: message,
    Timestamp: new Date().toISOString(),
  });
}

/**
 * A loopback HTTP server to subscribe to a moto topic (`${endpoint}/any-path`): moto POSTs every
 * message as SNS would, so tests read exactly what a subscriber receives. Keeps notifications only
 * (moto confirms HTTP subscriptions itself), each with the path it arrived on.
 */
export interface SnsHttpSink {
  readonly endpoint: string;
  readonly deliveries: SnsHttpDelivery[];
  /** Waits up to 5 s for `count` deliveries (on `path`, when given), then returns them, or throws. */
  received(count: number, path?: string): Promise<SnsHttpDelivery[]>;
  close(): Promise<void>;
}

export async function startSnsHttpSink(): Promise<SnsHttpSink> {
  const deliveries: SnsHttpDelivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const message = JSON.parse(body) as SnsHttpDelivery;
      if (message.Type === 'Notification') deliveries.push({ ...message, path: req.url ?? '' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const on = (path: string | undefined) => deliveries.filter((d) => path === undefined || d.path === path);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    async received(count, path) {
      for (let i = 0; i < 50 && on(path).length < count; i++) await new Promise((r) => setTimeout(r, 100));
      const got = on(path);
      if (got.length < count)
        throw new Error(`expected ${count} SNS deliveries${path ? ` on ${path}` : ''}, got ${got.length}`);
      return got;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
