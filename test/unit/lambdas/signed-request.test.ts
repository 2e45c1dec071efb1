import type { HttpRequest, HttpResponse } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { isPermanent } from '../../../lambdas/adapters/aws-call.ts';
import { createElbv2Client } from '../../../lambdas/adapters/clients.ts';
import {
  type BorrowedClientConfig,
  SignedRequests,
  serviceError,
} from '../../../lambdas/adapters/signed-request.ts';

// The shared helper behind the hand-signed calls (ARC, CloudFormation, CodeDeploy), with a
// request handler that records what would be sent and answers from a list.

/** The SDK's SHA-256, as a built client resolves it. */
const { sha256 } = createElbv2Client({ region: 'eu-west-1' }).config;

function borrowed(region: string, answers: HttpResponse[], maxAttempts = 3) {
  const sent: HttpRequest[] = [];
  const config: BorrowedClientConfig = {
    region: async () => region,
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    sha256,
    maxAttempts: async () => maxAttempts,
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

const ok = (body = '{}'): HttpResponse => ({
  statusCode: 200,
  headers: {},
  body: [Buffer.from(body)] as never,
});
const failed = (statusCode: number, body: string, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers,
  body: [Buffer.from(body)] as never,
});

describe('SignedRequests', () => {
  it.each([
    ['us-east-1', 'codedeploy.us-east-1.amazonaws.com'],
    ['cn-north-1', 'codedeploy.cn-north-1.amazonaws.com.cn'],
    ['us-gov-west-1', 'codedeploy.us-gov-west-1.amazonaws.com'],
  ])('sends to the service in the region %s by its partition: %s', async (region, host) => {
    const { config, sent } = borrowed(region, [ok()]);
    await new SignedRequests(config, 'codedeploy').send({ operation: 'ListApplications', body: '{}' });
    expect(sent[0]?.hostname).toBe(host);
    expect(sent[0]?.headers.authorization).toMatch(new RegExp(`/${region}/codedeploy/aws4_request`));
  });

  it('retries throttling and server errors within the attempts, then fails naming the operation', async () => {
    const throttled = failed(400, '{"__type":"ThrottlingException","message":"Rate exceeded"}');
    const { config, sent } = borrowed('eu-west-1', [throttled, failed(503, 'unavailable'), ok('{"a":1}')]);
    await expect(
      new SignedRequests(config, 'codedeploy').send({ operation: 'ListApplications' }),
    ).resolves.toEqual({
      status: 200,
      text: '{"a":1}',
    });
    expect(sent).toHaveLength(3);

    const again = borrowed('eu-west-1', [failed(503, 'a'), failed(503, 'b')], 2);
    const error = await new SignedRequests(again.config, 'codedeploy')
      .send({ operation: 'ListApplications' })
      .catch((e: unknown) => e);
    expect(again.sent).toHaveLength(2);
    expect(String(error)).toMatch(/AWS ListApplications failed: HTTP 503/);
    expect(isPermanent(error)).toBe(false);
  });

  it('does not retry access denied', async () => {
    const denied = failed(
      403,
      '<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>',
    );
    const { config, sent } = borrowed('eu-west-1', [denied, ok()]);
    const error = await new SignedRequests(config, 'cloudformation')
      .send({ operation: 'DescribeStacks' })
      .catch((e: unknown) => e);
    expect(sent).toHaveLength(1);
    expect(isPermanent(error)).toBe(true);
  });
});

describe('serviceError', () => {
  it.each([
    [
      'the error-type header',
      400,
      'AccessDeniedException:http://internal.amazon.com/',
      '{}',
      'AccessDeniedException',
      '{}',
    ],
    [
      "a JSON body's __type",
      400,
      undefined,
      '{"__type":"com.amazonaws.codedeploy#ApplicationDoesNotExistException","message":"No application"}',
      'ApplicationDoesNotExistException',
      'No application',
    ],
    [
      "an XML body's Code",
      400,
      undefined,
      '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>',
      'Throttling',
      'Rate exceeded',
    ],
    ['nothing but the status', 502, undefined, 'Bad Gateway', 'HTTP 502', 'Bad Gateway'],
  ])('names the error from %s', (_from, status, header, body, name, message) => {
    const error = serviceError(status, header, body);
    expect(error).toMatchObject({ name, message, $metadata: { httpStatusCode: status } });
  });
});
