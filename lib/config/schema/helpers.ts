/**
 * The few combinators every section of the config schema is built from: strict objects whose
 * unknown keys get a "did you mean", bounded integers and lists, and the guards that let
 * cross-field checks run on broken input without piling up follow-on errors. They build
 * validation only: what the JSON Schema says beyond it (descriptions, formats, `maxProperties`)
 * lives in ../schema-docs.ts, which no Lambda bundle imports.
 */
import * as z from 'zod/mini';
import { suggestKey } from '../../suggest.ts';
import { LIMITS, type LimitName } from '../limits.ts';
import '../zod-english.ts';

/** A plain object: what a cross-field check may read fields of, even when the rest is broken. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Run an object's cross-field check whenever the object itself is an object, broken or not. */
export const whenObject = { when: (payload: z.core.ParsePayload): boolean => isRecord(payload.value) };

/** Whether any issue was already raised at or under one of these fields of the current object. */
export function hasIssuesAt(ctx: z.core.ParsePayload, ...fields: readonly string[]): boolean {
  return ctx.issues.some((issue) => fields.includes(String(issue.path?.[0])));
}

function describeUnknownKey(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known);
  return suggestion === undefined
    ? `unknown key; expected one of: ${known.join(', ')}`
    : `unknown key; did you mean ${suggestion}?`;
}

/**
 * A strict object whose unknown-key error says, per key, what was probably meant. The message
 * holds one line per unknown key, in the order of the issue's `keys`.
 */
export function strict<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => describeUnknownKey(key, known)).join('\n')
        : undefined,
  });
}

/** A whole number in [min, max]; one message for both bounds, `why` appended when a bound needs a reason. */
export function intIn(min: number, max: number, why = '') {
  const message = `must be a whole number from ${min} to ${max}${why}`;
  return z.int().check(z.minimum(min, message), z.maximum(max, message));
}

/** A list of at most one of `LIMITS`, its message naming the limit: `what` is the plural noun. */
export function maxItems(limit: LimitName, what: string, fix: string) {
  return z.maxLength(LIMITS[limit], `must have at most ${LIMITS[limit]} ${what} (limit ${limit}); ${fix}`);
}

/** A string of at most one of `LIMITS` characters, its message naming the limit. */
export function maxChars(limit: LimitName, fix: string) {
  return z.maxLength(LIMITS[limit], `must be at most ${LIMITS[limit]} characters (limit ${limit}); ${fix}`);
}

/**
 * A mapping (headers) of at most one of `LIMITS` entries, its message naming the limit. zod has no
 * such check, so the JSON Schema learns the bound from ../schema-docs.ts (`maxProperties`).
 */
export function withMaxEntries<T extends z.ZodMiniType<Record<string, unknown>>>(
  record: T,
  limit: LimitName,
  what: string,
  fix: string,
): T {
  const max = LIMITS[limit];
  return record.check(
    z.superRefine((value: Record<string, unknown>, ctx) => {
      if (Object.keys(value).length > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must have at most ${max} ${what} (limit ${limit}); ${fix}`,
        });
      }
    }, whenObject),
  );
}

/**
 * Flags every item of `items` whose `name` repeats an earlier one, at the repeat, naming the first;
 * tolerates a broken list, since other issues are reported on their own.
 */
export function checkUniqueNames(items: unknown, field: string, ctx: z.core.ParsePayload): void {
  if (!Array.isArray(items)) return;
  const firstIndex = new Map<string, number>();
  items.forEach((item: unknown, index) => {
    if (!isRecord(item) || typeof item.name !== 'string') return;
    const first = firstIndex.get(item.name);
    if (first === undefined) {
      firstIndex.set(item.name, index);
      return;
    }
    ctx.issues.push({
      code: 'custom',
      path: [field, index, 'name'],
      message: `duplicates the name ${item.name} of ${field}[${first}]; names must be unique, rename one of them`,
      input: undefined,
    });
  });
}
