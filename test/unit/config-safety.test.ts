import { readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConfigIssue,
  classifyAddress,
  classifyUrlHost,
  findRegexRisk,
  isIpLiteral,
  isRefused,
  LIMITS,
  parseConfig,
  parseConfigJson,
} from '../../lib/config/index.ts';

// Issue 14, finding 8: what a probe may reach, which patterns an expectation may use, and how big a
// config may grow. Each refusal names the field and the fix; each limit names itself.

const SOURCE = 'lbguard.config.yaml';
const ALB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';

type Json = Record<string, unknown>;

const baseProbe: Json = { name: 'health', url: 'https://shop.example.com/health' };

function withProbe(probe: Json, service: Json = {}): Json {
  return {
    services: [{ name: 'shop', loadBalancerArn: ALB, probes: [{ ...baseProbe, ...probe }], ...service }],
  };
}
const withExpect = (expectation: Json) => withProbe({ expect: expectation });

function parseObject(config: unknown) {
  return parseConfig(JSON.stringify(config), SOURCE);
}

function issuesOf(config: unknown): readonly ConfigIssue[] {
  const result = parseObject(config);
  return result.ok ? [] : result.issues;
}

function accepted(config: unknown): boolean {
  const result = parseObject(config);
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return true;
}

describe('probe targets', () => {
  const URL_PATH = 'services[0].probes[0].url';

  const refused: readonly { readonly url: string; readonly says: string }[] = [
    { url: 'http://169.254.169.254/latest/meta-data/', says: 'instance metadata' },
    { url: 'http://[fd00:ec2::254]/latest/meta-data/', says: 'instance metadata' },
    { url: 'http://[::ffff:169.254.169.254]/', says: 'instance metadata' },
    { url: 'http://0xa9.0xfe.0xa9.0xfe/', says: 'instance metadata' },
    { url: 'http://169.254.170.2/v2/credentials', says: 'link-local' },
    { url: 'https://[fe80::1]/', says: 'link-local' },
    { url: 'http://[febf::1]/', says: 'link-local' },
    { url: 'http://0.0.0.0:8080/', says: 'unspecified' },
    { url: 'http://[::]/', says: 'unspecified' },
    { url: 'http://127.0.0.1:8080/health', says: 'loopback' },
    { url: 'http://127.255.0.9/', says: 'loopback' },
    { url: 'http://127.1/', says: 'loopback' },
    { url: 'http://2130706433/', says: 'loopback' },
    { url: 'http://[::1]:8443/', says: 'loopback' },
    { url: 'http://[::ffff:127.0.0.1]/', says: 'loopback' },
    { url: 'http://localhost:3000/', says: 'loopback' },
    { url: 'http://LOCALHOST./', says: 'loopback' },
    { url: 'http://shop.localhost/', says: 'loopback' },
  ];

  it.each(refused)('refuses $url ($says) at the probe url, saying what to do instead', ({ url, says }) => {
    const issues = issuesOf(withProbe({ url }));
    expect(issues).toEqual([{ path: URL_PATH, message: expect.stringContaining(says) }]);
    expect(issues[0]?.message).toMatch(/; (use|set)/);
  });

  it('refuses a forbidden host on a journey step at that step', () => {
    const config = withProbe({
      url: undefined,
      steps: [
        { name: 'home', url: 'https://shop.example.com/' },
        { name: 'creds', url: 'http://169.254.169.254/latest/meta-data/iam/' },
      ],
    });
    expect(issuesOf(config)).toEqual([
      { path: 'services[0].probes[0].steps[1].url', message: expect.stringContaining('instance metadata') },
    ]);
  });

  it('names allowLoopback as the fix for a loopback target', () => {
    const [issue] = issuesOf(withProbe({ url: 'http://127.0.0.1:8080/' }));
    expect(issue?.message).toContain('allowLoopback: true');
  });

  it.each(refused.filter((r) => r.says === 'loopback'))(
    'accepts $url when the probe sets allowLoopback',
    ({ url }) => {
      expect(accepted(withProbe({ url, allowLoopback: true }))).toBe(true);
      expect(
        accepted(withProbe({ url: undefined, allowLoopback: true, steps: [{ name: 'home', url }] })),
      ).toBe(true);
    },
  );

  it.each(refused.filter((r) => r.says !== 'loopback'))(
    'refuses $url even when the probe sets allowLoopback',
    ({ url }) => {
      expect(issuesOf(withProbe({ url, allowLoopback: true }))).toEqual([
        { path: URL_PATH, message: expect.not.stringContaining('allowLoopback') },
      ]);
    },
  );

  it('carries allowLoopback into the parsed probe, which is what the prober reads', () => {
    const result = parseObject(withProbe({ url: 'http://127.0.0.1:8080/', allowLoopback: true }));
    expect(result.ok && result.config.services[0]?.probes[0]?.allowLoopback).toBe(true);
    const plain = parseObject(withProbe({}));
    expect(plain.ok && plain.config.services[0]?.probes[0]).not.toHaveProperty('allowLoopback');
  });

  it('reads allowLoopback of another probe as no permission for this one', () => {
    const config = {
      services: [
        {
          name: 'shop',
          loadBalancerArn: ALB,
          probes: [
            { name: 'local', url: 'http://127.0.0.1:8080/', allowLoopback: true },
            { name: 'other', url: 'http://127.0.0.1:8081/' },
          ],
        },
      ],
    };
    expect(issuesOf(config)).toEqual([
      { path: 'services[0].probes[1].url', message: expect.stringContaining('loopback') },
    ]);
  });

  it('parses its own output to the same config, as the functions read LBGUARD_CONFIG', () => {
    const result = parseObject(withProbe({ url: 'http://127.0.0.1:8080/', allowLoopback: true }));
    if (!result.ok) throw new Error('expected the config to be accepted');
    expect(parseConfigJson(JSON.stringify(result.config), 'LBGUARD_CONFIG')).toEqual(result);
  });

  it('leaves a step that is no mapping to its own message', () => {
    expect(issuesOf(withProbe({ url: undefined, steps: [42] }))).toEqual([
      { path: 'services[0].probes[0].steps[0]', message: expect.stringContaining('must be a mapping') },
    ]);
  });

  it('refuses an allowLoopback that is not true or false', () => {
    expect(issuesOf(withProbe({ allowLoopback: 'yes' }))).toContainEqual({
      path: 'services[0].probes[0].allowLoopback',
      message: expect.stringContaining('true or false'),
    });
  });

  it.each([
    'https://shop.example.com/health',
    'http://10.0.0.5/health',
    'http://172.16.3.4:8080/',
    'http://192.168.1.10/',
    'http://169.255.0.1/',
    'http://128.0.0.1/',
    'http://1.0.0.0/',
    'http://[2001:db8::1]/',
    'http://[fd00:ec3::254]/',
    'http://[fec0::1]/',
    'http://localhost.example.com/',
    'http://shop.localhost.example.com/',
  ])('accepts the ordinary target %s', (url) => {
    expect(accepted(withProbe({ url }))).toBe(true);
  });

  // An independent oracle (node:net's BlockList, not lib/'s own parser) for the property below.
  const never = new BlockList();
  never.addSubnet('169.254.0.0', 16, 'ipv4');
  never.addSubnet('0.0.0.0', 8, 'ipv4');
  never.addSubnet('fe80::', 10, 'ipv6');
  never.addSubnet('fd00:ec2::', 32, 'ipv6');
  never.addAddress('::', 'ipv6');
  never.addSubnet('::ffff:169.254.0.0', 112, 'ipv6');
  never.addSubnet('::ffff:0.0.0.0', 104, 'ipv6');
  const loopback = new BlockList();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

  const octet = fc.integer({ min: 0, max: 255 });
  const ipv4 = fc.oneof(
    fc.tuple(octet, octet, octet, octet),
    fc.tuple(fc.constantFrom(127, 169, 0, 10, 128), octet, octet, octet),
    fc.tuple(fc.constant(169), fc.constantFrom(254, 255), octet, octet),
  );
  const hextet = fc.integer({ min: 0, max: 0xffff });
  const ipv6 = fc.oneof(
    fc.array(hextet, { minLength: 8, maxLength: 8 }).map((g) => g.map((h) => h.toString(16)).join(':')),
    fc
      .tuple(fc.integer({ min: 0xfe80, max: 0xfec0 }), hextet)
      .map(([a, b]) => `${a.toString(16)}::${b.toString(16)}`),
    fc
      .tuple(fc.constantFrom('fd00:ec2', 'fd00:ec3', 'fd01:ec2'), hextet)
      .map(([p, h]) => `${p}::${h.toString(16)}`),
    fc.constantFrom('::', '::1', '::2', '::7f00:1'),
    ipv4.map((o) => `::ffff:${o.join('.')}`),
  );
  // The same IPv4 host written as a URL may spell it: dotted, one 32-bit number, or hex octets.
  const host = fc.oneof(
    ipv4.chain((o) =>
      fc.constantFrom(
        { url: o.join('.'), address: o.join('.'), type: 'ipv4' as const },
        {
          url: String(((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3]),
          address: o.join('.'),
          type: 'ipv4' as const,
        },
        { url: o.map((x) => `0x${x.toString(16)}`).join('.'), address: o.join('.'), type: 'ipv4' as const },
      ),
    ),
    ipv6.map((a) => ({ url: `[${a}]`, address: a, type: 'ipv6' as const })),
  );

  it('accepts no probe whose IP-literal host is forbidden, and loopback only with allowLoopback', () => {
    fc.assert(
      fc.property(fc.array(host, { minLength: 1, maxLength: 4 }), fc.boolean(), (hosts, allowLoopback) => {
        const steps = hosts.map((h, i) => ({ name: `s${i}`, url: `http://${h.url}:8080/health` }));
        const result = parseObject(withProbe({ url: undefined, steps, allowLoopback }));
        const allowed = hosts.every(
          (h) => !never.check(h.address, h.type) && (allowLoopback || !loopback.check(h.address, h.type)),
        );
        expect(result.ok).toBe(allowed);
      }),
      { numRuns: 500 },
    );
  });
});

describe('classifyAddress', () => {
  it.each([
    ['169.254.169.254', 'instance-metadata'],
    ['169.254.169.253', 'link-local'],
    ['[fd00:ec2::254]', 'instance-metadata'],
    ['fd00:ec2:0:0:0:0:0:23', 'instance-metadata'],
    ['fd00:ec2::254%3', 'instance-metadata'],
    ['FE80::1%eth0', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'instance-metadata'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', undefined],
    ['::ffff:10.1.2.3', undefined],
    ['::127.0.0.1', undefined],
    ['2001:db8::1', undefined],
    ['1:2:3:4:5:6:7:8', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7', undefined],
    ['1::2::3', undefined],
    ['12345::', undefined],
    ['::ffff:300.1.1.1', undefined],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['shop.example.com', undefined],
    ['', undefined],
  ] as const)('classifies %s as %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each([
    ['127.0.0.1', true],
    ['[::1]', true],
    ['::1', true],
    ['fe80::1%eth0', true],
    ['shop.test', false],
    ['localhost', false],
  ])('tells IP literal %s: %s', (host, literal) => {
    expect(isIpLiteral(host)).toBe(literal);
  });

  it('judges no URL it cannot parse', () => {
    expect(classifyUrlHost('http://[not a url')).toBeUndefined();
  });

  it.each([
    [undefined, false, false],
    ['loopback', true, false],
    ['loopback', false, true],
    ['link-local', true, true],
    ['instance-metadata', true, true],
    ['unspecified', false, true],
  ] as const)('refuses %s with allowLoopback %s: %s', (kind, allowLoopback, refused) => {
    expect(isRefused(kind, allowLoopback)).toBe(refused);
  });

  it('never throws, whatever text it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f:.%[\]]{0,45}$/)), (text) => {
        classifyAddress(text);
        isIpLiteral(text);
      }),
    );
  });
});

