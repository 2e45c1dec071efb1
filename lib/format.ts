/**
 * Counting words for the sentences lib writes (evidence, lint findings, timeline entries), kept in
 * one place so every "1 target" / "2 targets" and every thousands separator reads the same.
 */

const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `1 target`, `3 targets`; irregular plurals pass `many` (`2 breaches`). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `12,345`: a whole count with thousands separators. */
export function formatCount(n: number): string {
  return COUNT_FORMAT.format(n);
}
