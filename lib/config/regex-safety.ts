/**
 * A conservative check that a regular expression cannot backtrack exponentially in JavaScript's
 * backtracking engine. Exponential backtracking needs one loop that can match the same text in
 * two ways: a repeated group holding a repetition (`(a+)+`, `(.*a){10}`) or holding alternatives
 * (`(a|a)*`). Backreferences and lookarounds put matching beyond what such a check can bound. The
 * check refuses all of these, including harmless cases such as `(ab?)+`, because proving them
 * harmless needs an automaton; each has a rewrite.
 *
 * It does not catch polynomial backtracking (`.*a` is quadratic on a long line without an `a`),
 * which no syntactic rule separates from ordinary patterns; the prober runs every pattern under a
 * time budget for that (lambdas/adapters/http-prober.ts).
 */

/** Why a pattern may backtrack catastrophically. */
export type RegexRisk = 'nested-repetition' | 'repeated-alternatives' | 'backreference' | 'lookaround';

interface Group {
  /** Holds a quantifier that leaves a choice (`*`, `+`, `?`, `{n,m}`), directly or in a nested group. */
  repeats: boolean;
  /** Holds `|`, directly or in a nested group. */
  alternates: boolean;
}

const QUANTIFIER = /^(?:[*+?]|\{(\d+)(?:(,)(\d*))?\})\??/;
const LOOKAROUND = /^\(\?<?[=!]/;
/** `(?:`, `(?<name>` and modifier groups such as `(?i:`; plain `(` otherwise. */
const GROUP_OPENING = /^\((?:\?(?::|<[^>]*>|[a-z]*-?[a-z]*:))?/;

/** How often a quantifier lets its atom repeat: `[at least, at most]`. */
function repeatBounds(quantifier: RegExpExecArray): readonly [number, number] {
  const [text, min = '1', comma, max] = quantifier;
  switch (text[0]) {
    case '*':
      return [0, Infinity];
    case '+':
      return [1, Infinity];
    case '?':
      return [0, 1];
    default:
      return [Number(min), comma === undefined ? Number(min) : max === '' ? Infinity : Number(max)];
  }
}

/** The index just past the character class that opens at `start` (ECMAScript: the first unescaped `]`). */
function skipClass(source: string, start: number): number {
  let i = start + 1;
  if (source[i] === '^') i++;
  while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
  return i + 1;
}

/**
 * The first reason `source` may backtrack catastrophically, or `undefined` when it cannot. Expects
 * a pattern that compiles as `new RegExp(source)` (no flags, so Annex B syntax: a `{` that starts
 * no quantifier is a literal).
 */
export function findRegexRisk(source: string): RegexRisk | undefined {
  const open: Group[] = [{ repeats: false, alternates: false }];
  // What a quantifier here would repeat: a closed group, any other atom, or nothing quantifiable.
  let last: Group | 'atom' | undefined;
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const current = open[open.length - 1] ?? { repeats: false, alternates: false };
    const quantifier = QUANTIFIER.exec(rest);
    if (quantifier !== null) {
      const [atLeast, atMost] = repeatBounds(quantifier);
      if (typeof last === 'object' && atMost > 1) {
        if (last.repeats) return 'nested-repetition';
        if (last.alternates) return 'repeated-alternatives';
      }
      if (atMost > atLeast) current.repeats = true;
      last = undefined;
      i += quantifier[0].length;
      continue;
    }
    switch (rest[0]) {
      case '\\':
        if (/^\\(?:[1-9]|k<)/.test(rest)) return 'backreference';
        last = 'atom';
        i += 2;
        break;
      case '[':
        last = 'atom';
        i = skipClass(source, i);
        break;
      case '(': {
        if (LOOKAROUND.test(rest)) return 'lookaround';
        open.push({ repeats: false, alternates: false });
        last = undefined;
        i += GROUP_OPENING.exec(rest)?.[0].length ?? 1;
        break;
      }
      case ')': {
        const closed = open.pop() ?? { repeats: false, alternates: false };
        const parent = open[open.length - 1];
        if (parent !== undefined) {
          parent.repeats ||= closed.repeats;
          parent.alternates ||= closed.alternates;
        }
        last = closed;
        i++;
        break;
      }
      case '|':
        current.alternates = true;
        last = undefined;
        i++;
        break;
      default:
        last = 'atom';
        i++;
    }
  }
  return undefined;
}
