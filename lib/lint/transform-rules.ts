/**
 * Lint rule about rule transforms (LBG-L12): a rewrite that fails for requests its rule matches.
 */
import { describeTransforms } from '../snapshot.ts';
import type { Condition, Listener, Rule, RuleTransform } from '../types.ts';
import type { LintFinding, LintRule } from './types.ts';
import { outcomeOf, siteName, siteResource } from './views.ts';

/** What each transform type rewrites, the condition that admits it, and what a result must be. */
const SUBJECT = {
  'url-rewrite': {
    field: 'path-pattern',
    what: 'path',
    // A `*` of a path pattern stands for one or more characters, slashes included.
    fill: ['x', 'x/y'],
    valid: (out: string) => out.startsWith('/'),
    invalid: 'not a path (it must start with /)',
  },
  'host-header-rewrite': {
    field: 'host-header',
    what: 'host',
    fill: ['x', 'x.y'],
    valid: (out: string) => /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i.test(out),
    invalid: 'not a host name',
  },
} as const;

/**
 * Requests a glob admits, one per way of filling its wildcards: enough to show a regex that misses
 * part of the pattern, never a proof that it covers all of it.
 */
function samples(glob: string, fill: readonly string[]): string[] {
  return [...new Set(fill.map((f) => glob.replaceAll('*', f).replaceAll('?', 'x')))];
}

/** ALB's regexes are RE2; JavaScript reads the common subset (named groups spelled `(?P<`). */
function compile(regex: string): RegExp | undefined {
  try {
    return new RegExp(regex.replaceAll('(?P<', '(?<'));
  } catch {
    return undefined;
  }
}

/** The first way `transform` fails a request `rule` matches, or undefined when none is found. */
function failure(rule: Rule, transform: RuleTransform): string | undefined {
  const subject = SUBJECT[transform.type];
  const admitted = rule.conditions
    .filter((c: Condition) => c.field === subject.field)
    .flatMap((c) => c.values.flatMap((v) => samples(v, subject.fill)));
  const regexes = transform.rewrites.map((w) => ({ re: compile(w.regex), replace: w.replace }));
  if (admitted.length === 0 || regexes.some((r) => r.re === undefined)) return undefined;
  for (const input of admitted) {
    const hit = regexes.find((r) => r.re?.test(input));
    if (hit === undefined) {
      return `does not match the ${subject.what} ${input}, which the rule admits: such requests reach the target un-rewritten`;
    }
    const out = input.replace(hit.re as RegExp, hit.replace);
    if (!subject.valid(out)) return `rewrites the ${subject.what} ${input} to "${out}", ${subject.invalid}`;
  }
  return undefined;
}

export const rewriteCanFail: LintRule = {
  id: 'LBG-L12',
  level: 'warning',
  name: 'rewrite-can-fail',
  what: "A rule transform fails for requests the rule matches: a url-rewrite whose regex misses a path the rule's path-pattern admits, a host-header-rewrite whose regex misses a host its host-header condition admits, or a rewrite whose result is not a path (no leading /) or not a host name. Checked on sample requests drawn from the condition's values; regex conditions are not sampled.",
  why: 'ALB forwards a request its rewrite does not match unchanged, so part of the traffic reaches targets at a path or host they do not serve (404s no health check sees); a rewrite into an invalid path or host fails the request outright.',
  fix: 'Make the regex cover every value the condition admits (e.g. `^/api/(.*)$` for path `/api/*`) or narrow the condition to what the regex rewrites, and make the replacement start with `/` (url-rewrite) or be a host name (host-header-rewrite).',
  check(context) {
    const sites = context.snapshot.listeners.flatMap((listener: Listener) =>
      listener.rules.filter((r) => (r.transforms ?? []).length > 0).map((rule) => ({ listener, rule })),
    );
    const findings = sites.flatMap((site): LintFinding[] =>
      (site.rule.transforms ?? []).flatMap((transform) => {
        const why = failure(site.rule, transform);
        if (why === undefined) return [];
        return [
          {
            ruleId: rewriteCanFail.id,
            level: rewriteCanFail.level,
            resource: siteResource(site),
            message: `${siteName(site)} ${describeTransforms([transform])} ${why}`,
            fix: `Widen the ${transform.type} regex to every ${SUBJECT[transform.type].what} the rule admits, or narrow the rule's ${SUBJECT[transform.type].field} condition to what it rewrites.`,
          },
        ];
      }),
    );
    return outcomeOf(sites.length, findings, 'no rule has a transform');
  },
};
