// Inspect → remediate through the remediation topic, on moto over HTTP: what inspect's invoker
// publishes is what a subscriber receives, and remediate's schema reads the request back out of
// the record Lambda would build around that delivery. (moto cannot invoke a Lambda subscriber
// without Docker; an HTTP subscriber receives the same message, field for field.)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { requestOf, UnexpectedTopicError } from '../../lambdas/remediate/handler.ts';
import { RemediateEventSchema, type RemediateRequest } from '../../lambdas/shared/remediate-events.ts';
import { SnsRemediationInvoker } from '../../lambdas/shared/remediation-invoker.ts';
import { AwsApiError } from '../../lib/errors.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { type SnsHttpDelivery, snsLambdaEvent } from '../support/sns-events.ts';

const clients: AwsClients = createAwsClients(motoClientConfig());
const deliveries: (SnsHttpDelivery & { readonly path: string })[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
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
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  destroyAwsClients(clients);
  await new Promise((r) => server.close(r));
});

beforeEach(async () => {
  await resetMoto();
  deliveries.length = 0;
});

async function delivered(count: number): Promise<SnsHttpDelivery[]> {
  for (let i = 0; i < 50 && deliveries.length < count; i++) await new Promise((r) => setTimeout(r, 100));
  if (deliveries.length < count)
    throw new Error(`expected ${count} SNS deliveries, got ${deliveries.length}`);
  return deliveries;
}

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
  await clients.sns.send(
    new SubscribeCommand({ TopicArn: arn, Protocol: 'http', Endpoint: `${endpoint}/remediate` }),
  );
  return arn;
}

describe('SnsRemediationInvoker → remediate', () => {
  it('delivers the request that remediate reads back, from the topic remediate checks', async () => {
    const topicArn = await remediationTopic();
    await new SnsRemediationInvoker(clients.sns, topicArn).invoke(request);
    const [delivery] = await delivered(1);
    if (delivery === undefined) throw new Error('no delivery');
    expect(delivery.TopicArn).toBe(topicArn);
    expect(deliveries.map((d) => d.path)).toEqual(['/remediate']);
    const event = RemediateEventSchema.parse(snsLambdaEvent(delivery));
    expect(event).toEqual({ request, handoff: { topicArn, messageId: delivery.MessageId } });
    expect(requestOf(event, topicArn)).toEqual(request);
  });

  it('is refused by a remediate that was deployed with another topic', async () => {
    const topicArn = await remediationTopic();
    await new SnsRemediationInvoker(clients.sns, topicArn).invoke(request);
    const [delivery] = await delivered(1);
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
    expect(deliveries).toEqual([]);
  });
});
