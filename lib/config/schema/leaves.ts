/**
 * Field types shared across sections: names, header names, regular expressions, URLs and ARNs,
 * each with a message that names what is expected and never quotes what was received.
 */
import * as z from 'zod/mini';
import { findRegexRisk, type RegexRisk } from '../regex-safety.ts';
import '../zod-english.ts';
import { LIMITS } from '../limits.ts';
import { maxChars, strict, withMaxEntries } from './helpers.ts';
import { orSecretReference } from './secret-refs.ts';

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** RFC 9110 `token`: what an HTTP header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** An AWS region name, like eu-west-1 or us-gov-west-1. */
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const SINGLE_LINE = /^[^\r\n]*$/;
const ARN_HEAD = String.raw`arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}`;
export const ALB_ARN = new RegExp(`^${ARN_HEAD}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{1,32}$`);
export const LISTENER_ARN = new RegExp(
  `^${ARN_HEAD}:listener/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{1,32}/[0-9a-f]{1,32}$`,
);

const EXAMPLE_ALB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const EXAMPLE_LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';

function parseUrl(text: string): URL | undefined {
  return URL.canParse(text) ? new URL(text) : undefined;
}

export const nameSchema = z
  .string()
  .check(
    z.regex(
      NAME,
      'must be 1–40 lowercase letters, digits or hyphens, starting with a letter or digit, like shop or checkout-journey (it becomes part of metric dimensions and resource names)',
    ),
  );

export const headerNameSchema = z
  .string()
  .check(
    z.regex(
      HEADER_NAME,
      'must be an HTTP header name: letters, digits and - (no spaces or colons), like X-Served-By',
    ),
  );

/** Why each risky construct is refused and how to write the pattern instead. */
const REGEX_RISKS: Readonly<Record<RegexRisk, string>> = {
  'nested-repetition':
    'must not repeat a group that itself holds a repetition, like (a+)+ or (.*a){10}: on a long response such a pattern backtracks for minutes (catastrophic backtracking); repeat one character class instead, e.g. write (\\d+\\.)+ as [\\d.]+',
  'repeated-alternatives':
    'must not repeat a group of alternatives, like (a|b)* or (GET|POST)+: overlapping alternatives such as (a|a)* backtrack catastrophically; use a character class such as [ab]*, or write the alternatives out without repeating them',
  backreference:
    'must not use a backreference (\\1, \\k<name>): it makes matching time unbounded (catastrophic backtracking); match the text itself',
  lookaround:
    'must not use a lookahead or lookbehind ((?=, (?!, (?<=, (?<!): lbguard cannot bound how long they backtrack; match the text directly, or use bodyContains',
};

/**
 * A JavaScript regular expression (no flags) that compiles and cannot backtrack catastrophically
 * (lib/config/regex-safety.ts), within `LIMITS.patternChars`.
 */
export const regexSchema = z.string().check(
  maxChars('patternChars', 'match a shorter, distinctive part of the text'),
  z.superRefine((source, ctx) => {
    if (source.length > LIMITS.patternChars) return;
    try {
      new RegExp(source);
    } catch (error) {
      // The engine's message quotes the pattern; keep only the reason after the last colon.
      const reason = String(error).split(': ').pop();
      ctx.addIssue({
        code: 'custom',
        message: `must be a valid JavaScript regular expression (${reason}); escape literal characters such as ( [ . ? with a backslash`,
      });
      return;
    }
    const risk = findRegexRisk(source);
    if (risk !== undefined) ctx.addIssue({ code: 'custom', message: REGEX_RISKS[risk] });
  }),
);

export const httpUrlSchema = z.string().check(
  maxChars('urlChars', 'shorten the URL; long query strings belong in a request body'),
  z.superRefine((text, ctx) => {
    const url = parseUrl(text);
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an absolute http(s) URL like https://shop.example.com/health',
      });
    } else if (url.username !== '' || url.password !== '') {
      ctx.addIssue({
        code: 'custom',
        message: 'must not carry credentials (user:password@); send them in headers, e.g. Authorization',
      });
    }
  }),
);

export const httpsEndpointSchema = z.string().check(
  z.superRefine((text, ctx) => {
    const protocol = parseUrl(text)?.protocol;
    if (protocol === 'http:') {
      ctx.addIssue({
        code: 'custom',
        message:
          'must use https, not http: change http:// to https:// (notifications carry incident details and the URL may carry a token)',
      });
    } else if (protocol !== 'https:') {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an absolute https URL like https://hooks.example.com/lbguard',
      });
    }
  }),
);

const NOT_AN_ALB: readonly [RegExp, string][] = [
  [/:loadbalancer\/net\//, 'is a Network Load Balancer; only Application Load Balancers are supported'],
  [/:loadbalancer\/gwy\//, 'is a Gateway Load Balancer; only Application Load Balancers are supported'],
  [/:targetgroup\//, 'is a target group ARN; give the ARN of the load balancer (…:loadbalancer/app/…)'],
  [/:listener\//, 'is a listener ARN; put it in listenerArns and give the load balancer ARN here'],
];

export const loadBalancerArnSchema = z.string().check(
  z.superRefine((arn, ctx) => {
    if (ALB_ARN.test(arn)) return;
    const known = NOT_AN_ALB.find(([pattern]) => pattern.test(arn));
    ctx.addIssue({
      code: 'custom',
      message: known?.[1] ?? `must be an Application Load Balancer ARN like ${EXAMPLE_ALB_ARN}`,
    });
  }),
);

export const listenerArnSchema = z
  .string()
  .check(
    z.regex(LISTENER_ARN, `must be an Application Load Balancer listener ARN like ${EXAMPLE_LISTENER_ARN}`),
  );

export const headersSchema = withMaxEntries(
  z.record(
    headerNameSchema,
    // A credential: only where it lives (resolved by probe at run time, never stored).
    orSecretReference(
      z
        .string()
        .check(
          z.regex(SINGLE_LINE, 'must be a single line (no line breaks)'),
          maxChars('headerValueChars', 'send a shorter value'),
        ),
    ),
  ),
  'requestHeaders',
  'headers',
  'send only the headers the site needs to answer',
);

export const headerExpectationSchema = z
  .union([z.string(), strict({ matches: regexSchema })], {
    error: 'must be the exact value expected (a string) or { matches: <regular expression> }',
  })
  .check(
    z.superRefine((expected, ctx) => {
      if (typeof expected === 'string' && expected.length > LIMITS.expectationChars) {
        ctx.addIssue({
          code: 'custom',
          message: `must be at most ${LIMITS.expectationChars} characters (limit expectationChars); expect a shorter value, or { matches: <regular expression> } for its distinctive part`,
        });
      }
    }),
  );