describe('findRegexRisk', () => {
  it.each([
    ['(a+)+', 'nested-repetition'],
    ['[^)]+(b*)*', 'nested-repetition'],
    ['(?<n>a|b)+', 'repeated-alternatives'],
    ['a|b', undefined],
    ['[^a]+x', undefined],
    ['a{3}(bc){2}', undefined],
    ['(a+)', undefined],
    ['(a+){1}', undefined],
    ['(a+){0,1}', undefined],
    ['\\1', 'backreference'],
    ['\\\\1', undefined],
    ['(?i:a+)+', 'nested-repetition'],
  ] as const)('judges %s: %s', (pattern, risk) => {
    expect(findRegexRisk(pattern)).toBe(risk);
  });

  it('never throws, even on text that is no pattern', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[()|*+?{}\\[\]^a0-9,]{0,30}$/)), (text) => {
        findRegexRisk(text);
      }),
    );
  });
});

describe('patterns in expectations', () => {
  const evil: readonly (readonly [string, string])[] = [
    ['(a+)+', 'repetition'],
    ['^(a+)+$', 'repetition'],
    ['(a*)*', 'repetition'],
    ['(.*a){10}', 'repetition'],
    ['(a?){30}a{30}', 'repetition'],
    ['((ab)*c)+', 'repetition'],
    ['(\\w+\\s?)+$', 'repetition'],
    ['(x+x+)+y', 'repetition'],
    ['([a-z]+)*$', 'repetition'],
    ['(?:\\d+\\.)+\\d+', 'repetition'],
    ['((a+))+', 'repetition'],
    ['(a|a)*', 'alternatives'],
    ['(a|aa)+', 'alternatives'],
    ['(?:GET|POST){2,}', 'alternatives'],
    ['((a|b)c)+', 'alternatives'],
    ['(a)\\1', 'backreference'],
    ['(?<q>[\'"]).*\\k<q>', 'backreference'],
    ['(?=ok)', 'lookahead'],
    ['ok(?!ay)', 'lookahead'],
    ['(?<=v)\\d+', 'lookahead'],
    ['(?<!x)y', 'lookahead'],
    ['a'.repeat(LIMITS.patternChars + 1), `limit patternChars`],
  ];

  it.each(evil)('refuses %s in bodyMatches, saying why and how to rewrite it', (pattern, says) => {
    const issues = issuesOf(withExpect({ bodyMatches: pattern }));
    expect(issues).toEqual([
      {
        path: 'services[0].probes[0].expect.bodyMatches',
        message: expect.stringMatching(/; .*(write|use|match)/),
      },
    ]);
    expect(issues[0]?.message).toContain(says);
  });

  it.each(evil)('refuses %s in a header expectation', (pattern, says) => {
    expect(issuesOf(withExpect({ headers: { 'X-Version': { matches: pattern } } }))).toEqual([
      {
        path: 'services[0].probes[0].expect.headers["X-Version"].matches',
        message: expect.stringContaining(says),
      },
    ]);
  });

  it.each([
    '^ok$',
    '"status":\\s*"up"',
    'version: \\d+\\.\\d+',
    'data-sku="[A-Z0-9-]+"',
    '^text/html',
    'build \\d+',
    '^(ok|healthy)$',
    '(?:ab)+c',
    '(\\d{3}-)+',
    '(a+)?b',
    '[(a+)+]',
    '\\(a+\\)+',
    'a{2,}b{0,3}',
    '\\0',
    'x{,3}',
    '[\\]a]+',
    '(?<name>v)\\d+',
    'a'.repeat(LIMITS.patternChars),
  ])('accepts the ordinary pattern %s', (pattern) => {
    expect(accepted(withExpect({ bodyMatches: pattern }))).toBe(true);
  });

  it('refuses any repeated group holding a repetition, whatever the atom and quantifiers', () => {
    const atom = fc.constantFrom('a', '.', '\\d', '[a-z]', '\\s', '(?:ab)');
    const inner = fc.constantFrom('*', '+', '?', '{1,3}', '{2,}', '*?');
    const outer = fc.constantFrom('*', '+', '{2}', '{1,5}', '{3,}', '+?');
    fc.assert(
      fc.property(atom, inner, outer, fc.boolean(), (a, i, o, capture) => {
        const pattern = `x${capture ? '(' : '(?:'}${a}${i}y)${o}z`;
        expect(issuesOf(withExpect({ bodyMatches: pattern }))).toHaveLength(1);
      }),
    );
  });
});

