import path from 'node:path';
import { EventBridgeSchema as PowertoolsEventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { SnsRecordSchema as PowertoolsSnsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sns';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { build } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { esbuildOptions } from '../../../infra/bundling.ts';
import { awsClientConfig, createAwsClients, destroyAwsClients } from '../../../lambdas/adapters/clients.ts';
import { AwsDeploymentOwners } from '../../../lambdas/adapters/deployment-owners.ts';
import { EventBridgeHubReporter } from '../../../lambdas/adapters/eventbridge-hub-reporter.ts';
import { HttpProber } from '../../../lambdas/adapters/http-prober.ts';
import { NoHubReporter } from '../../../lambdas/adapters/hub-reporter.ts';
import { ArcZonalShifts } from '../../../lambdas/adapters/zonal-shifts.ts';
import { enrolClients, enrolDeps } from '../../../lambdas/enrol/deps.ts';
import { inspectClients, inspectDeps } from '../../../lambdas/inspect/deps.ts';
import { probeClients, probeDeps } from '../../../lambdas/probe/deps.ts';
import { remediateClients, remediateDeps } from '../../../lambdas/remediate/deps.ts';
import { atColdStart } from '../../../lambdas/runtime/cold-start.ts';
import type { LbGuardEnv } from '../../../lambdas/runtime/env.ts';
import { EventBridgeSchema } from '../../../lambdas/runtime/events.ts';
import { SnsRecordSchema } from '../../../lambdas/runtime/remediate-events.ts';
import { serviceConfig } from './world.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

/** Bundles a function with infra/bundling.ts's options, as the construct does, and lists the npm packages that reach the output. */
async function bundledPackages(fn: 'probe' | 'inspect' | 'remediate'): Promise<Set<string>> {
  const result = await build({
    ...esbuildOptions('bundled'),
    entryPoints: [path.join(REPO_ROOT, 'lambdas', fn, 'handler.ts')],
    absWorkingDir: REPO_ROOT,
    sourcemap: false,
    outfile: path.join(REPO_ROOT, 'node_modules', '.cache', 'lbguard-footprint-test', fn, 'index.js'),
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const [output] = Object.values(result.metafile.outputs);
  const packages = new Set<string>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    if (input.bytesInOutput === 0) continue;
    const at = file.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const [scope = '', name = ''] = file.slice(at + 'node_modules/'.length).split('/');
    packages.add(scope.startsWith('@') ? `${scope}/${name}` : scope);
  }
  return packages;
}

const SDK_CLIENTS = [
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-codedeploy',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-elastic-load-balancing-v2',
  '@aws-sdk/client-kms',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-sns',
];

describe('each function bundle', () => {
  it.each([
    ['probe', ['@aws-sdk/client-dynamodb']],
    [
      'inspect',
      [
        '@aws-sdk/client-cloudwatch',
        '@aws-sdk/client-dynamodb',
        '@aws-sdk/client-elastic-load-balancing-v2',
        '@aws-sdk/client-sns',
      ],
    ],
    [
      'remediate',
      // Not CloudFormation nor CodeDeploy: who owns the routing is read with signed calls on the
      // ELBv2 client's parts (owner-apis.ts), which saves ~45 KB. Nor KMS, in either function: the
      // state MAC is signed the same way (state-signer.ts), ~18 KB.
      ['@aws-sdk/client-dynamodb', '@aws-sdk/client-elastic-load-balancing-v2', '@aws-sdk/client-sns'],
    ],
  ] as const)(
    '%s carries only the SDK clients it calls, and no YAML parser',
    async (fn, clients) => {
      const packages = await bundledPackages(fn);
      expect(SDK_CLIENTS.filter((p) => packages.has(p))).toEqual(clients);
      expect(packages.has('yaml')).toBe(false);
    },
    60_000,
  );
});

const env: LbGuardEnv = {
  config: serviceConfig(),
  tableName: 'lbguard-state',
  topicArn: 'arn:aws:sns:eu-west-1:123456789012:lbguard',
  stateKey: 'arn:aws:kms:eu-west-1:123456789012:key/0b5a2c6e-8d4f-4a3e-9d1b-2f3c4d5e6f70',
};

describe('function wiring', () => {
  it('builds probe around DynamoDB alone', () => {
    const clients = probeClients();
    try {
      expect(Object.keys(clients)).toEqual(['dynamodb']);
      expect(clients.dynamodb).toBeInstanceOf(DynamoDBClient);
      const deps = probeDeps(env, { clients });
      expect(deps.prober).toBeInstanceOf(HttpProber);
      expect(deps.config).toBe(env.config);
    } finally {
      destroyAwsClients(clients);
    }
  });

  it('builds inspect with the clients it reads, notifies and hands off through (SNS, no Lambda client)', () => {
    const clients = inspectClients();
    try {
      expect(Object.keys(clients).sort()).toEqual(['cloudwatch', 'dynamodb', 'elbv2', 'sns']);
      expect(clients.cloudwatch).toBeInstanceOf(CloudWatchClient);
      expect(clients.sns).toBeInstanceOf(SNSClient);
      const deps = inspectDeps({ ...env, remediationTopicArn: `${env.topicArn}-remediation` }, { clients });
      expect(Object.keys(deps).sort()).toEqual([
        'albMetrics',
        'config',
        'invoker',
        'logger',
        'metrics',
        'notifier',
        'now',
        'reader',
        'store',
        'zonalShifts',
      ]);
      // Without the remediation topic inspect cannot hand off: it fails at cold start, not later.
      expect(() => inspectDeps(env, { clients })).toThrow(/LBGUARD_REMEDIATION_TOPIC_ARN: is required/);
      // Nor can it vouch for what it records without the state key.
      const { stateKey: _, ...keyless } = env;
      expect(() =>
        inspectDeps({ ...keyless, remediationTopicArn: `${env.topicArn}-r` }, { clients }),
      ).toThrow(/LBGUARD_STATE_KEY: is required/);
    } finally {
      destroyAwsClients(clients);
    }
  });

  it('builds remediate without CloudWatch, Lambda, CloudFormation or CodeDeploy clients, with the owner lookup and zonal shifts', () => {
    const clients = remediateClients();
    try {
      expect(Object.keys(clients).sort()).toEqual(['dynamodb', 'elbv2', 'sns']);
      expect(clients.elbv2).toBeInstanceOf(ElasticLoadBalancingV2Client);
      expect(clients.sns).toBeInstanceOf(SNSClient);
      const deps = remediateDeps(env, { clients, lockOwner: 'req-1' });
      // Remediate restores only what it can verify: no key, no cold start.
      const { stateKey: _, ...keyless } = env;
      expect(() => remediateDeps(keyless, { clients, lockOwner: 'req-1' })).toThrow(
        /LBGUARD_STATE_KEY: is required/,
      );
      expect(deps.prober).toBeInstanceOf(HttpProber);
      expect(Object.keys(deps)).toEqual(
        expect.arrayContaining(['writer', 'reader', 'notifier', 'owners', 'applyOnce']),
      );
      expect(deps.owners).toBeInstanceOf(AwsDeploymentOwners);
      expect(deps.zonalShifts).toBeInstanceOf(ArcZonalShifts);
      expect(deps.lockOwner).toBe('req-1');
    } finally {
      destroyAwsClients(clients);
    }
  });

  it('reports to the hub only where the stack has one (LBGUARD_HUB_EVENTS=on), from inspect, remediate and enrol', () => {
    const inspect = inspectClients();
    const remediate = remediateClients();
    const enrol = enrolClients();
    try {
      const withHub = { ...env, hubEvents: true, remediationTopicArn: `${env.topicArn}-r` };
      const withoutHub = { ...withHub, hubEvents: false };
      expect(inspectDeps(withHub, { clients: inspect }).hub).toBeInstanceOf(EventBridgeHubReporter);
      expect(inspectDeps(withoutHub, { clients: inspect }).hub).toBeUndefined();
      expect(remediateDeps(withHub, { clients: remediate, lockOwner: 'r' }).hub).toBeInstanceOf(
        EventBridgeHubReporter,
      );
      expect(remediateDeps(withoutHub, { clients: remediate, lockOwner: 'r' }).hub).toBeUndefined();
      const discovering = {
        ...withHub,
        config: { ...env.config, discovery: { sweepMinutes: 15, profiles: {} } },
      };
      expect(enrolDeps(discovering, { clients: enrol }).hub).toBeInstanceOf(EventBridgeHubReporter);
      expect(enrolDeps({ ...discovering, hubEvents: false }, { clients: enrol }).hub).toBeInstanceOf(
        NoHubReporter,
      );
    } finally {
      destroyAwsClients(inspect);
      destroyAwsClients(remediate);
      destroyAwsClients(enrol);
    }
  });

  it('build every client with one retry and timeout policy', async () => {
    expect(awsClientConfig()).toEqual({
      retryMode: 'adaptive',
      maxAttempts: 3,
      requestHandler: { requestTimeout: 5_000, throwOnRequestTimeout: true, connectionTimeout: 2_000 },
    });
    const clients = createAwsClients({ region: 'eu-west-1', maxAttempts: 4 });
    try {
      for (const client of [clients.elbv2, clients.cloudwatch, clients.dynamodb, clients.sns]) {
        expect(await client.config.maxAttempts()).toBe(4);
      }
      // The state store marshals for itself: no document client among them (its ~7 KB per bundle).
      expect(Object.keys(clients)).not.toContain('documents');
    } finally {
      destroyAwsClients(clients);
    }
  });
});

describe('atColdStart', () => {
  it('builds once, on first use, outside Lambda', () => {
    let builds = 0;
    const get = atColdStart(() => ++builds);
    expect(builds).toBe(0);
    expect([get(), get()]).toEqual([1, 1]);
  });
});

describe('EventBridgeSchema', () => {
  const valid = fc.record(
    {
      version: fc.constant('0'),
      id: fc.uuid(),
      source: fc.constantFrom('aws.events', 'aws.cloudwatch'),
      account: fc.constant('123456789012'),
      time: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      region: fc.constantFrom('eu-west-1', 'us-east-1'),
      resources: fc.array(fc.string()),
      'detail-type': fc.constant('Scheduled Event'),
      detail: fc.jsonValue(),
      'replay-name': fc.string(),
    },
    { requiredKeys: ['version', 'id', 'source', 'account', 'time', 'region', 'resources', 'detail-type'] },
  );
  // A valid envelope with one field replaced, removed or added: the cases where the two could differ.
  const nearlyValid = fc
    .tuple(
      valid,
      fc.constantFrom('version', 'id', 'time', 'resources', 'detail', 'replay-name', 'extra'),
      fc.oneof(
        fc.jsonValue(),
        fc.constantFrom('2026-11-02 14:00', '2026-11-02T14:00:00+01:00', 'yesterday', undefined),
      ),
    )
    .map(([event, key, value]) => ({ ...event, [key]: value }));

  it("accepts and rejects what Powertools' EventBridgeSchema does, with the same output", () => {
    fc.assert(
      fc.property(fc.oneof(valid, nearlyValid, fc.jsonValue()), (event) => {
        const ours = EventBridgeSchema.safeParse(event);
        const theirs = PowertoolsEventBridgeSchema.safeParse(event);
        expect(ours.success).toBe(theirs.success);
        expect(ours.data).toEqual(theirs.data);
        expect(ours.error?.issues).toEqual(theirs.error?.issues);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SnsRecordSchema', () => {
  const attribute = fc.record({ Type: fc.constantFrom('String', 'Binary'), Value: fc.string() });
  const notification = fc.record(
    {
      Subject: fc.option(fc.string(), { nil: null }),
      TopicArn: fc.constant('arn:aws:sns:eu-west-1:123456789012:lbguard-remediation'),
      UnsubscribeUrl: fc.constant('https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe'),
      SigningCertUrl: fc.constant('https://sns.eu-west-1.amazonaws.com/SimpleNotificationService.pem'),
      Type: fc.constant('Notification'),
      MessageAttributes: fc.dictionary(fc.string({ minLength: 1 }), attribute),
      Message: fc.string(),
      MessageId: fc.uuid(),
      Signature: fc.base64String(),
      SignatureVersion: fc.constant('1'),
      Timestamp: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    },
    { requiredKeys: ['TopicArn', 'UnsubscribeUrl', 'Type', 'Message', 'MessageId', 'Timestamp'] },
  );
  const record = fc.record({
    EventSource: fc.constant('aws:sns'),
    EventVersion: fc.constant('1.0'),
    EventSubscriptionArn: fc.constant('arn:aws:sns:eu-west-1:123456789012:lbguard-remediation:1f2e'),
    Sns: notification,
  });
  // A valid record with one notification field replaced, removed or added.
  const nearlyValid = fc
    .tuple(
      record,
      fc.constantFrom(
        'Subject',
        'UnsubscribeUrl',
        'SigningCertURL',
        'Type',
        'MessageAttributes',
        'Timestamp',
        'extra',
      ),
      fc.oneof(fc.jsonValue(), fc.constantFrom('not a url', '2026-11-02 14:00', null, undefined)),
    )
    .map(([r, key, value]) => ({ ...r, Sns: { ...r.Sns, [key]: value } }));

  it("accepts and rejects what Powertools' SnsRecordSchema does, with the same output", () => {
    fc.assert(
      fc.property(fc.oneof(record, nearlyValid, fc.jsonValue()), (event) => {
        const ours = SnsRecordSchema.safeParse(event);
        const theirs = PowertoolsSnsRecordSchema.safeParse(event);
        expect(ours.success).toBe(theirs.success);
        expect(ours.data).toEqual(theirs.data);
      }),
      { numRuns: 300 },
    );
  });
});
