import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { outageShop } from '../support/elbv2-fixtures.ts';
import { createMotoWorld, type MotoWorld, registeredTargets, TABLE } from '../support/moto-lambdas.ts';
import { confirmedSeedOutage } from '../support/moto-outage.ts';
import { snsLambdaEventOf } from '../support/sns-events.ts';

const REMEDIATION_TOPIC = 'arn:aws:sns:us-east-1:123456789012:lbguard-remediation';

let w: MotoWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function awsError(name: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

describe('remediation guardrails against moto', () => {
  it('lets exactly one of two concurrent remediations apply; the other reports the lock', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    const request = await confirmedSeedOutage(w);
    const lastGood = await w.lastGoodHash();
    // Incident writes are conditional on `updatedAt`; real time passes between two runs' writes.
    w.clock.tickOnRead = 1;
    const outcomes = await Promise.all([w.remediate(request, 'req-a'), w.remediate(request, 'req-b')]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['lock-held', 'resolved']);
    expect(w.elbv2Writes().sort()).toEqual(['ModifyListener', 'RegisterTargets', 'RegisterTargets']);
    expect(await w.liveHash()).toBe(lastGood);
    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.timeline.some((e) => e.what.includes('lock held'))).toBe(true);
  });

  it('converges on a retry after a failure injected after the first step, with no duplicate or missing registration', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    const request = await confirmedSeedOutage(w);
    const lastGood = await w.lastGoodHash();
    w.callFault = (command, attempt) =>
      command === 'RegisterTargets' && attempt === 2 ? new Error('socket hang up') : undefined;
    await expect(w.remediate(request)).rejects.toThrow(/socket hang up/);
    expect(w.elbv2Writes()).toEqual(['RegisterTargets']);
    expect((await w.runtime.store.getIncident('shop', request.incidentId))?.state).toBe('mitigating');

    w.callFault = undefined;
    const retry = await w.remediate(request);
    expect(retry.outcome).toBe('resolved');
    expect(await w.liveHash()).toBe(lastGood);
    expect(w.elbv2Writes()).toEqual(['RegisterTargets', 'RegisterTargets', 'ModifyListener']);
    const expected = (name: string) =>
      (w?.shop.groups[name]?.targets ?? []).map((t) => `${t.id}:${t.port}`).sort();
    expect(await registeredTargets(w, 'web-a')).toEqual(expected('web-a'));
    expect(await registeredTargets(w, 'web-b')).toEqual(expected('web-b'));
  });

  it('retries ELBv2 throttling and completes', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    const request = await confirmedSeedOutage(w);
    w.transportFault = (command, attempt) =>
      command === 'ModifyListener' && attempt === 1
        ? awsError('ThrottlingException', 400, 'Rate exceeded')
        : undefined;
    expect((await w.remediate(request)).outcome).toBe('resolved');
    expect(w.elbv2Writes().filter((c) => c === 'ModifyListener')).toHaveLength(2);
  });

  it('escalates on access denied, saying which steps were applied', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    const request = await confirmedSeedOutage(w);
    w.transportFault = (command) =>
      command === 'ModifyListener'
        ? awsError(
            'AccessDenied',
            403,
            'User is not authorized to perform: elasticloadbalancing:ModifyListener',
          )
        : undefined;
    const out = await w.remediate(request);
    expect(out.outcome).toBe('failed');
    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.state).toBe('escalated');
    expect(w.metrics.values('shop', 'RemediationFailed')).toEqual([1]);
    const sent = await w.notifications(3);
    const escalation = sent.find((d) => d.Message.includes('Escalated: remediation failed'));
    expect(escalation?.Message).toMatch(/AccessDenied/);
    expect(escalation?.Message).toMatch(/applied before the failure: RegisterTargets web-a/);
  });
});

