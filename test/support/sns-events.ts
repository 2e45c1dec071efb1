import { randomUUID } from 'node:crypto';

/** What an SNS subscriber receives over HTTP, as moto POSTs it (and SNS does). */
export interface SnsHttpDelivery {
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
