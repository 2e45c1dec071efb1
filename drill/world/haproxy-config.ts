import type {
  Action,
  Condition,
  FixedResponseAction,
  LbSnapshot,
  Listener,
  RedirectAction,
  Target,
  TargetGroup,
  TargetHealth,
} from '../../lib/types.ts';

// Renders an HAProxy 2.6 configuration that routes like the ALB described by an LbSnapshot.
// Pure: the sync loop (haproxy-sync.ts) decides when to write, check and reload it.
//
// ALB → HAProxy, and why each piece looks the way it does (DESIGN.md, "A local ALB data plane"):
// - listener → frontend with one `bind` on loopback;
// - rules → ordered `use_backend … if <acls>`, ALB priority order, default action last;
// - weighted forward → one random draw per request (`txn.r`, 0–999) looked up in a range map
//   per forward action (`map_int`), so weights change at run time with `prepare/add/commit map`
//   and HAProxy's 0–256 server weights never have to express ALB's 0–999;
// - target group → backend with real HTTP health checks (timings compressed by the clock),
//   each target twice: a checked server, and an unchecked `backup` copy with `option
//   allbackups`, which is ALB's fail-open when every target is unhealthy;
// - deregistered or stopped target → both copies in maintenance; no usable server → 503 via
//   `http-request return … if { nbsrv() eq 0 } !{ stopping }` (without `!{ stopping }` an old
//   worker reads nbsrv as 0 during a reload and answers false 503s);
// - fixed-response and redirect → their own backends, because `http-request return` in a
//   frontend would run before every `use_backend` and break rule priority;
// - `retries 0` and no per-server maxconn: ALB neither retries nor queues;
// - a refused connection answers 502 like ALB (HAProxy's own would be 503), via an errorfile.

/** Where a target is really listening on this machine. */
export interface ResolvedAddress {
  readonly host: string;
  readonly port: number;
}

export type ServerState = 'ready' | 'maint';

export interface HaproxyRenderInput {
  readonly snapshot: LbSnapshot;
  readonly health: readonly TargetHealth[];
  /** ALB listener port → loopback port to bind. Listeners without one are left out. */
  readonly listenerBinds: ReadonlyMap<number, number>;
  /**
   * Targets to declare per target group ARN: the registered ones plus any seen before, so a
   * deregistration is a run-time `state maint`, not a reload. Default: the registered ones.
   */
  readonly knownTargets?: ReadonlyMap<string, readonly Target[]>;
  /** Local address of a target; undefined for one the drill does not run (health checks fail). */
  readonly resolve: (group: TargetGroup, target: Target) => ResolvedAddress | undefined;
  /** Directory for sockets, maps and error files; must not contain whitespace. */
  readonly dir: string;
  /** ALB health-check seconds are divided by this (the clock's factor). Default 1. */
  readonly healthCheckScale?: number;
  /**
   * Floors for compressed health checks, ms. Defaults 200 and 250 (capped at the interval): a
   * busy two-core machine must not fail checks that a real target would pass.
   */
  readonly minCheckIntervalMs?: number;
  readonly minCheckTimeoutMs?: number;
  /** Admin state written into the config per `backend/server`; absent → `maint` (`disabled`). */
  readonly configStates?: ReadonlyMap<string, ServerState>;
  /** `timeout server`, ms: what the load balancer waits for a target. Default 10000. */
  readonly serverTimeoutMs?: number;
}

export interface RenderedServer {
  readonly backend: string;
  readonly name: string;
  /** `backend/name`, the runtime API's handle. */
  readonly key: string;
  readonly targetGroupArn: string;
  readonly targetId: string;
  readonly port?: number;
  readonly availabilityZone?: string;
  /** The unchecked fail-open copy. */
  readonly backup: boolean;
  /** Registered and not on a stopped instance → ready. */
  readonly desired: ServerState;
  readonly address: ResolvedAddress;
}

export type RenderedBackend =
  | { readonly name: string; readonly kind: 'target-group'; readonly targetGroupArn: string }
  | { readonly name: string; readonly kind: 'fixed-response'; readonly statusCode: string }
  | { readonly name: string; readonly kind: 'redirect' }
  | { readonly name: string; readonly kind: 'no-route' };

export interface RenderedFrontend {
  readonly name: string;
  readonly listenerArn: string;
  readonly listenerPort: number;
  readonly bindPort: number;
}