describe('events lbguard must not act on', () => {
  const saved = { ...process.env };
  const context = {
    awsRequestId: 'req-fuzz',
    functionName: 'lbguard-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:lbguard-test',
    memoryLimitInMB: '256',
    logGroupName: '/aws/lambda/lbguard-test',
    logStreamName: 's',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  } satisfies Context;

  beforeAll(() => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: inject('motoUrl'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    });
  });
  afterAll(() => {
    process.env = saved;
  });

  async function stateOf(world: MotoWorld) {
    const items = await world.admin.dynamodb.send(new ScanCommand({ TableName: TABLE, Select: 'COUNT' }));
    return { lb: await world.liveHash(), items: items.Count, sns: world.deliveries.length };
  }

  it('rejects malformed and foreign events (fuzzed) before anything acts, and writes nothing', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    await w.promote();
    Object.assign(process.env, {
      LBGUARD_CONFIG: JSON.stringify(w.config),
      LBGUARD_TABLE: TABLE,
      LBGUARD_TOPIC_ARN: w.runtime.env.topicArn,
      LBGUARD_REMEDIATION_TOPIC_ARN: REMEDIATION_TOPIC,
      LBGUARD_STATE_KEY: w.runtime.env.stateKey,
    });
    const handlers = await Promise.all([
      import('../../lambdas/probe/handler.ts'),
      import('../../lambdas/inspect/handler.ts'),
      import('../../lambdas/remediate/handler.ts'),
    ]);
    const before = await stateOf(w);
    const envelope = fc.record({
      version: fc.constant('0'),
      id: fc.uuid(),
      'detail-type': fc.constantFrom(
        'AWS API Call via CloudTrail',
        'Scheduled Event',
        'EC2 Instance State-change Notification',
      ),
      source: fc.constantFrom('aws.s3', 'aws.ec2', 'aws.elasticloadbalancing', 'custom.app'),
      account: fc.constant('123456789012'),
      time: fc.constant('2026-11-02T14:00:00Z'),
      region: fc.constant('us-east-1'),
      resources: fc.array(fc.string(), { maxLength: 2 }),
      detail: fc.oneof(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.record({
          eventSource: fc.constant('elasticloadbalancing.amazonaws.com'),
          eventName: fc.constantFrom(
            'AddTags',
            'DescribeRules',
            'ModifyLoadBalancerAttributes',
            'modifylistener',
          ),
          eventTime: fc.constant('2026-11-02T14:00:00Z'),
          userIdentity: fc.record({ type: fc.constant('IAMUser') }),
        }),
      ),
    });
    const remediateLike = fc.record(
      {
        kind: fc.constantFrom('remediate', 'Remediate', 'verify-all'),
        service: fc.oneof(fc.constant(''), fc.integer()),
        incidentId: fc.string(),
        planHash: fc.string(),
        requestedAt: fc.string(),
      },
      { requiredKeys: ['kind', 'planHash'] },
    );
    // The same, as SNS hands them to remediate from its own topic.
    const handedOver = fc
      .oneof(
        remediateLike.map((r) => JSON.stringify(r)),
        fc.string(),
      )
      .map((message) => snsLambdaEventOf(message, REMEDIATION_TOPIC));
    const malformed = fc.oneof(
      fc.jsonValue().filter((v) => JSON.stringify(v) !== '{}'),
      envelope,
      remediateLike,
      handedOver,
    );
    await fc.assert(
      fc.asyncProperty(malformed, fc.integer({ min: 0, max: 2 }), async (event, which) => {
        const handler = handlers[which]?.handler as unknown as (e: unknown, c: Context) => Promise<unknown>;
        await expect(handler(event, context)).rejects.toMatchObject({ name: 'ParseError' });
      }),
      { numRuns: 150 },
    );

    // Well formed but foreign: a change to another load balancer is read, matched and ignored.
    const inspectHandler = handlers[1]?.handler as unknown as (e: unknown, c: Context) => Promise<unknown>;
    const foreign = w.changeEvent('ModifyListener', {
      listenerArn:
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/other/0123456789abcdef/fedcba9876543210',
    });
    expect(await inspectHandler(foreign, context)).toEqual({
      kind: 'ignored',
      reason: 'ModifyListener touches no guarded service',
    });
    // Well formed but from another topic: remediate refuses it before reading anything.
    const remediateHandler = handlers[2]?.handler as unknown as (e: unknown, c: Context) => Promise<unknown>;
    const request = {
      kind: 'remediate',
      service: 'shop',
      incidentId: 'shop#2026-11-02T14:00:00.000Z',
      planHash: 'a'.repeat(64),
      requestedAt: '2026-11-02T14:00:00.000Z',
    };
    await expect(
      remediateHandler(
        snsLambdaEventOf(JSON.stringify(request), 'arn:aws:sns:us-east-1:123456789012:someone-else'),
        context,
      ),
    ).rejects.toMatchObject({ name: 'UnexpectedTopicError' });
    expect(await stateOf(w)).toEqual(before);
  });
});