describe('limits', () => {
  const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
  const service = (i: number) => ({ name: `s${i}`, loadBalancerArn: ALB, probes: [baseProbe] });
  const headers = (n: number) => Object.fromEntries(many(n, (i) => [`X-H${i}`, 'v']));

  const cases: readonly {
    readonly limit: keyof typeof LIMITS;
    readonly at: (n: number) => Json;
    readonly path: string;
  }[] = [
    { limit: 'services', at: (n) => ({ services: many(n, service) }), path: 'services' },
    {
      limit: 'probesPerService',
      at: (n) => withProbe({}, { probes: many(n, (i) => ({ ...baseProbe, name: `p${i}` })) }),
      path: 'services[0].probes',
    },
    {
      limit: 'stepsPerProbe',
      at: (n) =>
        withProbe({
          url: undefined,
          steps: many(n, (i) => ({ name: `s${i}`, url: 'https://x.example.com/' })),
        }),
      path: 'services[0].probes[0].steps',
    },
    {
      limit: 'requestHeaders',
      at: (n) => withProbe({ headers: headers(n) }),
      path: 'services[0].probes[0].headers',
    },
    {
      limit: 'headerValueChars',
      at: (n) => withProbe({ headers: { Authorization: 'x'.repeat(n) } }),
      path: 'services[0].probes[0].headers.Authorization',
    },
    {
      limit: 'requestBodyChars',
      at: (n) => withProbe({ method: 'POST', body: 'x'.repeat(n) }),
      path: 'services[0].probes[0].body',
    },
    {
      limit: 'expectedHeaders',
      at: (n) => withExpect({ headers: headers(n) }),
      path: 'services[0].probes[0].expect.headers',
    },
    {
      limit: 'expectationChars',
      at: (n) => withExpect({ bodyContains: 'x'.repeat(n) }),
      path: 'services[0].probes[0].expect.bodyContains',
    },
    {
      limit: 'expectationChars',
      at: (n) => withExpect({ headers: { ETag: 'x'.repeat(n) } }),
      path: 'services[0].probes[0].expect.headers.ETag',
    },
    {
      limit: 'urlChars',
      at: (n) => withProbe({ url: `https://shop.example.com/${'x'.repeat(n - 25)}` }),
      path: 'services[0].probes[0].url',
    },
  ];

  it.each(cases)(
    'accepts exactly $limit and refuses one more at $path, naming the limit',
    ({ limit, at, path }) => {
      const max = LIMITS[limit];
      expect(accepted(at(max))).toBe(true);
      expect(issuesOf(at(max + 1))).toEqual([{ path, message: expect.stringContaining(`at most ${max} `) }]);
      expect(issuesOf(at(max + 1))[0]?.message).toContain(`(limit ${limit})`);
    },
  );

  it('documents every limit with its value in docs/configuration.md', () => {
    const rows = readFileSync('docs/configuration.md', 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    for (const [name, value] of Object.entries(LIMITS)) {
      const row = rows.find((cells) => cells[1] === `\`${name}\`` && cells[2] === String(value));
      expect(row, `a row for limit ${name} = ${value}`).toBeDefined();
    }
  });
});
