import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Elbv2LoadBalancerReader } from '../../../lambdas/adapters/elbv2/reader.ts';
import { EmfMetricsSink } from '../../../lambdas/adapters/metrics-sink.ts';
import { SnsRemediationInvoker } from '../../../lambdas/adapters/remediation-handoff.ts';
import { advanceIncident } from '../../../lambdas/flows/incidents.ts';
import { EnvironmentError, readEnv, requireTopic } from '../../../lambdas/runtime/env.ts';
import { InspectEventSchema, ProbeEventSchema } from '../../../lambdas/runtime/events.ts';
import {
  RemediateEventSchema,
  RemediateRequestSchema,
  requestOf,
  UnexpectedTopicError,
} from '../../../lambdas/runtime/remediate-events.ts';
import { ConfigError } from '../../../lib/config/index.ts';
import { AwsApiError } from '../../../lib/errors.ts';
import { startIncident } from '../../../lib/incident.ts';
import type { Diagnosis } from '../../../lib/types.ts';
import {
  MemoryStateStore,
  RecordingInvoker,
  RecordingMetrics,
  RecordingNotifier,
  SilentLog,
} from '../../support/lambda-fakes.ts';
import { snsLambdaEventOf } from '../../support/sns-events.ts';
import { LB_ARN, outageLastGood } from '../fixtures/topologies.ts';
import { serviceConfig } from './world.ts';

const goodEnv = {
  LBGUARD_CONFIG: JSON.stringify({
    services: [
      { name: 'shop', loadBalancerArn: LB_ARN, probes: [{ name: 'home', url: 'https://shop.example.com/' }] },
    ],
  }),
  LBGUARD_TABLE: 'lbguard-state',
  LBGUARD_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:lbguard',
};

const REMEDIATION_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:lbguard-remediation';

/** A well-formed request as inspect hands it over. */
const REMEDIATE_REQUEST = {
  kind: 'remediate' as const,
  service: 'shop',
  incidentId: 'shop#2026-11-02T14:00:00.000Z',
  planHash: 'a'.repeat(64),
  requestedAt: '2026-11-02T14:00:00.000Z',
};

describe('readEnv', () => {
  it('parses the config once and returns what the functions need', () => {
    const env = readEnv({ ...goodEnv, LBGUARD_REMEDIATION_TOPIC_ARN: REMEDIATION_TOPIC });
    expect(env.config.services[0]?.remediation.mode).toBe('dry-run');
    expect(env).toMatchObject({ tableName: 'lbguard-state', remediationTopicArn: REMEDIATION_TOPIC });
  });

  it.each([
    [{ LBGUARD_TABLE: undefined }, /LBGUARD_TABLE: is required/],
    [{ LBGUARD_TOPIC_ARN: 'not-an-arn' }, /LBGUARD_TOPIC_ARN: must be an SNS topic ARN/],
    [{ LBGUARD_CONFIG: '' }, /LBGUARD_CONFIG: must hold/],
    [
      { LBGUARD_REMEDIATION_TOPIC_ARN: 'lbguard-remediate' },
      /LBGUARD_REMEDIATION_TOPIC_ARN: must be an SNS topic ARN/,
    ],
  ])('fails loudly on a bad environment (%o)', (patch, message) => {
    expect(() => readEnv({ ...goodEnv, ...patch })).toThrow(message);
    expect(() => readEnv({ ...goodEnv, ...patch })).toThrow(EnvironmentError);
  });

  it('names every problem of a bad config by path', () => {
    const bad = { ...goodEnv, LBGUARD_CONFIG: JSON.stringify({ services: [{ name: 'Shop!' }] }) };
    expect(() => readEnv(bad)).toThrow(ConfigError);
    expect(() => readEnv(bad)).toThrow(/LBGUARD_CONFIG: services\[0\]\.name/);
  });

  it('requires the remediation topic for inspect and remediate', () => {
    expect(() => requireTopic(readEnv(goodEnv), 'remediationTopicArn')).toThrow(
      /LBGUARD_REMEDIATION_TOPIC_ARN: is required/,
    );
  });
});

