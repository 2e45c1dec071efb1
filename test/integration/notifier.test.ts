import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import {
  MAX_SUBJECT_LENGTH,
  type Notification,
  SnsNotifier,
  toSnsSubject,
} from '../../lambdas/adapters/notifier.ts';
import { AwsApiError } from '../../lib/errors.ts';
import { renderNotificationBody } from '../../lib/messages.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { type SnsHttpSink, startSnsHttpSink } from '../support/sns-events.ts';

const clients: AwsClients = createAwsClients(motoClientConfig());

// An HTTP subscription to a loopback server: moto delivers each message as a real POST, so the
// test reads exactly what a subscriber would receive.
let sink: SnsHttpSink;

beforeAll(async () => {
  sink = await startSnsHttpSink();
});

afterAll(async () => {
  destroyAwsClients(clients);
  await sink.close();
});

/** Notifications that reached the subscription on `path` (every message: `/all`). */
const notificationsReceived = (count: number, path = '/all') => sink.received(count, path);

const incident: Notification = {
  service: 'shop',
  severity: 'critical',
  state: 'confirmed',
  subject: 'shop: routing skew — listener :80 forwards 100% to web-a → 1 healthy target',
  lines: ['Listener :80 sends all traffic to web-a; web-b gets none.'],
  evidence: [
    'ModifyListener by role deploy-pipeline at 14:02:11 changed weights web-a/web-b 50/50 → 100/0',
    'web-a has 1 healthy target of 4 in last known good',
  ],
  plan: ['ModifyListener :80 default forward web-a/web-b 50/50', 'RegisterTargets web-a i-0abc:80'],
  links: [
    {
      label: 'Dashboard',
      url: 'https://console.aws.amazon.com/cloudwatch/home#dashboards:name=lbguard-shop',
    },
  ],
};

describe('SnsNotifier against moto', () => {
  let topicArn: string;
  beforeEach(async () => {
    await resetMoto();
    sink.deliveries.length = 0;
    topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: 'lbguard' }))).TopicArn ?? '';
    // moto's HTTP deliveries omit MessageAttributes, so the attributes are checked the way a
    // subscriber uses them: through filter policies, one that matches and one that must not.
    const subscribe = (path: string, filter?: Record<string, string[]>) =>
      clients.sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'http',
          Endpoint: `${sink.endpoint}${path}`,
          ...(filter ? { Attributes: { FilterPolicy: JSON.stringify(filter) } } : {}),
        }),
      );
    await subscribe('/all');
    await subscribe('/pager', { service: ['shop'], severity: ['critical'], state: ['confirmed'] });
    await subscribe('/info-only', { severity: ['info'] });
  });

  it('publishes an ASCII subject, a readable body and filterable attributes', async () => {
    const out = await new SnsNotifier(clients.sns, topicArn).notify(incident);
    expect(out.messageId).toBeTruthy();
    const [delivered] = await notificationsReceived(1);
    expect(delivered?.Subject).toBe(
      'shop: routing skew - listener :80 forwards 100% to web-a -> 1 healthy target',
    );
    expect(delivered?.Message).toBe(renderNotificationBody(incident));
    expect(delivered?.Message).toContain(
      '\nEvidence\n  - ModifyListener by role deploy-pipeline at 14:02:11',
    );
    expect(delivered?.Message).toContain('\nPlan\n  1. ModifyListener :80');
    expect(delivered?.Message).toContain('\nLinks\n  - Dashboard: https://');
    expect(await notificationsReceived(1, '/pager')).toHaveLength(1);
    expect(sink.deliveries.filter((d) => d.path === '/info-only')).toEqual([]);
  });

  it('cuts a long multi-line subject to one line under 100 characters that SNS accepts', async () => {
    const subject = `shop: ${'very '.repeat(40)}long\nsecond line`;
    await new SnsNotifier(clients.sns, topicArn).notify({ ...incident, subject, evidence: [], plan: [] });
    const [delivered] = await notificationsReceived(1);
    expect(delivered?.Subject?.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(delivered?.Subject).toMatch(/^shop: very very .* very\.\.\.$/);
    expect(delivered?.Subject?.endsWith('...')).toBe(true);
    expect(delivered?.Message).not.toContain('Evidence');
  });

  it('wraps a refused publish in AwsApiError', async () => {
    const err = await new SnsNotifier(clients.sns, `${topicArn}-missing`)
      .notify(incident)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsApiError);
    expect((err as AwsApiError).operation).toBe('Publish');
  });
});

describe('toSnsSubject', () => {
  it.each([
    ['plain', 'plain'],
    ['  spaced\n\tout  ', 'spaced out'],
    ['50/50 → 100/0', '50/50 -> 100/0'],
    ['café ☕', 'caf? ?'],
    ['', 'lbguard notification'],
  ])('turns %j into %j', (input, expected) => {
    expect(toSnsSubject(input)).toBe(expected);
  });

  it('always yields 1–99 printable ASCII characters with no line break', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => {
        const out = toSnsSubject(s);
        expect(out.length).toBeGreaterThan(0);
        expect(out.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
        expect(out).toMatch(/^[\x20-\x7e]+$/);
      }),
    );
  });
});
