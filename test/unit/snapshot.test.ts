import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/random.ts';
import {
  canonicalJson,
  compareTargets,
  describeActions,
  describeConditions,
  describeRule,
  describeTargets,
  groupName,
  groupNamer,
  hashSnapshot,
  normaliseSnapshot,
} from '../../lib/snapshot.ts';
import type { Action, LbSnapshot, TargetGroup } from '../../lib/types.ts';
import {
  arbSnapshot,
  authenticateOidc,
  fixedResponse,
  forward,
  header,
  host,
  listener,
  outageLastGood,
  path,
  redirectToHttps,
  rule,
  shopTopology,
  snapshot,
  targetGroup,
  tgArn,
} from './fixtures/topologies.ts';

/**
 * Every array shuffled and every object's keys reversed, recursively: what an API is free to do.
 * Actions without `order` keep their places, because there position is ALB's execution order.
 */
function shuffleDeep<T>(value: T, random: () => number): T {
  if (Array.isArray(value)) {
    const items = value.map((v) => shuffleDeep(v, random));
    const ordered = items.every((v) => typeof v === 'object' && v !== null && 'type' in v && !('order' in v));
    if (ordered && items.length > 1) return items as T;
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items as T;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, shuffleDeep(v, random)]),
    ) as T;
  }
  return value;
}

const webA = targetGroup('web-a', ['i-0b:80', 'i-0a:80', 'i-0a:8080']);
const webB = targetGroup('web-b', ['10.0.0.9:31337', '10.0.0.10:9001'], { targetType: 'ip' });

