import type { HttpRequest, HttpResponse } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { StsCallerIdentity } from '../../../lambdas/adapters/caller-identity.ts';
import { createElbv2Client } from '../../../lambdas/adapters/clients.ts';
import { LambdaRemediationInvoker } from '../../../lambdas/adapters/lambda-handoff.ts';
import type { BorrowedClientConfig } from '../../../lambdas/adapters/signed-request.ts';

// `lbguard approve`'s two hand-signed calls: who is approving (STS), and the hand-off to the
// deployed remediate function (Lambda Invoke), with a handler that records what would be sent.

const { sha256 } = createElbv2Client({ region: 'eu-west-1' }).config;

function borrowed(answers: HttpResponse[]) {
  const sent: HttpRequest[] = [];
  const config: BorrowedClientConfig = {
    region: async () => 'eu-west-1',
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    sha256,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        sent.push(request);
        const response = answers.shift();
        if (response === undefined) throw new Error('no more answers');
        return { response };
      },
    },
  };
  return { config, sent };
}

const answer = (statusCode: number, body: string): HttpResponse => ({
  statusCode,
  headers: {},
  body: [Buffer.from(body)] as never,
});

const REQUEST = {
  kind: 'remediate',
  service: 'shop',
  incidentId: 'shop#2026-11-24T14:02:11.000Z',
  planHash: 'a'.repeat(64),
  requestedAt: '2026-11-24T14:20:00.000Z',
} as const;

describe('the approver and the hand-off', () => {
  it('names the approver by the ARN STS answers with', async () => {
    const xml =
      '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::123456789012:assumed-role/oncall/ana</Arn><UserId>AROA:ana</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>';
    const { config, sent } = borrowed([answer(200, xml)]);
    await expect(new StsCallerIdentity(config).whoAmI()).resolves.toBe(
      'arn:aws:sts::123456789012:assumed-role/oncall/ana',
    );
    expect(sent[0]?.hostname).toBe('sts.eu-west-1.amazonaws.com');
    expect(String(sent[0]?.body)).toBe('Action=GetCallerIdentity&Version=2011-06-15');
  });

  it('records no approval when STS does not say who is calling', async () => {
    const { config } = borrowed([answer(200, '<GetCallerIdentityResponse/>')]);
    await expect(new StsCallerIdentity(config).whoAmI()).rejects.toThrow(/the approver is unknown/);
  });

  it('hands the bare request to the remediate function as an asynchronous Invoke', async () => {
    const { config, sent } = borrowed([answer(202, '')]);
    await new LambdaRemediationInvoker(config, 'lbguard-Remediate-1A2B').invoke(REQUEST);
    const request = sent[0];
    expect(request?.hostname).toBe('lambda.eu-west-1.amazonaws.com');
    expect(request?.path).toBe('/2015-03-31/functions/lbguard-Remediate-1A2B/invocations');
    expect(request?.headers['x-amz-invocation-type']).toBe('Event');
    expect(JSON.parse(String(request?.body))).toEqual(REQUEST);
    expect(request?.headers.authorization).toMatch(/\/eu-west-1\/lambda\/aws4_request/);
  });

  it('fails the hand-off, naming Invoke, when the operator may not invoke remediate', async () => {
    const denied = answer(
      403,
      '{"Type":"User","message":"not authorized to perform: lambda:InvokeFunction"}',
    );
    const { config } = borrowed([denied]);
    await expect(
      new LambdaRemediationInvoker(config, 'lbguard-Remediate-1A2B').invoke(REQUEST),
    ).rejects.toThrow(/Invoke/);
  });
});