describe('event schemas', () => {
  const shapes = [InspectEventSchema, ProbeEventSchema, RemediateRequestSchema, RemediateEventSchema];

  it('reject arbitrary JSON that is not an event they know', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => JSON.stringify(v) !== '{}'),
        (value) => {
          for (const schema of shapes) expect(schema.safeParse(value).success).toBe(false);
        },
      ),
    );
  });

  it('reject a remediate request with any field wrong', () => {
    const valid = REMEDIATE_REQUEST;
    expect(RemediateRequestSchema.safeParse(valid).success).toBe(true);
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(valid)),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        (key, value) => {
          fc.pre(!(key === 'service' && typeof value === 'string' && value.length > 0));
          fc.pre(!(key === 'incidentId' && typeof value === 'string' && value.length > 0));
          expect(RemediateRequestSchema.safeParse({ ...valid, [key]: value }).success).toBe(false);
        },
      ),
    );
    expect(RemediateRequestSchema.safeParse({ ...valid, extra: 1 }).success).toBe(false);
  });

  it('read a remediate request handed over by SNS, and say where inside the message it is wrong', () => {
    const request = REMEDIATE_REQUEST;
    const event = snsLambdaEventOf(JSON.stringify(request), REMEDIATION_TOPIC) as {
      Records: [{ Sns: { MessageId: string } }];
    };
    expect(RemediateEventSchema.parse(event)).toEqual({
      request,
      handoff: { topicArn: REMEDIATION_TOPIC, messageId: event.Records[0].Sns.MessageId },
    });
    // The bare request (an operator's invoke) carries no handoff to check.
    expect(RemediateEventSchema.parse(request)).toEqual({ request });

    const issuesOf = (value: unknown) =>
      (RemediateEventSchema.safeParse(value).error?.issues ?? []).flatMap((i) =>
        i.code === 'invalid_union' ? i.errors.flat() : [i],
      );
    expect(issuesOf(snsLambdaEventOf('{"kind": "remediate", ', REMEDIATION_TOPIC))).toContainEqual(
      expect.objectContaining({
        path: ['Records', 0, 'Sns', 'Message'],
        message: 'must be a remediate request as JSON',
      }),
    );
    expect(
      issuesOf(snsLambdaEventOf(JSON.stringify({ ...request, planHash: 'x' }), REMEDIATION_TOPIC)),
    ).toContainEqual(expect.objectContaining({ path: ['Records', 0, 'Sns', 'Message', 'planHash'] }));
    // SNS hands Lambda one record per invocation; two is not an SNS event.
    const one = event.Records[0];
    expect(RemediateEventSchema.safeParse({ Records: [one, one] }).success).toBe(false);
    expect(RemediateEventSchema.safeParse({ Records: [] }).success).toBe(false);
  });

  it('let remediate act only on requests from its own topic', () => {
    const request = REMEDIATE_REQUEST;
    const from = (topic: string) =>
      RemediateEventSchema.parse(snsLambdaEventOf(JSON.stringify(request), topic));
    expect(requestOf(from(REMEDIATION_TOPIC), REMEDIATION_TOPIC)).toEqual(request);
    expect(requestOf({ request }, REMEDIATION_TOPIC)).toEqual(request);
    const foreign = 'arn:aws:sns:eu-west-1:123456789012:lbguard';
    expect(() => requestOf(from(foreign), REMEDIATION_TOPIC)).toThrow(UnexpectedTopicError);
    expect(() => requestOf(from(foreign), REMEDIATION_TOPIC)).toThrow(
      /came from SNS topic arn:aws:sns:eu-west-1:123456789012:lbguard, not from lbguard's remediation topic/,
    );
  });

  it('read {} as the post-deploy verification that fails on findings', () => {
    expect(InspectEventSchema.parse({})).toEqual({ kind: 'verify', failOnFindings: true });
  });
});

/** What Lambda sees: any JSON in, a promise out. */
function asLambda(handler: unknown): (event: unknown, context: Context) => Promise<unknown> {
  return handler as (event: unknown, context: Context) => Promise<unknown>;
}

