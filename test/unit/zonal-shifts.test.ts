import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElbv2Client } from '../../lambdas/adapters/clients.ts';
import { ArcZonalShifts, toZonalShifts } from '../../lambdas/adapters/zonal-shifts.ts';
import { AwsApiError } from '../../lib/errors.ts';

// moto has no ARC zonal shift and the SDK package is not installable here: the adapter is tested
// against a local HTTP server standing in for `arc-zonal-shift.{region}.amazonaws.com`, with the
// request signed for real (SigV4, the ELBv2 client's credentials, region and handler).

const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';

let server: Server;
let seen: IncomingMessage[] = [];
let answer: { status: number; body: string; headers?: Record<string, string> };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function adapter(): ArcZonalShifts {
  const { port } = server.address() as AddressInfo;
  const client = createElbv2Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    maxAttempts: 1,
  });
  return new ArcZonalShifts(client.config);
}

describe('ArcZonalShifts (GET /managedresources/{arn}, SigV4)', () => {
  it('asks for the load balancer, signed for arc-zonal-shift, and reads applied shifts and autoshifts', async () => {
    seen = [];
    answer = {
      status: 200,
      body: JSON.stringify({
        arn: LB,
        appliedWeights: { euw1_az1: 1, euw1_az2: 0 },
        zonalShifts: [
          { zonalShiftId: 'zs-1', awayFrom: 'euw1-az2', expiryTime: 1_796_000_000, appliedStatus: 'APPLIED' },
          {
            zonalShiftId: 'zs-2',
            awayFrom: 'euw1-az3',
            expiryTime: 1_796_000_000,
            appliedStatus: 'NOT_APPLIED',
          },
        ],
        autoshifts: [{ awayFrom: 'euw1-az1', startTime: 1_795_000_000, appliedStatus: 'APPLIED' }],
      }),
    };
    const shifts = await adapter().activeFor(LB);
    expect(shifts).toEqual([
      { id: 'zs-1', kind: 'zonal-shift', zone: 'euw1-az2', expiry: '2026-11-30T00:53:20.000Z' },
      { id: 'autoshift euw1-az1', kind: 'autoshift', zone: 'euw1-az1' },
    ]);
    const [request] = seen;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe(`/managedresources/${encodeURIComponent(LB)}`);
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/arc-zonal-shift\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-security-token']).toBe('token');
  });

  it('reads a load balancer ARC does not manage (zonal shift off) as no shift', async () => {
    answer = {
      status: 404,
      body: '{"message":"not found"}',
      headers: { 'x-amzn-errortype': 'ResourceNotFoundException' },
    };
    await expect(adapter().activeFor(LB)).resolves.toEqual([]);
  });

  it('fails with the operation and the error AWS named, for the caller to decide', async () => {
    answer = {
      status: 403,
      body: '{"message":"denied"}',
      headers: { 'x-amzn-errortype': 'AccessDeniedException:http://internal' },
    };
    const error = await adapter()
      .activeFor(LB)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsApiError);
    expect((error as AwsApiError).message).toMatch(/GetManagedResource/);
    expect(((error as AwsApiError).cause as Error).name).toBe('AccessDeniedException');
  });

  it('ignores practice runs not applied and shifts without a zone', () => {
    expect(
      toZonalShifts({ zonalShifts: [{ zonalShiftId: 'x', appliedStatus: 'APPLIED' }], autoshifts: [] }),
    ).toEqual([]);
    expect(toZonalShifts({})).toEqual([]);
  });
});