/** One line of a range map: `0:499 tg_web-a`. */
export interface MapEntry {
  readonly key: string;
  readonly value: string;
}

export interface HaproxyPlan {
  /** The configuration to write, with `disabled` per `configStates`. */
  readonly config: string;
  /** The configuration without admin states or weights: a change here needs a reload. */
  readonly structureKey: string;
  /** Map file path → entries (the weights). */
  readonly maps: ReadonlyMap<string, readonly MapEntry[]>;
  readonly servers: readonly RenderedServer[];
  readonly backends: readonly RenderedBackend[];
  readonly frontends: readonly RenderedFrontend[];
  readonly loadBalancerArn: string;
}

/** Backend that answers 503 when no rule or weight applies (e.g. every weight 0). */
export const NO_ROUTE_BACKEND = 'elb_no_route';
/** Buckets of the per-request random draw; ALB weights are integers 0–999. */
export const WEIGHT_BUCKETS = 1000;
/** An address nothing listens on: targets the drill does not run fail their health checks. */
export const UNRESOLVED_ADDRESS: ResolvedAddress = { host: '127.0.0.1', port: 1 };

const ELB_503_BODY =
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>';

/** Characters HAProxy accepts in proxy and server names. */
export function toHaproxyName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

/** Single-quotes a word for haproxy.cfg (no `$` expansion, no escapes inside). */
export function quoteWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Double-quotes a log-format string, escaping what haproxy.cfg would otherwise interpret. */
function quoteFormat(s: string): string {
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
    .filter(({ a }) => a.type !== 'authenticate-oidc' && a.type !== 'authenticate-cognito')
    .sort((x, y) => (x.a.order ?? x.i) - (y.a.order ?? y.i));
  return routing.at(-1)?.a;
}

