// Inspect → remediate through the remediation topic, on moto over HTTP: what inspect's invoker
// publishes is what a subscriber receives, and remediate's schema reads the request back out of
// the record Lambda would build around that delivery. (moto cannot invoke a Lambda subscriber
// without Docker; an HTTP subscriber receives the same message, field for field.)
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { SnsRemediationInvoker } from '../../lambdas/adapters/remediation-handoff.ts';
import {
  RemediateEventSchema,
  type RemediateRequest,
  requestOf,
  UnexpectedTopicError,
} from '../../lambdas/runtime/remediate-events.ts';
import { AwsApiError } from '../../lib/errors.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { type SnsHttpSink, snsLambdaEvent, startSnsHttpSink } from '../support/sns-events.ts';

const clients: AwsClients = createAwsClients(motoClientConfig());
let sink: SnsHttpSink;

beforeAll(async () => {
  sink = await startSnsHttpSink();
});

afterAll(async () => {
  destroyAwsClients(clients);
  await sink.close();
});

beforeEach(async () => {
  await resetMoto();
  sink.deliveries.length = 0;
});

const request: RemediateRequest = {
  kind: 'remediate',
  service: 'shop',
  incidentId: 'shop#2026-11-02T14:02:30.000Z',
  planHash: 'c'.repeat(64),
  requestedAt: '2026-11-02T14:02:30.000Z',
};

async function remediationTopic(): Promise<string> {
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: 'lbguard-remediation' }));
  const arn = topic.TopicArn ?? '';
  // moto's HTTP deliveries omit MessageAttributes, so the attributes are checked the way a
  // reader uses them: through filter policies, one that matches and one that must not.
  const subscribe = (path: string, filter: Record<string, string[]>) =>
    clients.sns.send(
      new SubscribeCommand({
        TopicArn: arn,
        Protocol: 'http',
        Endpoint: `${sink.endpoint}${path}`,
        Attributes: { FilterPolicy: JSON.stringify(filter) },
      }),
    );
  await subscribe('/remediate', { kind: ['remediate'], service: ['shop'], incidentId: [request.incidentId] });
  await subscribe('/blog', { service: ['blog'] });
  return arn;
}

describe('SnsRemediationInvoker → remediate', () => {
  it('delivers the request that remediate reads back, from the topic remediate checks', async () => {
    const topicArn = await remediationTopic();
    await new SnsRemediationInvoker(clients.sns, topicArn).invoke(request);
    const [delivery] = await sink.received(1, '/remediate');
    if (delivery === undefined) throw new Error('no delivery');
    expect(delivery.TopicArn).toBe(topicArn);
    // Matched the filter on kind, service and incident id; the other subscriber's filter did not.
    expect(sink.deliveries.map((d) => d.path)).toEqual(['/remediate']);
    const event = RemediateEventSchema.parse(snsLambdaEvent(delivery));
    expect(event).toEqual({ request, handoff: { topicArn, messageId: delivery.MessageId } });
    expect(requestOf(event, topicArn)).toEqual(request);
  });

  it('is refused by a remediate that was deployed with another topic', async () => {
    const topicArn = await remediationTopic();
    await new SnsRemediationInvoker(clients.sns, topicArn).invoke(request);
    const [delivery] = await sink.received(1, '/remediate');
    if (delivery === undefined) throw new Error('no delivery');
    const event = RemediateEventSchema.parse(snsLambdaEvent(delivery));
    expect(() => requestOf(event, `${topicArn}-other`)).toThrow(UnexpectedTopicError);
  });

  it('fails loudly, naming Publish, when the topic does not exist', async () => {
    const missing = 'arn:aws:sns:us-east-1:123456789012:lbguard-remediation-gone';
    await expect(new SnsRemediationInvoker(clients.sns, missing).invoke(request)).rejects.toThrow(
      AwsApiError,
    );
    await expect(new SnsRemediationInvoker(clients.sns, missing).invoke(request)).rejects.toThrow(
      /AWS Publish failed/,
    );
    expect(sink.deliveries).toEqual([]);
  });
});
