// Issue 14, finding 6, against moto's Secrets Manager and SSM: probe reads the secrets its probes
// name at run time, sends them, picks up a rotation, stores none of them, and fails loudly (naming
// the secret, never a value) when one cannot be read.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { PowertoolsSecretReader } from '../../lambdas/adapters/secrets.ts';
import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { probe } from '../../lambdas/flows/probe.ts';
import { probeDeps } from '../../lambdas/probe/deps.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { RecordingMetrics, SilentLog, testConfig } from '../support/lambda-fakes.ts';

const TABLE = 'lbguard-secrets';
let clients: AwsClients;
let secretsManager: SecretsManagerClient;
let ssm: SSMClient;
let site: Server;
let expected = { authorization: 'Bearer first-t0ken', body: 'k3y-value' };
const seen: { authorization?: string; body: string }[] = [];

function url(): string {
  return `http://127.0.0.1:${(site.address() as AddressInfo).port}/account`;
}

function config(tokenRef: unknown = { secret: 'shop/probe-token', jsonKey: 'token' }) {
  return testConfig({
    version: 1,
    services: [
      {
        name: 'shop',
        loadBalancerArn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188',
        probes: [
          {
            name: 'account',
            url: url(),
            method: 'POST',
            headers: { Authorization: tokenRef as never, Accept: 'application/json' },
            body: { parameter: '/shop/probe/api-key' },
          },
        ],
      },
    ],
  });
}

function deps(c = config(), logger = new SilentLog()) {
  return probeDeps(
    { config: c, tableName: TABLE },
    {
      clients,
      logger,
      metrics: new RecordingMetrics(),
      // No cache in this test, so a rotation shows at the next read (deployed: 300 s).
      secrets: new PowertoolsSecretReader({ ...motoClientConfig(), maxAgeSeconds: 0 }),
    },
  );
}

beforeAll(async () => {
  await resetMoto();
  clients = createAwsClients(motoClientConfig());
  secretsManager = new SecretsManagerClient(motoClientConfig());
  ssm = new SSMClient(motoClientConfig());
  await createStateTable(clients.dynamodb, TABLE);
  await secretsManager.send(
    new CreateSecretCommand({
      Name: 'shop/probe-token',
      SecretString: JSON.stringify({ token: expected.authorization }),
    }),
  );
  await ssm.send(
    new PutParameterCommand({ Name: '/shop/probe/api-key', Type: 'SecureString', Value: expected.body }),
  );
  site = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({
        ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
        body,
      });
      const ok = req.headers.authorization === expected.authorization && body === expected.body;
      res.writeHead(ok ? 200 : 401).end(ok ? 'ok' : 'unauthorized');
    });
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  destroyAwsClients(clients);
  secretsManager.destroy();
  ssm.destroy();
  await new Promise<void>((r) => site.close(() => r()));
});

describe('probe secrets on moto', () => {
  it('sends the secret and the SecureString, and stores and logs neither', async () => {
    const logger = new SilentLog();
    const out = await probe({ kind: 'probe', loopSeconds: 0 }, deps(config(), logger));
    expect(out).toMatchObject({ kind: 'probed', services: [{ service: 'shop', runs: 1, failed: 0 }] });
    expect(seen.at(-1)).toEqual({ authorization: expected.authorization, body: expected.body });
    const items = await clients.dynamodb.send(new ScanCommand({ TableName: TABLE }));
    expect((items.Items ?? []).length).toBeGreaterThan(0);
    const kept = JSON.stringify([items.Items, logger.lines]);
    expect(kept).not.toContain('first-t0ken');
    expect(kept).not.toContain(expected.body);
  });

  it('uses a rotated secret once its cache time has passed', async () => {
    expected = { ...expected, authorization: 'Bearer second-t0ken' };
    await secretsManager.send(
      new PutSecretValueCommand({
        SecretId: 'shop/probe-token',
        SecretString: JSON.stringify({ token: expected.authorization }),
      }),
    );
    const out = await probe({ kind: 'probe', loopSeconds: 0 }, deps());
    expect(out).toMatchObject({ services: [{ failed: 0 }] });
    expect(seen.at(-1)?.authorization).toBe('Bearer second-t0ken');
  });

  it('fails the invocation naming a secret that does not exist, sending nothing', async () => {
    const before = seen.length;
    await expect(
      probe({ kind: 'probe', loopSeconds: 0 }, deps(config({ secret: 'shop/no-such-secret' }))),
    ).rejects.toThrow(/cannot read secret shop\/no-such-secret: ResourceNotFoundException/);
    expect(seen.length).toBe(before);
  });

  it('names the key when the JSON secret lacks it, and never the secret text', async () => {
    const run = probe(
      { kind: 'probe', loopSeconds: 0 },
      deps(config({ secret: 'shop/probe-token', jsonKey: 'nope' })),
    );
    await expect(run).rejects.toThrow(
      /cannot read secret shop\/probe-token \(key nope\): the secret's JSON has no text value at nope/,
    );
    await expect(
      probe({ kind: 'probe', loopSeconds: 0 }, deps(config({ secret: 'shop/probe-token', jsonKey: 'nope' }))),
    ).rejects.not.toThrow(/second-t0ken/);
  });
});
