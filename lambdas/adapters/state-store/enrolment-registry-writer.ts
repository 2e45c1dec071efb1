import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AwsApiError, LbGuardError } from '../../../lib/errors.ts';
import { encodeRegistryBody, type RegistryBody, registryMacMessage } from '../../../lib/fleet/registry.ts';
import type { Scope } from '../../../lib/fleet/scope.ts';
import { isConditionFailure, toItem } from './attributes.ts';
import { DynamoDbRegistryReader, type RegistryStore, registryKey } from './enrolment-registry.ts';

/**
 * The body's text stays under this: DynamoDB refuses items over 400 KB, and the key, MAC and
 * version need a little room. `MAX_ENROLLED_SERVICES` keeps a real registry far below it.
 */
const MAX_BODY_BYTES = 380 * 1024;

/** The enrol function's registry: reads as every function does, and writes, signed, conditioned. */
export class DynamoDbRegistryStore extends DynamoDbRegistryReader implements RegistryStore {
  async write(
    scope: Scope,
    body: RegistryBody,
    expectVersion: number | undefined,
  ): Promise<{ readonly written: boolean }> {
    const text = encodeRegistryBody(body);
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
      throw new LbGuardError(
        `the enrolment registry of ${scope.account}/${scope.region} would be ${Buffer.byteLength(text)} bytes, over DynamoDB's item limit; guard fewer load balancers by tags here`,
      );
    }
    const version = (expectVersion ?? 0) + 1;
    const mac = await this.signer.sign(registryMacMessage(scope, version, text));
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: toItem({ ...registryKey(scope), version, sweptAt: body.sweptAt, body: text, mac }),
          ...(expectVersion === undefined
            ? {
                // Nothing stored, or an item with no numeric version (never lbguard's): overwritten.
                ConditionExpression: 'attribute_not_exists(#version) OR NOT attribute_type(#version, :n)',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: toItem({ ':n': 'N' }),
              }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: toItem({ ':expected': expectVersion }),
              }),
        }),
      );
      return { written: true };
    } catch (cause) {
      if (isConditionFailure(cause)) return { written: false };
      throw new AwsApiError('PutItem', { cause });
    }
  }
}
