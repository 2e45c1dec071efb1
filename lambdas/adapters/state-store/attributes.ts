import { type AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

// The state store's translation to and from DynamoDB's attribute values, in place of the document
// client (@aws-sdk/lib-dynamodb), which costs every Lambda bundle ~7 KB for the same marshalling.

/**
 * The options the document client was built with, so items read and written are the same as
 * before: an undefined optional field is left out rather than refused (exactOptionalPropertyTypes),
 * and only plain objects become maps.
 */
const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

/** An item, key or set of expression values as DynamoDB's attribute map. */
export function toItem(record: Record<string, unknown>): Record<string, AttributeValue> {
  return marshall(record, MARSHALL);
}

/** An item read back as plain values; numbers come back as JS numbers, as they were written. */
export function fromItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return unmarshall(item);
}

/** A condition that did not hold, on a single write or on one item of a transaction. */
export function isConditionFailure(err: unknown): boolean {
  if (err instanceof ConditionalCheckFailedException) return true;
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;
  return (
    e?.name === 'ConditionalCheckFailedException' ||
    (e?.name === 'TransactionCanceledException' &&
      (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'))
  );
}

/** A raw attribute (an exception's `Item` is never unmarshalled) as a string, if it is one. */
export function attributeString(v: AttributeValue | undefined): string | undefined {
  return v !== undefined && 'S' in v ? v.S : undefined;
}

/** A raw number attribute's digits, if it is one. */
export function attributeNumber(v: AttributeValue | undefined): string | undefined {
  return v !== undefined && 'N' in v ? v.N : undefined;
}
