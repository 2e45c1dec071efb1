import { describe, expect, it } from 'vitest';
import { attributeBytes, estimateRequestUnits, itemBytes } from '../../../bench/dynamodb-units.ts';
import { packageOf } from '../../../bench/footprint.ts';
import { operationOf, serviceOf } from '../../../bench/recording-proxy.ts';

const big = (bytes: number) => ({ pk: { S: 'SERVICE#shop' }, blob: { S: 'x'.repeat(bytes) } });

describe('attributeBytes', () => {
  it.each([
    { value: { S: 'héllo' }, bytes: 6 },
    { value: { N: '12345' }, bytes: 4 },
    { value: { N: '-0.5' }, bytes: 2 },
    { value: { B: Buffer.from('abcd').toString('base64') }, bytes: 4 },
    { value: { BOOL: true }, bytes: 1 },
    { value: { NULL: true }, bytes: 1 },
    { value: { SS: ['ab', 'c'] }, bytes: 3 },
    { value: { NS: ['1', '22'] }, bytes: 4 },
    { value: { BS: [Buffer.from('ab').toString('base64')] }, bytes: 2 },
    { value: { M: { a: { S: 'bc' } } }, bytes: 6 },
    { value: { L: [{ S: 'ab' }, { BOOL: false }] }, bytes: 8 },
  ])('sizes $value at $bytes bytes', ({ value, bytes }) => {
    expect(attributeBytes(value)).toBe(bytes);
  });

  it('refuses a type DynamoDB does not have', () => {
    expect(() => attributeBytes({ X: 1 })).toThrow(/unknown DynamoDB attribute type/);
  });

  it('counts attribute names in an item', () => {
    expect(itemBytes({ pk: { S: 'ab' }, n: { N: '1' } })).toBe(2 + 2 + 1 + 2);
  });
});

describe('estimateRequestUnits', () => {
  it.each([
    { op: 'PutItem', request: { Item: big(100) }, response: {}, units: { read: 0, write: 1 } },
    { op: 'PutItem', request: { Item: big(3000) }, response: {}, units: { read: 0, write: 3 } },
    { op: 'DeleteItem', request: {}, response: {}, units: { read: 0, write: 1 } },
    {
      op: 'BatchWriteItem',
      request: {
        RequestItems: { t: [{ PutRequest: { Item: big(10) } }, { PutRequest: { Item: big(2000) } }] },
      },
      response: {},
      units: { read: 0, write: 3 },
    },
    {
      op: 'TransactWriteItems',
      request: { TransactItems: [{ Put: { Item: big(10) } }, { Put: { Item: big(1500) } }] },
      response: {},
      units: { read: 0, write: 6 },
    },
    { op: 'GetItem', request: { ConsistentRead: true }, response: {}, units: { read: 1, write: 0 } },
    {
      op: 'GetItem',
      request: { ConsistentRead: true },
      response: { Item: big(9000) },
      units: { read: 3, write: 0 },
    },
    { op: 'GetItem', request: {}, response: { Item: big(9000) }, units: { read: 1.5, write: 0 } },
    {
      op: 'Query',
      request: { ConsistentRead: true },
      response: { Items: [big(3000), big(3000)] },
      units: { read: 2, write: 0 },
    },
    {
      op: 'TransactGetItems',
      request: {},
      response: { Responses: [{ Item: big(10) }, {}] },
      units: { read: 4, write: 0 },
    },
    { op: 'DescribeTable', request: {}, response: {}, units: { read: 0, write: 0 } },
  ])('charges $op $units.read read and $units.write write units', ({ op, request, response, units }) => {
    expect(estimateRequestUnits(op, request, response)).toEqual(units);
  });
});

describe('recording proxy request naming', () => {
  const auth = (service: string) => ({
    authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261102/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
  });

  it('reads the service from the SigV4 credential scope', () => {
    expect(serviceOf(auth('elasticloadbalancing'))).toBe('elasticloadbalancing');
    expect(serviceOf({})).toBe('unknown');
  });

  it.each([
    { headers: { 'x-amz-target': 'DynamoDB_20120810.Query' }, path: '/', body: '', op: 'Query' },
    {
      headers: {},
      path: '/service/GraniteServiceVersion20100801/operation/GetMetricData',
      body: '',
      op: 'GetMetricData',
    },
    {
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      path: '/',
      body: 'Action=DescribeRules&Version=2015-12-01',
      op: 'DescribeRules',
    },
    { headers: {}, path: '/?Action=DescribeTargetHealth', body: '', op: 'DescribeTargetHealth' },
    { headers: {}, path: '/2015-03-31/functions/remediate/invocations', body: '', op: 'Invoke' },
    { headers: {}, path: '/other?x=1', body: '', op: 'GET /other' },
  ])('names $op', ({ headers, path, body, op }) => {
    expect(operationOf('GET', path, headers, body)).toBe(op);
  });
});

describe('packageOf', () => {
  it.each([
    { file: 'node_modules/@aws-sdk/client-sns/dist-es/index.js', name: '@aws-sdk/client-sns' },
    { file: 'node_modules/zod/v4/classic/schemas.js', name: 'zod' },
    { file: 'node_modules/@smithy/core/node_modules/uuid/index.js', name: 'uuid' },
    { file: 'lambdas/probe/handler.ts', name: 'lbguard' },
  ])('attributes $file to $name', ({ file, name }) => {
    expect(packageOf(file)).toBe(name);
  });
});
