/**
 * LB snapshots in canonical form (DESIGN.md "LB snapshot"): one order for everything the ELBv2
 * API may return in any order, so that two snapshots of the same routing compare and hash equal.
 */
import { createHash } from 'node:crypto';
import type {
  Action,
  Condition,
  LbSnapshot,
  Listener,
  Rule,
  RuleTransform,
  Target,
  TargetGroup,
} from './types.ts';
import { targetKey } from './types.ts';

/**
 * Put a snapshot in canonical order: listeners by port then ARN, rules by priority, conditions by
 * field and header name with their values sorted, forward target groups by ARN, target groups by
 * ARN, targets by id then port. Actions keep ALB's execution order (`order`, else position),
 * because that order is routing. Nothing that affects routing is dropped.
 */
export function normaliseSnapshot(s: LbSnapshot): LbSnapshot {
  return {
    loadBalancerArn: s.loadBalancerArn,
    listeners: [...s.listeners]
      .map(normaliseListener)
      .sort((a, b) => a.port - b.port || compare(a.arn, b.arn)),
    targetGroups: [...s.targetGroups].map(normaliseTargetGroup).sort((a, b) => compare(a.arn, b.arn)),
  };
}

function normaliseListener(l: Listener): Listener {
  return {
    ...l,
    defaultActions: normaliseActions(l.defaultActions),
    rules: l.rules.map(normaliseRule).sort((a, b) => a.priority - b.priority || compare(a.arn, b.arn)),
  };
}

function normaliseRule(r: Rule): Rule {
  return {
    ...r,
    conditions: normaliseConditions(r.conditions),
    actions: normaliseActions(r.actions),
    // ALB allows one transform of each type, so sorting by type loses nothing.
    ...(r.transforms === undefined
      ? {}
      : { transforms: [...r.transforms].sort((a, b) => compare(a.type, b.type)) }),
  };
}

/** Conditions of a rule are ANDed and the values of one condition ORed, so neither order matters. */
export function normaliseConditions(conditions: readonly Condition[]): Condition[] {
  return conditions
    .map((c) => ({
      ...c,
      values: [...c.values].sort(compare),
      ...(c.regexValues === undefined ? {} : { regexValues: [...c.regexValues].sort(compare) }),
    }))
    .sort((a, b) => compare(conditionSortKey(a), conditionSortKey(b)));
}

function conditionSortKey(c: Condition): string {
  return JSON.stringify([c.field, c.headerName?.toLowerCase() ?? '', c.values, c.regexValues ?? []]);
}

/** ALB runs actions by ascending `order`; without one, the API's position is the order. */
export function normaliseActions(actions: readonly Action[]): Action[] {
  return actions
    .map((action, index) => ({ action: normaliseAction(action), rank: action.order ?? index }))
    .sort((a, b) => a.rank - b.rank)
    .map((a) => a.action);
}

function normaliseAction(a: Action): Action {
  if (a.type !== 'forward') return a;
  return {
    ...a,
    targetGroups: [...a.targetGroups].sort((x, y) => compare(x.targetGroupArn, y.targetGroupArn)),
  };
}

/** A target group in canonical order (targets sorted), as `normaliseSnapshot` leaves it. */
export function normaliseTargetGroup(g: TargetGroup): TargetGroup {
  return { ...g, targets: [...g.targets].sort(compareTargets) };
}

/** Targets by id, then port; a port-less (lambda) target sorts before any port of the same id. */
export function compareTargets(a: Target, b: Target): number {
  return compare(a.id, b.id) || (a.port ?? -1) - (b.port ?? -1);
}

/** Code-unit order: the same in every locale, unlike `localeCompare`. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Content hash of a snapshot: sha256 (hex) of the canonical JSON of its normalised form. Stable
 * under any order the API returns things in; changes with any routing field.
 */
export function hashSnapshot(s: LbSnapshot): string {
  return sha256(canonicalJson(normaliseSnapshot(s)));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * JSON with object keys sorted and `undefined` properties left out, so that equal values always
 * serialise to the same text. Arrays keep their order (order inside arrays is the caller's
 * business: normalise first). `undefined`, functions and symbols read as `null` where JSON would
 * have to write something (array slots, the top level); non-finite numbers too, as in JSON.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number'
      ? JSON.stringify(value)
      : typeof value === 'bigint'
        ? value.toString()
        : 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol')
    .sort(([a], [b]) => compare(a, b))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
  return `{${entries.join(',')}}`;
}

/**
 * A readable name for a target group: its name in the snapshot, else the name inside its ARN
 * (`…:targetgroup/web-a/0123` → `web-a`), else the ARN's last segment.
 */
