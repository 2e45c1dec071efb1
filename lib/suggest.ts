/**
 * "Did you mean …?" for anything a person types from a known list: config keys, CLI commands and
 * flags, service names. Pure and free of zod, so the CLI can use it without the config schema.
 */

/** Levenshtein distance; memoised on prefix lengths, which is plenty for key names. */
function editDistance(a: string, b: string, memo = new Map<string, number>()): number {
  if (a === '') return b.length;
  if (b === '') return a.length;
  const key = `${a.length},${b.length}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const substitution = a.at(-1) === b.at(-1) ? 0 : 1;
  const distance = Math.min(
    editDistance(a.slice(0, -1), b, memo) + 1,
    editDistance(a, b.slice(0, -1), memo) + 1,
    editDistance(a.slice(0, -1), b.slice(0, -1), memo) + substitution,
  );
  memo.set(key, distance);
  return distance;
}

/**
 * The known key an unknown key was most likely meant to be: a near spelling, a different case,
 * or a fragment (`timeout` → `timeoutMs`).
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const scored = known
    .map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }))
    .filter(
      ({ candidate, distance }) =>
        distance <= Math.max(1, Math.floor(key.length / 3)) ||
        (lower.length >= 4 && candidate.toLowerCase().includes(lower)),
    )
    .sort((a, b) => a.distance - b.distance);
  return scored[0]?.candidate;
}