describe('handlers', () => {
  const context = {
    awsRequestId: 'req-1',
    functionName: 'lbguard-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:lbguard-test',
    memoryLimitInMB: '128',
    logGroupName: '/aws/lambda/lbguard-test',
    logStreamName: 's',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };

  it('import without an environment and reject malformed events before building anything', async () => {
    const modules = await Promise.all([
      import('../../../lambdas/probe/handler.ts'),
      import('../../../lambdas/inspect/handler.ts'),
      import('../../../lambdas/remediate/handler.ts'),
    ]);
    for (const { handler } of modules) {
      await expect(asLambda(handler)({ source: 'aws.s3', detail: {} }, context)).rejects.toMatchObject({
        name: 'ParseError',
      });
    }
  });

  it('fail on a valid event when the environment is missing, rather than act on half a config', async () => {
    const { handler } = await import('../../../lambdas/remediate/handler.ts');
    const request = REMEDIATE_REQUEST;
    await expect(asLambda(handler)(request, context)).rejects.toThrow(EnvironmentError);
  });
});

describe('advanceIncident', () => {
  const diagnosis: Diagnosis = {
    cause: 'backend-errors-balanced',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    summary: 'Backend errors with balanced routing',
    evidence: ['probe home: 2 of 2 failed'],
    drift: [],
  };
  const config = serviceConfig({ thresholds: { consecutiveBreaches: 1 } });
  const service = config.services[0];
  const ctx = {
    policy: service?.remediation ?? ({} as never),
    thresholds: service?.thresholds ?? ({} as never),
  };
  const deps = () => ({
    store: new MemoryStateStore(),
    notifier: new RecordingNotifier(),
    invoker: new RecordingInvoker(),
    metrics: new RecordingMetrics(),
    logger: new SilentLog(),
  });
  const at = '2026-11-02T14:00:00.000Z';

  it('persists before acting, and still attempts every effect when one fails', async () => {
    const d = deps();
    d.notifier.failNext = true;
    await expect(
      advanceIncident(d, startIncident('shop', at), { type: 'observed', at, diagnosis }, ctx),
    ).rejects.toThrow(AwsApiError);
    expect(d.store.incidentWrites).toBe(1);
    expect(d.metrics.values('shop', 'IncidentEscalated')).toEqual([1]);
  });

  it('re-applies the event to what a concurrent writer stored', async () => {
    const d = deps();
    const incident = startIncident('shop', at);
    await d.store.putIncident({ ...incident, updatedAt: '2026-11-02T14:00:30.000Z' });
    const result = await advanceIncident(
      d,
      incident,
      { type: 'observed', at: '2026-11-02T14:01:00.000Z', diagnosis },
      ctx,
    );
    expect(result.changed).toBe(true);
    expect(d.logger.lines.some((l) => l.message.startsWith('incident changed concurrently'))).toBe(true);
  });

  it('writes nothing when the state machine ignores the event', async () => {
    const d = deps();
    const result = await advanceIncident(d, startIncident('shop', at), { type: 'lock-held', at }, ctx);
    expect(result.changed).toBe(false);
    expect(d.store.incidentWrites).toBe(0);
  });

  it('refuses to invoke remediation without a remediate function', async () => {
    const { invoker: _none, ...d } = deps();
    const remediable: Diagnosis = { ...diagnosis, cause: 'routing-skew', lbFault: true, remediable: true };
    const auto = { ...ctx, policy: { ...ctx.policy, mode: 'auto' as const } };
    await expect(
      advanceIncident(
        d,
        startIncident('shop', at),
        { type: 'observed', at, diagnosis: remediable, planHash: 'a'.repeat(64) },
        auto,
      ),
    ).rejects.toThrow(/no remediate function/);
  });
});

