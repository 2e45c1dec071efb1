import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HUB_DETAIL_TYPES } from '../../lib/fleet/hub-events.ts';
import { planHubWrite } from '../../lib/fleet/hub-records.ts';
import { validateHubEvent } from '../../lib/fleet/hub-validation.ts';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const NOW = new Date('2026-12-05T10:00:00.000Z');
const arnOf = (name: string, account = ACCOUNT, region = REGION) =>
  `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/0123456789abcdef`;

/** An event as EventBridge hands it to the rule's target, from `account`/`region`. */
function envelope(detailType: string, detail: unknown, account = ACCOUNT, region = REGION) {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': detailType,
    source: 'lbguard',
    account,
    time: '2026-12-05T09:59:59Z',
    region,
    resources: [],
    detail,
  };
}

const heartbeat = (over: Record<string, unknown> = {}) => ({
  version: 1,
  at: '2026-12-05T10:59:58+01:00',
  lbguardVersion: '1.4.0',
  loadBalancers: [
    {
      loadBalancerArn: arnOf('shop'),
      service: 'shop',
      status: 'inspected',
      diagnosis: 'healthy',
      incidentState: 'open',
    },
    { loadBalancerArn: arnOf('blog'), service: 'blog', status: 'failed' },
  ],
  refused: [{ loadBalancerArn: arnOf('typo'), code: 'bad-tag-value', message: 'tag lbguard:guard …' }],
  ...over,
});

const finding = {
  version: 1,
  at: '2026-12-05T09:59:00.000Z',
  service: 'shop',
  loadBalancerArn: arnOf('shop'),
  diagnosis: 'empty-target-group',
  summary: 'no targets',
  evidence: ['web: 0 registered'],
};

