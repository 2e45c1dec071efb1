import type { Action, Condition, FixedResponseAction, Listener, RedirectAction } from '../../lib/types.ts';
import { type MapEntry, WEIGHT_BUCKETS } from './haproxy-plan.ts';

// ALB's routing terms in HAProxy's words: names and quoting, wildcard patterns and health-check
// matchers as regexes, conditions as ACL criteria, weights as ranges of a per-request draw,
// which action routes, and the lines for redirects and fixed responses. Pure and line-sized:
// haproxy-config.ts assembles them into a configuration.

/** Characters HAProxy accepts in proxy and server names. */
export function toHaproxyName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

/** Single-quotes a word for haproxy.cfg (no `$` expansion, no escapes inside). */
export function quoteWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Double-quotes a log-format string, escaping what haproxy.cfg would otherwise interpret. */
export function quoteFormat(s: string): string {
  return `"${s.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

function escapeRegex(s: string): string {
  return s.replace(/[.+^$()[\]{}|\\]/g, (c) => `\\${c}`).replace(/'/g, '\\x27');
}

/**
 * An ALB wildcard pattern (`*` any run, `?` one character) as an anchored-free regex body;
 * `any` is what `*` may span (`.` for paths and hosts, `[^&]` inside a query parameter).
 */
export function wildcardToRegex(pattern: string, any = '.'): string {
  return pattern
    .split('')
    .map((c) => (c === '*' ? `${any}*` : c === '?' ? any : escapeRegex(c)))
    .join('');
}

/** An ALB health-check matcher ("200", "200-299", "200,302") as an anchored status regex. */
export function matcherToRegex(matcher: string): string {
  const codes = new Set<number>();
  for (const part of matcher.split(',')) {
    const [lo, hi] = part
      .trim()
      .split('-')
      .map((p) => Number.parseInt(p, 10));
    if (lo === undefined || Number.isNaN(lo)) continue;
    const top = hi === undefined || Number.isNaN(hi) ? lo : hi;
    for (let c = lo; c <= top && c < 600; c++) codes.add(c);
  }
  if (codes.size === 0) codes.add(200);
  return `^(${[...codes].sort((a, b) => a - b).join('|')})$`;
}

/**
 * Splits WEIGHT_BUCKETS draws among weighted backends in proportion to their weights.
 * Weight 0 gets no range; all weights 0 → no entries (the map's default answers 503).
 */
export function weightRanges(
  weighted: readonly { readonly backend: string; readonly weight: number }[],
  buckets = WEIGHT_BUCKETS,
): MapEntry[] {
  const total = weighted.reduce((a, w) => a + Math.max(0, w.weight), 0);
  if (total <= 0) return [];
  const out: MapEntry[] = [];
  let cumulative = 0;
  let start = 0;
  for (const w of weighted) {
    cumulative += Math.max(0, w.weight);
    const end = Math.round((buckets * cumulative) / total);
    if (end > start) out.push({ key: `${start}:${end - 1}`, value: w.backend });
    start = end;
  }
  return out;
}

/** ACL criteria (ANDed within one condition's OR-list) for one ALB condition. */
export function conditionCriterion(c: Condition): string {
  const values = c.values.length > 0 ? c.values : [''];
  switch (c.field) {
    case 'path-pattern':
      // Case-sensitive, on the path only, as ALB.
      return `path -m reg ${values.map((v) => quoteWord(`^${wildcardToRegex(v)}$`)).join(' ')}`;
    case 'host-header':
      return `req.hdr(host) -m reg -i ${values.map((v) => quoteWord(`^${wildcardToRegex(v)}(:[0-9]+)?$`)).join(' ')}`;
    case 'http-header':
      return `req.hdr(${toHaproxyName(c.headerName ?? 'x')}) -m reg -i ${values
        .map((v) => quoteWord(`^${wildcardToRegex(v)}$`))
        .join(' ')}`;
    case 'http-request-method':
      return `method ${values.map(quoteWord).join(' ')}`;
    case 'query-string':
      return `query -m reg -i ${values
        .map((kv) => {
          const eq = kv.indexOf('=');
          const key = eq < 0 ? '' : kv.slice(0, eq);
          const value = eq < 0 ? kv : kv.slice(eq + 1);
          const keyPart = key === '' ? '([^=&]*=)?' : `${wildcardToRegex(key, '[^&=]')}=`;
          return quoteWord(`(^|&)${keyPart}${wildcardToRegex(value, '[^&]')}(&|$)`);
        })
        .join(' ')}`;
    case 'source-ip':
      return `src ${values.join(' ')}`;
  }
}

/** The action that decides where a request goes: the last non-authenticate one by order. */
export function terminalAction(actions: readonly Action[]): Action | undefined {
  const routing = actions
    .map((a, i) => ({ a, i }))
    .filter(
      ({ a }) =>
        a.type !== 'authenticate-oidc' && a.type !== 'authenticate-cognito' && a.type !== 'jwt-validation',
    )
    .sort((x, y) => (x.a.order ?? x.i) - (y.a.order ?? y.i));
  return routing.at(-1)?.a;
}

/** Where an ALB redirect sends a request, as an HAProxy log-format base and whether the query is kept. */
export function redirectLocation(
  r: RedirectAction,
  listener: Listener,
): { base: string; keepQuery: boolean } {
  const protocol = (r.protocol ?? '#{protocol}').replace('#{protocol}', listener.protocol.toLowerCase());
  const host = (r.host ?? '#{host}').replace('#{host}', '%[req.hdr(host),field(1,:)]');
  const port = (r.port ?? '#{port}').replace('#{port}', String(listener.port));
  const path = (r.path ?? '/#{path}').replace('#{path}', '%[path,regsub(^/,)]');
  const query = r.query ?? '#{query}';
  return {
    base: `${protocol.toLowerCase()}://${host}:${port}${path}`,
    keepQuery: query === '#{query}',
  };
}

/** The `http-request return` line of a fixed-response action. */
export function fixedResponseLine(action: FixedResponseAction): string {
  const status = Number.parseInt(action.statusCode, 10);
  const contentType = action.contentType ?? 'text/plain';
  const body =
    action.messageBody === undefined || action.messageBody === ''
      ? ''
      : ` string ${quoteWord(action.messageBody)}`;
  return `  http-request return status ${Number.isNaN(status) ? 503 : status} content-type ${quoteWord(contentType)}${body}`;
}