describe('EmfMetricsSink', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes one EMF record per service with only the Service dimension', () => {
    const lines: string[] = [];
    const metrics = new Metrics({ namespace: 'LbGuard', serviceName: 'lbguard-probe' });
    metrics.clearDefaultDimensions();
    // Powertools writes EMF through its own Console on stdout.
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const sink = new EmfMetricsSink(metrics);
    sink.emit('shop', [
      { name: 'ProbeSuccess', unit: 'Count', value: 1 },
      { name: 'ProbeLatency', unit: 'Milliseconds', value: 87 },
    ]);
    sink.emit('blog', [{ name: 'ProbeSuccess', unit: 'Count', value: 0 }]);
    sink.emit('blog', []);
    // A healthy inspect cycle: nothing billed, so no record.
    sink.emit('shop', [
      { name: 'SkewDetected', unit: 'Count', value: 0 },
      { name: 'DriftCount', unit: 'Count', value: 0 },
    ]);
    sink.emit('shop', [{ name: 'SkewDetected', unit: 'Count', value: 1 }]);
    const records = lines.filter((l) => l.includes('CloudWatchMetrics')).map((l) => JSON.parse(l));
    expect(records).toHaveLength(3);
    expect(records[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service']]);
    // Latency is a number in the record (Logs Insights can aggregate it) but not a billed metric.
    expect(records[0]).toMatchObject({ Service: 'shop', ProbeSuccess: 1, ProbeLatency: 87 });
    expect(records[0]._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'ProbeSuccess', Unit: 'Count' }]);
    expect(records[1]).toMatchObject({ Service: 'blog', ProbeSuccess: 0 });
    expect(records[2]).toMatchObject({ Service: 'shop', SkewDetected: 1, Signal: 1 });
    expect(records[2]._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'Signal', Unit: 'Count' }]);
  });
});

describe('SnsRemediationInvoker', () => {
  it('publishes the request to the remediation topic, and names the failed call when SNS refuses', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const request = REMEDIATE_REQUEST;
    await new SnsRemediationInvoker(new SNSClient({ region: 'eu-west-1' }), REMEDIATION_TOPIC).invoke(
      request,
    );
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(REMEDIATION_TOPIC);
    // What remediate's schema reads back out of the SNS record.
    expect(RemediateRequestSchema.parse(JSON.parse(input?.Message ?? ''))).toEqual(request);
    expect(input?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'remediate' },
      service: { DataType: 'String', StringValue: 'shop' },
      incidentId: { DataType: 'String', StringValue: REMEDIATE_REQUEST.incidentId },
    });
    sns.on(PublishCommand).rejects(new Error('boom'));
    await expect(
      new SnsRemediationInvoker(new SNSClient({ region: 'eu-west-1' }), REMEDIATION_TOPIC).invoke(request),
    ).rejects.toThrow(/AWS Publish failed: Error: boom/);
    sns.restore();
  });
});

describe('Elbv2LoadBalancerReader.describeTargetGroups', () => {
  it('describes detached groups and skips deleted ones', async () => {
    const elbv2 = mockClient(ElasticLoadBalancingV2Client);
    const arn = outageLastGood().targetGroups[1]?.arn ?? '';
    elbv2
      .on(DescribeTargetGroupsCommand, { TargetGroupArns: [arn] })
      .resolves({
        TargetGroups: [
          {
            TargetGroupArn: arn,
            TargetGroupName: 'web-b',
            TargetType: 'instance',
            Protocol: 'HTTP',
            Port: 80,
          },
        ],
      })
      .on(DescribeTargetGroupsCommand, { TargetGroupArns: ['gone'] })
      .rejects(Object.assign(new Error('not found'), { name: 'TargetGroupNotFoundException' }))
      .on(DescribeTargetHealthCommand)
      .resolves({
        TargetHealthDescriptions: [{ Target: { Id: 'i-0c', Port: 80 }, TargetHealth: { State: 'healthy' } }],
      })
      .on(DescribeTargetGroupAttributesCommand)
      .resolves({ Attributes: [] });
    const out = await new Elbv2LoadBalancerReader(
      new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    ).describeTargetGroups([arn, 'gone']);
    expect(out.groups.map((g) => g.name)).toEqual(['web-b']);
    expect(out.health).toEqual([{ targetGroupArn: arn, targetId: 'i-0c', port: 80, state: 'healthy' }]);
    elbv2
      .on(DescribeTargetGroupsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(
      new Elbv2LoadBalancerReader(
        new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
      ).describeTargetGroups([arn]),
    ).rejects.toThrow(AwsApiError);
    elbv2.restore();
  });
});
