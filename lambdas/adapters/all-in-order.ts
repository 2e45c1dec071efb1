/**
 * Awaits calls already under way together and, when some failed, throws the failure of the first
 * in the order given rather than the first to fail in time. Reads run side by side to save round
 * trips, yet the error an invocation reports (and a test asserts) never depends on which call the
 * network happened to answer first. Every call is waited for, so none is left failing unobserved.
 */
export async function allInOrder<const T extends readonly unknown[]>(
  calls: { readonly [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const settled = await Promise.allSettled(calls);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
