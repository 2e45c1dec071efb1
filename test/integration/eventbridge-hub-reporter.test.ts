import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElbv2Client } from '../../lambdas/adapters/clients.ts';
import { EventBridgeHubReporter } from '../../lambdas/adapters/eventbridge-hub-reporter.ts';
import { SignedRequests } from '../../lambdas/adapters/signed-request.ts';
import { HUB_DETAIL_TYPES, type HubEvent } from '../../lib/fleet/hub-events.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';

// The reporter against moto's EventBridge: events put on the default bus are routed by a rule
// `source: [lbguard]` (the spoke's forwarding rule, with an SQS queue standing in for the hub bus)
// and read back from the queue, so the test sees what the rule would forward.

const elbv2 = createElbv2Client(motoClientConfig());
const events = new SignedRequests(elbv2.config, 'events');
const sqs = new SignedRequests(elbv2.config, 'sqs');

/** The few answer fields the test reads (CreateQueue, GetQueueAttributes, ReceiveMessage). */
interface Answer {
  readonly QueueUrl?: string;
  readonly Attributes?: { readonly QueueArn?: string };
  readonly Messages?: readonly { readonly Body: string; readonly ReceiptHandle: string }[];
}

/** An EventBridge event as a rule's target receives it. */
interface Envelope {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: { readonly incidentId?: string };
}

async function call(api: SignedRequests, target: string, body: object, version = '1.1'): Promise<Answer> {
  const { text } = await api.send({
    operation: target,
    headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target },
    body: JSON.stringify(body),
  });
  return text === '' ? {} : JSON.parse(text);
}

let queueUrl: string;

beforeAll(async () => {
  await resetMoto();
  queueUrl = (await call(sqs, 'AmazonSQS.CreateQueue', { QueueName: 'hub-stand-in' }, '1.0')).QueueUrl ?? '';
  const { Attributes } = await call(
    sqs,
    'AmazonSQS.GetQueueAttributes',
    { QueueUrl: queueUrl, AttributeNames: ['QueueArn'] },
    '1.0',
  );
  await call(events, 'AWSEvents.PutRule', {
    Name: 'lbguard-to-hub',
    EventPattern: JSON.stringify({ source: ['lbguard'] }),
  });
  await call(events, 'AWSEvents.PutTargets', {
    Rule: 'lbguard-to-hub',
    Targets: [{ Id: 'hub', Arn: Attributes?.QueueArn }],
  });
});

afterAll(() => elbv2.destroy());

/** The events the rule forwarded, as EventBridge envelopes. */
async function forwarded(): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for (;;) {
    const { Messages = [] } = await call(
      sqs,
      'AmazonSQS.ReceiveMessage',
      { QueueUrl: queueUrl, MaxNumberOfMessages: 10 },
      '1.0',
    );
    if (Messages.length === 0) return out;
    for (const m of Messages) {
      out.push(JSON.parse(m.Body) as Envelope);
      await call(
        sqs,
        'AmazonSQS.DeleteMessage',
        { QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle },
        '1.0',
      );
    }
  }
}

const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/0123456789abcdef';
const AT = '2026-12-05T06:00:00.000Z';

describe('EventBridgeHubReporter on moto', () => {
  it('puts the events on the default bus, where a source rule forwards them with their detail types', async () => {
    const failures: number[] = [];
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const reporter = new EventBridgeHubReporter(elbv2.config, {
      log,
      countFailures: (n) => failures.push(n),
      retryDelayMs: 0,
    });
    const sent: HubEvent[] = [
      {
        detailType: HUB_DETAIL_TYPES.heartbeat,
        detail: {
          version: 1,
          at: AT,
          lbguardVersion: '1.0.0',
          loadBalancers: [
            { loadBalancerArn: LB, service: 'shop', status: 'inspected', diagnosis: 'healthy' },
          ],
          refused: [],
        },
      },
      ...Array.from(
        { length: 11 },
        (_, i): HubEvent => ({
          detailType: HUB_DETAIL_TYPES.transition,
          detail: {
            version: 1,
            at: AT,
            service: 'shop',
            loadBalancerArn: LB,
            incidentId: `inc-${i}`,
            from: 'open',
            to: 'confirmed',
            summary: `transition ${i}`,
          },
        }),
      ),
    ];
    await reporter.report(sent);
    const got = await forwarded();
    expect(failures).toEqual([]);
    expect(got).toHaveLength(12);
    for (const e of got) expect(e.source).toBe('lbguard');
    expect(got.map((e) => e['detail-type']).sort()).toEqual(
      ['lbguard Heartbeat', ...Array(11).fill('lbguard Incident Transition')].sort(),
    );
    expect(got.find((e) => e['detail-type'] === 'lbguard Heartbeat')?.detail).toEqual(sent[0]?.detail);
    expect(got.map((e) => e.detail.incidentId ?? null).sort()).toEqual(
      [null, ...Array.from({ length: 11 }, (_, i) => `inc-${i}`)].sort(),
    );
  });

  it('counts what it could not deliver to an endpoint that does not answer, and returns normally', async () => {
    const unreachable = createElbv2Client({ ...motoClientConfig(), endpoint: 'http://127.0.0.1:9' });
    const failures: number[] = [];
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
    const reporter = new EventBridgeHubReporter(unreachable.config, {
      log,
      countFailures: (n) => failures.push(n),
      retryDelayMs: 0,
    });
    const finding: HubEvent = {
      detailType: HUB_DETAIL_TYPES.finding,
      detail: {
        version: 1,
        at: AT,
        service: 'shop',
        loadBalancerArn: LB,
        diagnosis: 'routing-skew',
        summary: 's',
        evidence: [],
      },
    };
    await expect(reporter.report([finding, finding])).resolves.toBeUndefined();
    unreachable.destroy();
    expect(failures).toEqual([2]);
    expect(warnings).toEqual(['hub events not delivered', 'hub events not delivered']);
    expect(await forwarded()).toEqual([]);
  });
});
