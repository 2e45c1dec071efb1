import { AwsApiError, LbGuardError } from '../../lib/errors.ts';

// One place that talks to AWS about failure: what a failed SDK call becomes (`AwsApiError`, named
// for the operation, the SDK's error as its cause) and which of those a retry cannot cure.

/**
 * Runs one SDK call; its failure becomes an `AwsApiError` naming `operation`. lbguard's own errors
 * (raised inside `fn` while translating a response) pass through as they are.
 */
export async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof LbGuardError) throw cause;
    throw new AwsApiError(operation, { cause });
  }
}

/** The SDK error's name (`ThrottlingException`, `InvalidTargetException`…), or '' for anything else. */
export function errorName(error: unknown): string {
  return (error as { name?: string } | null)?.name ?? '';
}

/**
 * Errors a retry cannot cure: access denied, and any other request AWS refused as a client
 * error other than throttling. Throttling and server errors are worth a retry.
 */
export function isPermanent(error: unknown): boolean {
  if (!(error instanceof AwsApiError)) return false;
  const cause = error.cause as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = cause?.name ?? '';
  if (/Throttl|TooManyRequests|RequestLimitExceeded/.test(name)) return false;
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(name)) return true;
  const status = cause?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
}