describe('validateHubEvent', () => {
  it('accepts a heartbeat, canonicalises its time, and plans one record per load balancer plus the spoke', () => {
    const v = validateHubEvent(envelope(HUB_DETAIL_TYPES.heartbeat, heartbeat()), NOW);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.received.event.detail.at).toBe('2026-12-05T09:59:58.000Z');
    const write = planHubWrite(v.received);
    expect(write.kind).toBe('heartbeat');
    if (write.kind !== 'heartbeat') return;
    expect(write.spoke).toMatchObject({
      account: ACCOUNT,
      region: REGION,
      guarded: 2,
      lbguardVersion: '1.4.0',
    });
    expect(
      write.loadBalancers.map((l) => [l.service, l.status, l.heartbeatAt, l.diagnosis, l.incidentState]),
    ).toEqual([
      ['shop', 'inspected', '2026-12-05T09:59:58.000Z', 'healthy', 'open'],
      ['blog', 'failed', '2026-12-05T09:59:58.000Z', undefined, undefined],
    ]);
    expect(write.spoke.expiresAt).toBe(Date.parse('2026-12-05T09:59:58Z') / 1000 + 7 * 24 * 3600);
  });

  it.each([
    ['a finding', HUB_DETAIL_TYPES.finding, finding, 'lastFinding'],
    [
      'a transition',
      HUB_DETAIL_TYPES.transition,
      { ...finding, incidentId: 'i-1', from: 'open', to: 'confirmed', evidence: undefined },
      'lastTransition',
    ],
  ])('accepts %s and plans the service record', (_what, type, detail, field) => {
    const v = validateHubEvent(envelope(type, detail), NOW);
    expect(v.ok && planHubWrite(v.received)).toMatchObject({
      kind: 'service',
      service: 'shop',
      update: { field },
    });
  });

  it('accepts an enrolment and keeps nothing of it in the table', () => {
    const v = validateHubEvent(
      envelope(HUB_DETAIL_TYPES.enrolment, {
        version: 1,
        at: '2026-12-05T09:00:00Z',
        loadBalancerArn: arnOf('shop'),
        transition: 'enrol',
      }),
      NOW,
    );
    expect(v.ok && planHubWrite(v.received)).toEqual({ kind: 'none' });
  });

  it.each([
    ['no envelope', 'not an event', 'malformed-envelope'],
    [
      'another source',
      { ...envelope(HUB_DETAIL_TYPES.heartbeat, heartbeat()), source: 'aws.ec2' },
      'foreign-source',
    ],
    ['an unknown detail type', envelope('lbguard Gossip', { version: 1 }), 'unknown-detail-type'],
    ['version 2', envelope(HUB_DETAIL_TYPES.heartbeat, heartbeat({ version: 2 })), 'unsupported-version'],
    [
      'no version',
      envelope(HUB_DETAIL_TYPES.finding, { ...finding, version: undefined }),
      'unsupported-version',
    ],
    [
      'a bad status',
      envelope(
        HUB_DETAIL_TYPES.heartbeat,
        heartbeat({ loadBalancers: [{ loadBalancerArn: arnOf('x'), service: 'x', status: 'ok' }] }),
      ),
      'malformed-detail',
    ],
    [
      'a heartbeat naming another account',
      envelope(HUB_DETAIL_TYPES.heartbeat, heartbeat(), '222222222222'),
      'foreign-arn',
    ],
    [
      'a refusal naming another region',
      envelope(
        HUB_DETAIL_TYPES.heartbeat,
        heartbeat({
          refused: [{ loadBalancerArn: arnOf('t', ACCOUNT, 'us-east-1'), code: 'c', message: 'm' }],
        }),
      ),
      'foreign-arn',
    ],
    [
      'a finding for a non-ELB ARN',
      envelope(HUB_DETAIL_TYPES.finding, {
        ...finding,
        loadBalancerArn: `arn:aws:s3:${REGION}:${ACCOUNT}:bucket`,
      }),
      'foreign-arn',
    ],
    [
      'an event from the future',
      envelope(HUB_DETAIL_TYPES.finding, { ...finding, at: '2026-12-05T10:06:00Z' }),
      'from-the-future',
    ],
  ])('refuses %s', (_what, event, code) => {
    const v = validateHubEvent(event, NOW);
    expect(v.ok ? 'accepted' : v.refusal.code).toBe(code);
    if (!v.ok) expect(v.refusal.reason.length).toBeGreaterThan(10);
  });

  it.each([
    [HUB_DETAIL_TYPES.finding, { ...finding, evidence: 'one' }, 'lbguard Finding evidence: '],
    [HUB_DETAIL_TYPES.transition, { ...finding, incidentId: 'i' }, 'lbguard Incident Transition from: '],
    [
      HUB_DETAIL_TYPES.enrolment,
      { version: 1, at: finding.at, loadBalancerArn: arnOf('x'), transition: 'join' },
      'lbguard Enrolment transition: ',
    ],
    [HUB_DETAIL_TYPES.heartbeat, { ...heartbeat(), at: 'yesterday' }, 'lbguard Heartbeat at: '],
  ])('refuses a malformed %s naming the first wrong field', (type, detail, reason) => {
    const v = validateHubEvent(envelope(type, detail), NOW);
    expect(v.ok ? 'accepted' : `${v.refusal.code} ${v.refusal.reason}`).toContain(
      `malformed-detail ${reason}`,
    );
  });

  it('names the envelope account and the foreign ARN in the refusal', () => {
    const v = validateHubEvent(envelope(HUB_DETAIL_TYPES.heartbeat, heartbeat(), '222222222222'), NOW);
    expect(v.ok ? '' : v.refusal.reason).toBe(
      `lbguard Heartbeat from 222222222222/${REGION} names ${arnOf('shop')}, which is not a load balancer of 222222222222/${REGION}`,
    );
  });

  it('never throws, whatever arrives', () => {
    fc.assert(
      fc.property(fc.anything(), fc.constantFrom(...Object.values(HUB_DETAIL_TYPES), 'x'), (detail, type) => {
        const v = validateHubEvent(envelope(type, detail), NOW);
        expect(typeof v.ok).toBe('boolean');
        expect(validateHubEvent(detail, NOW).ok).toBe(false);
      }),
    );
  });
});