function redirectLocation(r: RedirectAction, listener: Listener): { base: string; keepQuery: boolean } {
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

function backendTimeouts(scale: number, group: TargetGroup, input: HaproxyRenderInput): string[] {
  const hc = group.healthCheck;
  const inter = Math.max(
    input.minCheckIntervalMs ?? 200,
    Math.round(((hc.intervalSeconds ?? 30) * 1000) / scale),
  );
  const timeout = Math.min(
    inter,
    Math.max(input.minCheckTimeoutMs ?? 250, Math.round(((hc.timeoutSeconds ?? 5) * 1000) / scale)),
  );
  return [
    `  default-server inter ${inter} fastinter ${inter} downinter ${inter} rise ${hc.healthyThreshold ?? 5} fall ${hc.unhealthyThreshold ?? 2}`,
    `  timeout check ${timeout}`,
  ];
}

interface Rendered {
  readonly frontends: RenderedFrontend[];
  readonly backends: RenderedBackend[];
  readonly servers: RenderedServer[];
  readonly maps: Map<string, MapEntry[]>;
}

/**
 * Renders the HAProxy configuration for a snapshot. Deterministic: the same input renders
 * the same text, so the sync can compare structure keys to decide on a reload.
 */
export function renderHaproxy(input: HaproxyRenderInput): HaproxyPlan {
  if (/\s/.test(input.dir))
    throw new Error(`HAProxy work directory must not contain whitespace: ${input.dir}`);
  const withStates = render(input, true);
  const withoutStates = render(input, false);
  return {
    config: withStates.text,
    structureKey: withoutStates.text,
    maps: withStates.rendered.maps,
    servers: withStates.rendered.servers,
    backends: withStates.rendered.backends,
    frontends: withStates.rendered.frontends,
    loadBalancerArn: input.snapshot.loadBalancerArn,
  };
}

function render(input: HaproxyRenderInput, withStates: boolean): { text: string; rendered: Rendered } {
  const { snapshot, dir } = input;
  const scale = input.healthCheckScale ?? 1;
  const groupsByArn = new Map(snapshot.targetGroups.map((g) => [g.arn, g]));
  const tgBackend = (arn: string): string => {
    const g = groupsByArn.get(arn);
    return `tg_${toHaproxyName(g?.name ?? arn.split('/').at(-2) ?? arn)}`;
  };
  const rendered: Rendered = { frontends: [], backends: [], servers: [], maps: new Map() };
  const extraBackends: string[] = [];

  const lines: string[] = [
    '# Generated by lbguard drill (drill/world/haproxy-config.ts) from the emulated ELBv2 state.',
    'global',
    '  maxconn 4096',
    `  stats socket ${dir}/admin.sock mode 600 level admin expose-fd listeners`,
    `  server-state-file ${dir}/server-state`,
    '  hard-stop-after 10s',
    '',
    'defaults',
    '  mode http',
    '  option forwardfor',
    '  timeout connect 2s',
    '  timeout client 60s',
    `  timeout server ${input.serverTimeoutMs ?? 10_000}`,
    '  timeout http-request 10s',
    '  timeout http-keep-alive 60s',
    '  retries 0',
    '  load-server-state-from-file global',
    '',
  ];

  // Frontends, one per listener, rules in priority order, default action last.
  const listeners = [...snapshot.listeners].sort((a, b) => a.port - b.port);
  for (const listener of listeners) {
    const bindPort = input.listenerBinds.get(listener.port);
    if (bindPort === undefined) continue;
    const name = `listener_${listener.port}`;
    rendered.frontends.push({ name, listenerArn: listener.arn, listenerPort: listener.port, bindPort });
    lines.push(
      `frontend ${name}`,
      `  bind 127.0.0.1:${bindPort}`,
      '  http-request set-var(txn.r) rand(1000)',
    );
    const routes = [
      ...[...listener.rules]
        .sort((a, b) => a.priority - b.priority)
        .map((r) => ({ id: String(r.priority), conditions: r.conditions, actions: r.actions })),
      { id: 'default', conditions: [] as readonly Condition[], actions: listener.defaultActions },
    ];
    for (const route of routes) {
      const acls = route.conditions.map((c, i) => {
        const acl = `rule_${route.id}_${i}`;
        lines.push(`  acl ${acl} ${conditionCriterion(c)}`);
        return acl;
      });
      const when = acls.length > 0 ? ` if ${acls.join(' ')}` : '';
      const action = terminalAction(route.actions);
      const target = routeTarget(action, listener, route.id, input, tgBackend, rendered, extraBackends);
      lines.push(`  use_backend ${target}${when}`);
    }
    lines.push(`  default_backend ${NO_ROUTE_BACKEND}`, '');
  }

  // One backend per target group the listeners can reach.
  for (const group of [...snapshot.targetGroups].sort((a, b) => a.name.localeCompare(b.name))) {
    const name = tgBackend(group.arn);
    rendered.backends.push({ name, kind: 'target-group', targetGroupArn: group.arn });
    lines.push(`backend ${name}`);
    if (group.targetType === 'lambda' || group.targetType === 'alb') {
      // The drill cannot run a Lambda function or a chained ALB; say so instead of pretending.
      lines.push(
        `  http-request return status 502 content-type text/plain string ${quoteWord(`${group.targetType} targets are not emulated by the drill`)}`,
        '',
      );
      continue;
    }
    const hc = group.healthCheck;
    lines.push(
      '  balance roundrobin',
      '  option allbackups',
      `  option httpchk GET ${quoteWord(hc.path ?? '/')}`,
      `  http-check expect rstatus ${quoteWord(matcherToRegex(hc.matcher ?? '200'))}`,
      ...backendTimeouts(scale, group, input),
      `  errorfile 503 ${dir}/errors/502.http`,
      `  http-request return status 503 content-type text/html string ${quoteWord(ELB_503_BODY)} if { nbsrv() eq 0 } !{ stopping }`,
    );
    const registered = new Map(group.targets.map((t) => [targetKeyOf(t), t]));
    const known = new Map(registered);
    for (const t of input.knownTargets?.get(group.arn) ?? [])
      if (!known.has(targetKeyOf(t))) known.set(targetKeyOf(t), t);
    const stopped = new Set(
      input.health
        .filter(
          (h) => h.targetGroupArn === group.arn && h.state === 'unused' && h.reason === 'Target.InvalidState',
        )
        .map((h) => targetKeyOf({ id: h.targetId, ...(h.port === undefined ? {} : { port: h.port }) })),
    );
    const serverLines: string[] = [];
    const backupLines: string[] = [];
    for (const [key, t] of [...known].sort(([a], [b]) => a.localeCompare(b))) {
      const address = input.resolve(group, t) ?? UNRESOLVED_ADDRESS;
      const desired: ServerState = registered.has(key) && !stopped.has(key) ? 'ready' : 'maint';
      const base = toHaproxyName(`${t.id}_${t.port ?? group.port ?? 0}`);
      for (const backup of [false, true]) {
        const server = `${backup ? 'fo' : 't'}_${base}`;
        const serverKey = `${name}/${server}`;
        rendered.servers.push({
          backend: name,
          name: server,
          key: serverKey,
          targetGroupArn: group.arn,
          targetId: t.id,
          ...(t.port === undefined ? {} : { port: t.port }),
          ...(t.availabilityZone === undefined ? {} : { availabilityZone: t.availabilityZone }),
          backup,
          desired,
          address,
        });
        const state =
          withStates && (input.configStates?.get(serverKey) ?? 'maint') === 'maint' ? ' disabled' : '';
        const line = `  server ${server} ${address.host}:${address.port}${backup ? ' backup' : ' check'}${state}`;
        (backup ? backupLines : serverLines).push(line);
      }
    }
    lines.push(...serverLines, ...backupLines, '');
  }

  lines.push(...extraBackends);
  lines.push(
    `backend ${NO_ROUTE_BACKEND}`,
    `  http-request return status 503 content-type text/html string ${quoteWord(ELB_503_BODY)}`,
    '',
  );
  rendered.backends.push({ name: NO_ROUTE_BACKEND, kind: 'no-route' });
  return { text: lines.join('\n'), rendered };
}

function targetKeyOf(t: { readonly id: string; readonly port?: number }): string {
  return t.port === undefined ? t.id : `${t.id}:${t.port}`;
}

function routeTarget(
  action: Action | undefined,
  listener: Listener,
  routeId: string,
  input: HaproxyRenderInput,
  tgBackend: (arn: string) => string,
  rendered: Rendered,
  extra: string[],
): string {
  if (action === undefined) return NO_ROUTE_BACKEND;
  switch (action.type) {
    case 'forward': {
      const path = `${input.dir}/maps/forward_${listener.port}_${routeId}.map`;
      rendered.maps.set(
        path,
        weightRanges(
          action.targetGroups.map((tg) => ({ backend: tgBackend(tg.targetGroupArn), weight: tg.weight })),
        ),
      );
      return `%[var(txn.r),map_int(${path},${NO_ROUTE_BACKEND})]`;
    }
    case 'fixed-response': {
      const name = `fixed_${listener.port}_${routeId}`;
      rendered.backends.push({ name, kind: 'fixed-response', statusCode: action.statusCode });
      extra.push(`backend ${name}`, fixedResponseLine(action), '');
      return name;
    }
    case 'redirect': {
      const name = `redirect_${listener.port}_${routeId}`;
      rendered.backends.push({ name, kind: 'redirect' });
      const { base, keepQuery } = redirectLocation(action, listener);
      const code = action.statusCode === 'HTTP_301' ? 301 : 302;
      extra.push(`backend ${name}`);
      if (keepQuery) {
        extra.push(
          `  http-request redirect location ${quoteFormat(`${base}?%[query]`)} code ${code} if { query -m len gt 0 }`,
        );
      }
      const fixedQuery =
        keepQuery || action.query === undefined || action.query === '' ? '' : `?${action.query}`;
      extra.push(`  http-request redirect location ${quoteFormat(`${base}${fixedQuery}`)} code ${code}`, '');
      return name;
    }
    case 'authenticate-oidc':
    case 'authenticate-cognito':
      return NO_ROUTE_BACKEND;
  }
}

function fixedResponseLine(action: FixedResponseAction): string {
  const status = Number.parseInt(action.statusCode, 10);
  const contentType = action.contentType ?? 'text/plain';
  const body =
    action.messageBody === undefined || action.messageBody === ''
      ? ''
      : ` string ${quoteWord(action.messageBody)}`;
  return `  http-request return status ${Number.isNaN(status) ? 503 : status} content-type ${quoteWord(contentType)}${body}`;
}

/** The 502 HAProxy sends when a target refuses the connection, as ALB does. */
export const BAD_GATEWAY_ERRORFILE = [
  'HTTP/1.1 502 Bad Gateway',
  'content-type: text/html',
  'cache-control: no-cache',
  'connection: close',
  '',
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
  '',
].join('\r\n');

/** A map file's text. */
export function renderMapFile(entries: readonly MapEntry[]): string {
  return entries.map((e) => `${e.key} ${e.value}\n`).join('');
}