export function groupName(snapshot: LbSnapshot, targetGroupArn: string): string {
  const named = snapshot.targetGroups.find((g) => g.arn === targetGroupArn)?.name;
  if (named !== undefined && named !== '') return named;
  return nameFromArn(targetGroupArn);
}

function nameFromArn(arn: string): string {
  const inArn = /:targetgroup\/([^/]+)\//.exec(arn)?.[1];
  return inArn ?? arn.slice(Math.max(arn.lastIndexOf('/'), arn.lastIndexOf(':')) + 1);
}

/** Resolves a target group ARN to a readable name, trying each snapshot in turn. */
export type GroupNamer = (targetGroupArn: string) => string;

/** A namer that prefers `first` and falls back to `others` (e.g. current, then last known good). */
export function groupNamer(first: LbSnapshot, ...others: readonly LbSnapshot[]): GroupNamer {
  const names = new Map<string, string>();
  for (const snapshot of [...others].reverse().concat(first)) {
    for (const g of snapshot.targetGroups) if (g.name !== '') names.set(g.arn, g.name);
  }
  return (arn) => names.get(arn) ?? nameFromArn(arn);
}

/** `forward web-a/web-b 50/50`, `fixed-response 503`, `authenticate-oidc + forward web-a`. */
export function describeActions(actions: readonly Action[], name: GroupNamer): string {
  if (actions.length === 0) return 'no action';
  return normaliseActions(actions)
    .map((a) => describeAction(a, name))
    .join(' + ');
}

function describeAction(a: Action, name: GroupNamer): string {
  switch (a.type) {
    case 'forward': {
      const groups = a.targetGroups.map((g) => name(g.targetGroupArn)).join('/');
      if (a.targetGroups.length === 1) return `forward ${groups}`;
      return `forward ${groups} ${a.targetGroups.map((g) => g.weight).join('/')}`;
    }
    case 'fixed-response':
      return `fixed-response ${a.statusCode}`;
    case 'redirect': {
      const parts = (['protocol', 'host', 'port', 'path', 'query'] as const).flatMap((k) =>
        a[k] === undefined ? [] : [`${k} ${a[k]}`],
      );
      return `redirect ${a.statusCode.replace('HTTP_', '')}${parts.length === 0 ? '' : ` (${parts.join(', ')})`}`;
    }
    case 'authenticate-oidc':
    case 'authenticate-cognito':
      return a.type;
    case 'jwt-validation':
      return `jwt-validation (issuer ${String(a.config.Issuer)})`;
  }
}

/** `url-rewrite ^/old/(.*)$ → /new/$1`; `none` for no transforms. */
export function describeTransforms(transforms: readonly RuleTransform[] | undefined): string {
  if (transforms === undefined || transforms.length === 0) return 'none';
  return transforms
    .map((t) => `${t.type} ${t.rewrites.map((w) => `${w.regex} → ${w.replace}`).join(', ')}`)
    .join('; ');
}

/** `path /checkout/* and host shop.example.com`; empty for no conditions. */
export function describeConditions(conditions: readonly Condition[]): string {
  return normaliseConditions(conditions).map(describeCondition).join(' and ');
}

/** One condition as people read it: `host shop.example.com`, `path /checkout/*`. */
export function describeCondition(c: Condition): string {
  const values = [...c.values, ...(c.regexValues ?? []).map((r) => `~${r}`)].join(' or ');
  switch (c.field) {
    case 'host-header':
      return `host ${values}`;
    case 'path-pattern':
      return `path ${values}`;
    case 'http-header':
      return `header ${c.headerName ?? '?'}: ${values}`;
    case 'http-request-method':
      return `method ${values}`;
    case 'query-string':
      return `query ${values}`;
    case 'source-ip':
      return `source-ip ${values}`;
  }
}

/** `listener :443`, as routing.ts's `describeRoute` words it. */
export function describeListener(listener: Pick<Listener, 'port'>): string {
  return `listener :${listener.port}`;
}

/** `rule 10 (path /checkout/*)`, as routing.ts's `describeRoute` words it. */
export function describeRule(rule: Pick<Rule, 'priority' | 'conditions'>): string {
  const conditions = describeConditions(rule.conditions);
  return conditions === '' ? `rule ${rule.priority}` : `rule ${rule.priority} (${conditions})`;
}

/** `i-0b:80, i-0c:80`. */
export function describeTargets(targets: readonly Target[]): string {
  return [...targets].sort(compareTargets).map(targetKey).join(', ');
}