describe('normaliseSnapshot', () => {
  const messy = snapshot(
    [
      listener(
        443,
        [forward([webB, 1], [webA, 3])],
        [
          rule(443, 20, [path('/b/*', '/a/*'), host('z.example.com', 'a.example.com')], [forward([webA, 1])]),
          rule(443, 10, [header('X-Env', 'on'), path('/c/*')], [fixedResponse()]),
        ],
      ),
      listener(80, [redirectToHttps()]),
    ],
    [webB, webA],
  );
  const tidy = normaliseSnapshot(messy);

  it.each([
    ['listeners by port', tidy.listeners.map((l) => l.port), [80, 443]],
    ['rules by priority', tidy.listeners[1]?.rules.map((r) => r.priority), [10, 20]],
    ['target groups by ARN', tidy.targetGroups.map((g) => g.arn), [webA.arn, webB.arn].sort()],
    [
      'targets by id then port',
      tidy.targetGroups.find((g) => g.name === 'web-a')?.targets.map((t) => `${t.id}:${t.port}`),
      ['i-0a:80', 'i-0a:8080', 'i-0b:80'],
    ],
    [
      'forward target groups by ARN',
      tidy.listeners[1]?.defaultActions.flatMap((a) => (a.type === 'forward' ? a.targetGroups : [])),
      [
        { targetGroupArn: webA.arn, weight: 3 },
        { targetGroupArn: webB.arn, weight: 1 },
      ].sort((x, y) => (x.targetGroupArn < y.targetGroupArn ? -1 : 1)),
    ],
    [
      'conditions by field with their values sorted',
      tidy.listeners[1]?.rules[1]?.conditions,
      [host('a.example.com', 'z.example.com'), path('/a/*', '/b/*')],
    ],
    [
      'http-header before path-pattern',
      tidy.listeners[1]?.rules[0]?.conditions.map((c) => c.field),
      ['http-header', 'path-pattern'],
    ],
  ])('puts %s in canonical order', (_what, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('orders listeners on the same port by ARN', () => {
    const a = { ...listener(80, [fixedResponse()]), arn: 'arn:b' };
    const b = { ...listener(80, [fixedResponse()]), arn: 'arn:a' };
    expect(normaliseSnapshot(snapshot([a, b], [])).listeners.map((l) => l.arn)).toEqual(['arn:a', 'arn:b']);
  });

  it('orders rules with equal priorities by ARN so that even an invalid snapshot hashes stably', () => {
    const r1 = { ...rule(80, 5, [path('/x')], [fixedResponse()]), arn: 'arn:r2' };
    const r2 = { ...rule(80, 5, [path('/y')], [fixedResponse()]), arn: 'arn:r1' };
    const l = listener(80, [fixedResponse()], [r1, r2]);
    expect(normaliseSnapshot(snapshot([l], [])).listeners[0]?.rules.map((r) => r.arn)).toEqual([
      'arn:r1',
      'arn:r2',
    ]);
  });

  it('orders actions by their order field, since that is the order ALB runs them in', () => {
    const actions: Action[] = [{ ...forward([webA, 1]), order: 2 }, authenticateOidc(1)];
    const l = listener(80, actions);
    expect(normaliseSnapshot(snapshot([l], [webA])).listeners[0]?.defaultActions.map((a) => a.type)).toEqual([
      'authenticate-oidc',
      'forward',
    ]);
  });

  it('keeps the position of actions that carry no order field', () => {
    const actions: Action[] = [{ type: 'authenticate-cognito', config: {} }, forward([webA, 1])];
    const l = listener(80, actions);
    expect(normaliseSnapshot(snapshot([l], [webA])).listeners[0]?.defaultActions).toEqual(actions);
  });

  it('drops nothing: every field of the shop topology survives', () => {
    const shop = shopTopology();
    const count = (s: LbSnapshot) => canonicalJson(s).length;
    expect(count(normaliseSnapshot(shop))).toBe(count(shop));
  });

  it('is idempotent for any snapshot', () => {
    fc.assert(
      fc.property(arbSnapshot(), (s) => {
        const once = normaliseSnapshot(s);
        expect(normaliseSnapshot(once)).toEqual(once);
      }),
    );
  });
});

describe('hashSnapshot', () => {
  it('is a sha256 hex digest', () => {
    expect(hashSnapshot(outageLastGood())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same under any order the API returns arrays and keys in', () => {
    fc.assert(
      fc.property(arbSnapshot(), fc.integer(), (s, seed) => {
        expect(hashSnapshot(shuffleDeep(s, seededRandom(seed)))).toBe(hashSnapshot(s));
      }),
    );
  });

  const mutations: readonly [string, (s: LbSnapshot) => LbSnapshot | undefined][] = [
    [
      'a forward weight',
      (s) =>
        mapFirstForward(s, (f) => ({
          ...f,
          targetGroups: f.targetGroups.map((g, i) => (i === 0 ? { ...g, weight: g.weight + 1 } : g)),
        })),
    ],
    [
      'a listener port',
      (s) => ({ ...s, listeners: s.listeners.map((l, i) => (i === 0 ? { ...l, port: l.port + 1 } : l)) }),
    ],
    ['a rule priority', (s) => mapFirstRule(s, (r) => ({ ...r, priority: r.priority + 100_000 }))],
    [
      'a condition value',
      (s) => mapFirstRule(s, (r) => ({ ...r, conditions: [...r.conditions, path('/changed/*')] })),
    ],
    ['a rule action', (s) => mapFirstRule(s, (r) => ({ ...r, actions: [fixedResponse('418')] }))],
    [
      'a target port',
      (s) =>
        mapFirstGroup(s, (g) =>
          g.targets.length > 0
            ? { ...g, targets: g.targets.map((t) => ({ ...t, port: (t.port ?? 0) + 1 })) }
            : undefined,
        ),
    ],
    [
      'a removed target',
      (s) =>
        mapFirstGroup(s, (g) => (g.targets.length > 0 ? { ...g, targets: g.targets.slice(1) } : undefined)),
    ],
    [
      'a health check path',
      (s) => mapFirstGroup(s, (g) => ({ ...g, healthCheck: { ...g.healthCheck, path: '/other' } })),
    ],
    [
      'the default action',
      (s) => ({
        ...s,
        listeners: s.listeners.map((l, i) =>
          i === 0 ? { ...l, defaultActions: [fixedResponse('599')] } : l,
        ),
      }),
    ],
  ];

  it.each(mutations)('changes when %s changes', (_what, mutate) => {
    fc.assert(
      fc.property(arbSnapshot(), (s) => {
        const changed = mutate(s);
        fc.pre(
          changed !== undefined &&
            canonicalJson(normaliseSnapshot(changed)) !== canonicalJson(normaliseSnapshot(s)),
        );
        expect(hashSnapshot(changed as LbSnapshot)).not.toBe(hashSnapshot(s));
      }),
      { numRuns: 50 },
    );
  });
});

function mapFirstForward(
  s: LbSnapshot,
  change: (f: Extract<Action, { type: 'forward' }>) => Action,
): LbSnapshot | undefined {
  let done = false;
  const listeners = s.listeners.map((l) => ({
    ...l,
    defaultActions: l.defaultActions.map((a) => {
      if (done || a.type !== 'forward') return a;
      done = true;
      return change(a);
    }),
  }));
  return done ? { ...s, listeners } : undefined;
}

function mapFirstRule(
  s: LbSnapshot,
  change: (r: LbSnapshot['listeners'][number]['rules'][number]) => typeof r,
) {
  const index = s.listeners.findIndex((l) => l.rules.length > 0);
  if (index < 0) return undefined;
  return {
    ...s,
    listeners: s.listeners.map((l, i) =>
      i === index ? { ...l, rules: l.rules.map((r, j) => (j === 0 ? change(r) : r)) } : l,
    ),
  };
}

function mapFirstGroup(
  s: LbSnapshot,
  change: (g: TargetGroup) => TargetGroup | undefined,
): LbSnapshot | undefined {
  const [first, ...rest] = s.targetGroups;
  if (first === undefined) return undefined;
  const changed = change(first);
  return changed === undefined ? undefined : { ...s, targetGroups: [changed, ...rest] };
}

describe('canonicalJson', () => {
  it.each<[string, unknown, string]>([
    ['sorts object keys', { b: 1, a: { d: 2, c: 3 } }, '{"a":{"c":3,"d":2},"b":1}'],
    ['leaves undefined properties out', { a: undefined, b: 1 }, '{"b":1}'],
    ['leaves functions and symbols out of objects', { f: () => 1, s: Symbol('x'), b: true }, '{"b":true}'],
    ['keeps array order', [3, 1, 2], '[3,1,2]'],
    ['writes null for undefined in arrays, as JSON does', [undefined, null], '[null,null]'],
    ['writes null at the top level for undefined', undefined, 'null'],
    ['writes non-finite numbers as null', [Number.NaN, Number.POSITIVE_INFINITY], '[null,null]'],
    ['escapes strings as JSON', 'a "b"\n', '"a \\"b\\"\\n"'],
    ['writes big integers as digits', 12345678901234567890n, '12345678901234567890'],
    ['writes an empty object', {}, '{}'],
  ])('%s', (_what, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('agrees with JSON.parse for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });
});

describe('groupName', () => {
  const snap = snapshot([], [webA, { ...webB, name: '' }]);

  it.each([
    ['the name recorded in the snapshot', webA.arn, 'web-a'],
    ['the name inside the ARN when the snapshot has none', webB.arn, 'web-b'],
    ['the name inside the ARN for a group not in the snapshot', tgArn('gone'), 'gone'],
    ['the last segment of anything else', 'arn:aws:something:else/thing', 'thing'],
    ['the last colon segment of an ARN without slashes', 'arn:aws:something:else', 'else'],
  ])('reads %s', (_what, arn, expected) => {
    expect(groupName(snap, arn)).toBe(expected);
  });

  it('prefers the first snapshot given to a namer, then the others', () => {
    const renamed = snapshot([], [{ ...webA, name: 'web-a-now' }]);
    const name = groupNamer(renamed, snapshot([], [webA, webB]));
    const unnamed = snapshot([], [{ ...targetGroup('web-z', []), name: '' }]);
    expect(groupNamer(unnamed)(tgArn('web-z'))).toBe('web-z');
    expect([name(webA.arn), name(webB.arn), name(tgArn('other'))]).toEqual(['web-a-now', 'web-b', 'other']);
  });
});

describe('wording', () => {
  const name = groupNamer(snapshot([], [webA, webB]));

  it.each<[string, Action[], string]>([
    ['a single-group forward', [forward([webA, 1])], 'forward web-a'],
    ['a weighted forward', [forward([webA, 50], [webB, 50])], 'forward web-a/web-b 50/50'],
    [
      'a three-way forward',
      [forward([webA, 1], [webB, 1], [tgArn('web-c'), 2])],
      'forward web-a/web-b/web-c 1/1/2',
    ],
    ['a fixed response', [fixedResponse('503')], 'fixed-response 503'],
    ['a redirect', [redirectToHttps()], 'redirect 301 (protocol HTTPS, port 443)'],
    ['a bare redirect', [{ type: 'redirect', statusCode: 'HTTP_302' }], 'redirect 302'],
    [
      'authentication before forwarding',
      [authenticateOidc(1), { ...forward([webA, 1]), order: 2 }],
      'authenticate-oidc + forward web-a',
    ],
    ['no action', [], 'no action'],
  ])('describes %s', (_what, actions, expected) => {
    expect(describeActions(actions, name)).toBe(expected);
  });

  it.each([
    [
      'host and path',
      [host('shop.example.com'), path('/checkout/*')],
      'host shop.example.com and path /checkout/*',
    ],
    ['a header', [header('X-Env', 'canary', 'on')], 'header X-Env: canary or on'],
    ['a header without a name', [{ field: 'http-header' as const, values: ['x'] }], 'header ?: x'],
    [
      'method, query and source',
      [
        { field: 'http-request-method' as const, values: ['POST'] },
        { field: 'query-string' as const, values: ['version=2'] },
        { field: 'source-ip' as const, values: ['10.0.0.0/8'] },
      ],
      'method POST and query version=2 and source-ip 10.0.0.0/8',
    ],
  ])('describes conditions on %s', (_what, conditions, expected) => {
    expect(describeConditions(conditions)).toBe(expected);
  });

  it('describes a rule by priority and conditions', () => {
    expect(describeRule({ priority: 10, conditions: [path('/checkout/*')] })).toBe(
      'rule 10 (path /checkout/*)',
    );
    expect(describeRule({ priority: 7, conditions: [] })).toBe('rule 7');
  });

  it('lists targets sorted, lambda targets without a port', () => {
    expect(
      describeTargets([
        { id: 'i-0c', port: 80 },
        { id: 'fn' },
        { id: 'fn', port: 1 },
        { id: 'i-0b', port: 80 },
      ]),
    ).toBe('fn, fn:1, i-0b:80, i-0c:80');
    expect(compareTargets({ id: 'a', port: 2 }, { id: 'a', port: 1 })).toBeGreaterThan(0);
    expect(compareTargets({ id: 'a' }, { id: 'a', port: 1 })).toBeLessThan(0);
    expect(compareTargets({ id: 'a', port: 1 }, { id: 'a' })).toBeGreaterThan(0);
  });
});
