import { type AddressInfo, createServer, type Socket } from 'node:net';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { motoClientConfig } from '../support/aws-env.ts';

describe('createAwsClients', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('gives every client adaptive retries and bounded attempts', async () => {
    const clients = createAwsClients({ ...motoClientConfig(), maxAttempts: 4 });
    for (const client of [clients.elbv2, clients.cloudwatch, clients.dynamodb, clients.sns]) {
      const strategy = (await client.config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).toBe('adaptive');
      expect(await client.config.maxAttempts()).toBe(4);
    }
    destroyAwsClients(clients);
  });

  it('gives up on an endpoint that accepts the connection but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { credentials } = motoClientConfig();
    const clients = createAwsClients({
      region: 'us-east-1',
      credentials,
      endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      maxAttempts: 1,
      requestTimeoutMs: 300,
    });
    const started = Date.now();
    await expect(clients.sns.send(new ListTopicsCommand({}))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    destroyAwsClients(clients);
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('reaches the endpoint named by AWS_ENDPOINT_URL with no explicit option', async () => {
    const { endpoint, credentials } = motoClientConfig();
    process.env.AWS_ENDPOINT_URL = endpoint;
    const clients = createAwsClients({ region: 'us-east-1', credentials });
    const out = await clients.sns.send(new ListTopicsCommand({}));
    expect(out.$metadata.httpStatusCode).toBe(200);
    destroyAwsClients(clients);
  });
});
