import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_LOG_SOURCE,
  aggregateAccessLogs,
  createAccessLogAggregator,
  expectedAccessLogShares,
  parseAccessLogLine,
  splitAccessLogFields,
} from '../../lib/access-logs.ts';
import { modelRouting } from '../../lib/routing.ts';
import type { SkewThresholds } from '../../lib/types.ts';
import {
  forward,
  healthOf,
  listener,
  outageLastGood,
  path as pathIs,
  rule,
  snapshot,
  targetGroup,
} from './fixtures/topologies.ts';

const ELB = 'app/shop/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/73e2d6bc24d8a067';
const thresholds: SkewThresholds = { minSamples: 30, falsePositiveRate: 0.0001, minEffectSize: 0.2 };

// Shaped like the examples in AWS's "Access log entries" documentation, one per protocol.
const HTTP = `http 2026-11-24T14:02:11.186641Z ${ELB} 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - ${TG} "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2026-11-24T14:02:11.185000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90`;
const HTTPS = `https 2026-11-24T14:02:12.000000Z ${ELB} 192.168.131.39:2817 10.0.0.2:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ${TG} "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2026-11-24T14:02:11.900000Z "authenticate,forward" "-" "-" "10.0.0.2:80" "200" "-" "-" TID_1234abcd5678ef90 "-" "-" "-"`;
const H2 = `h2 2026-11-24T14:02:13.000000Z ${ELB} 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ${TG} "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2026-11-24T14:02:12.900000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "200" "-" "-" TID_1234abcd5678ef90`;
const NO_TARGET = `https 2026-11-24T14:02:14.000000Z ${ELB} 203.0.113.9:4431 - -1 -1 -1 503 - 0 0 "GET https://shop.example.com:443/checkout HTTP/1.1" "Mozilla/5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 - "Root=1-1" "shop.example.com" "-" 0 2026-11-24T14:02:14.000000Z "forward" "-" "-" "-" "-" "-" "-" TID_1`;
const QUOTES = `http 2026-11-24T14:02:15.000000Z ${ELB} 192.168.1.1:2817 10.0.0.1:80 0.000 0.001 0.000 502 - 34 366 "GET http://www.example.com:80/a b?q=\\"x y\\" HTTP/1.1" "agent \\\\ with \\"quotes\\"" - - ${TG}`;

describe('splitAccessLogFields', () => {
  it.each([
    ['a b c', ['a', 'b', 'c']],
    ['a  "b c" d', ['a', 'b c', 'd']],
    ['"" x', ['', 'x']],
    ['"a \\"b\\" \\\\c"', ['a "b" \\c']],
    ['x "open', undefined],
    ['', []],
  ])('splits %j into %j', (line, fields) => {
    expect(splitAccessLogFields(line)).toEqual(fields);
  });
});

describe('parseAccessLogLine', () => {
  it.each([
    { name: 'http', line: HTTP, type: 'http', target: '10.0.0.1:80', elbStatus: 200, targetStatus: 200 },
    {
      name: 'https with trailing fields AWS added later',
      line: HTTPS,
      type: 'https',
      target: '10.0.0.2:80',
      elbStatus: 200,
      targetStatus: 200,
    },
    { name: 'h2', line: H2, type: 'h2', target: '10.0.0.66:9000', elbStatus: 200, targetStatus: 200 },
    { name: 'no target chosen', line: NO_TARGET, type: 'https', target: undefined, elbStatus: 503 },
    { name: 'quoted fields with spaces', line: QUOTES, type: 'http', target: '10.0.0.1:80', elbStatus: 502 },
    {
      name: 'CRLF ending',
      line: `${HTTP}\r`,
      type: 'http',
      target: '10.0.0.1:80',
      elbStatus: 200,
      targetStatus: 200,
    },
  ])('reads $name', ({ line, type, target, elbStatus, targetStatus }) => {
    const parsed = parseAccessLogLine(line);
    if (parsed.kind !== 'ok') throw new Error(parsed.reason);
    expect(parsed.entry.type).toBe(type);
    expect(parsed.entry.target).toBe(target);
    expect(parsed.entry.elbStatus).toBe(elbStatus);
    expect(parsed.entry.targetStatus).toBe(targetStatus);
    expect(parsed.entry.elb).toBe(ELB);
  });

  it('keeps the request and the target group as logged', () => {
    const parsed = parseAccessLogLine(QUOTES);
    expect(parsed).toMatchObject({
      kind: 'ok',
      entry: { request: 'GET http://www.example.com:80/a b?q="x y" HTTP/1.1', targetGroupArn: TG },
    });
    expect(parseAccessLogLine(NO_TARGET)).not.toHaveProperty('entry.targetGroupArn');
  });

  it('reads an elb_status_code of - as unknown', () => {
    const parsed = parseAccessLogLine(HTTP.replace(' 200 200 ', ' - - '));
    expect(parsed).toMatchObject({ kind: 'ok' });
    expect(parsed).not.toHaveProperty('entry.elbStatus');
  });

  it.each([
    { name: 'an unclosed quote', line: `${HTTP} "oops`, reason: /not closed/ },
    { name: 'too few fields', line: 'http 2026-11-24T14:02:11Z app/x/y', reason: /3 fields/ },
    { name: 'a non-protocol type', line: HTTP.replace(/^http/, 'HTTP!'), reason: /type/ },
    { name: 'a bad time', line: HTTP.replace('2026-11-24T14:02:11.186641Z', 'yesterday'), reason: /time/ },
    {
      name: 'an impossible time',
      line: HTTP.replace('2026-11-24T14:02:11', '2026-13-45T14:02:11'),
      reason: /time/,
    },
    { name: 'a bad client', line: HTTP.replace('192.168.131.39:2817', 'nobody'), reason: /client/ },
    { name: 'a bad target', line: HTTP.replace('10.0.0.1:80 0.000', 'somewhere 0.000'), reason: /target/ },
    { name: 'a bad elb status', line: HTTP.replace(' 200 200 ', ' OK 200 '), reason: /elb_status_code/ },
    {
      name: 'a bad target status',
      line: HTTP.replace(' 200 200 ', ' 200 2000 '),
      reason: /target_status_code/,
    },
  ])('calls a line with $name malformed, with the reason', ({ line, reason }) => {
    const parsed = parseAccessLogLine(line);
    expect(parsed.kind).toBe('malformed');
    if (parsed.kind === 'malformed') expect(parsed.reason).toMatch(reason);
  });
});

/** An HTTP line answered at `time` by `target` (`-` for none). */
function at(time: string, target: string, elbStatus = 200, targetStatus: number | '-' = elbStatus): string {
  return `http ${time} ${ELB} 192.168.1.1:1000 ${target} 0.000 0.001 0.000 ${elbStatus} ${targetStatus} 1 2 "GET http://shop:80/ HTTP/1.1" "curl" - - ${TG}`;
}

const FROM = '2026-11-24T14:00:00.000Z';
const TO = '2026-11-24T15:00:00.000Z';

describe('aggregateAccessLogs', () => {
  it('counts requests, 5xx and shares per target in [from, to)', () => {
    const d = aggregateAccessLogs(
      [
        at('2026-11-24T14:00:00.000000Z', '10.0.0.1:80'),
        at('2026-11-24T14:10:00.000000Z', '10.0.0.1:80', 500, 500),
        at('2026-11-24T14:20:00.000000Z', '10.0.0.1:80', 502, '-'),
        at('2026-11-24T14:30:00.000000Z', '10.0.0.2:80'),
        at('2026-11-24T14:40:00.000000Z', '-', 503, '-'),
        at('2026-11-24T14:41:00.000000Z', '-', 460, '-'),
        at('2026-11-24T13:59:59.999999Z', '10.0.0.2:80'),
        at('2026-11-24T15:00:00.000000Z', '10.0.0.2:80'),
        'garbage',
        '',
      ],
      { from: FROM, to: TO },
      { objects: 3 },
    );
    expect(d).toMatchObject({ kind: 'distribution', source: ACCESS_LOG_SOURCE, requests: 6, objects: 3 });
    expect(d.targets.map((t) => [t.key, t.requests, t.target5xx, t.elb5xx])).toEqual([
      ['10.0.0.1:80', 3, 1, 2],
      ['10.0.0.2:80', 1, 0, 0],
    ]);
    expect(d.targets[0]?.share).toBe(0.75);
    expect(d.targets[0]?.low).toBeGreaterThan(0);
    expect(d.targets[0]?.high).toBeLessThan(1);
    expect(d.noTarget).toEqual({ requests: 2, elb5xx: 1 });
    expect(d.lines).toEqual({
      read: 9,
      outsideWindow: 2,
      malformed: 1,
      malformedExamples: [{ where: 'line 9', reason: expect.stringContaining('fields') }],
    });
    expect(d.test).toEqual({ kind: 'untested', reason: 'no expected per-target shares were given' });
    expect(d).not.toHaveProperty('truncation');
  });

  it('leaves out other load balancers when told which one it reads', () => {
    const other = at('2026-11-24T14:10:00.000000Z', '10.0.0.9:80').replace(ELB, 'app/other/1');
    const d = aggregateAccessLogs([other, at('2026-11-24T14:10:00.000000Z', '10.0.0.1:80')], {
      from: FROM,
      to: TO,
      elb: ELB,
    });
    expect(d.targets.map((t) => t.key)).toEqual(['10.0.0.1:80']);
    expect(d.lines.outsideWindow).toBe(1);
  });

  it('keeps the first five malformed lines, labelled by where they came from, and the truncation', () => {
    const aggregator = createAccessLogAggregator({ from: FROM, to: TO });
    for (let i = 1; i <= 7; i++) aggregator.add(`bad ${i}`, `key.log.gz:${i}`);
    const d = aggregator.finish({ truncation: 'read 1 of 2 log files' });
    expect(d.lines.malformed).toBe(7);
    expect(d.lines.malformedExamples.map((e) => e.where)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `key.log.gz:${i}`),
    );
    expect(d.truncation).toBe('read 1 of 2 log files');
    expect(d.targets).toEqual([]);
    expect(d.requests).toBe(0);
  });

  it('maps logged ip:port to target keys through aliases', () => {
    const d = aggregateAccessLogs([at('2026-11-24T14:10:00.000000Z', '10.0.0.1:80')], {
      from: FROM,
      to: TO,
      aliases: { '10.0.0.1:80': 'i-0a:80' },
    });
    expect(d.targets[0]?.key).toBe('i-0a:80');
  });

  const skewedLines = [
    ...Array.from({ length: 118 }, () => at('2026-11-24T14:10:00.000000Z', '10.0.0.1:80')),
    ...Array.from({ length: 2 }, () => at('2026-11-24T14:10:00.000000Z', '10.0.0.2:80')),
  ];

  it('runs the skew test against expected shares and finds one target carrying everything', () => {
    const d = aggregateAccessLogs(skewedLines, {
      from: FROM,
      to: TO,
      thresholds,
      expected: { '10.0.0.1:80': 1, '10.0.0.2:80': 1, '10.0.0.3:80': 1, '10.0.0.4:80': 1 },
    });
    expect(d.test).toMatchObject({ kind: 'tested', excluded: 0, skew: { kind: 'skewed', samples: 120 } });
  });

  it('calls a 50/50 window balanced', () => {
    const lines = Array.from({ length: 100 }, (_, i) =>
      at('2026-11-24T14:10:00.000000Z', i % 2 === 0 ? '10.0.0.1:80' : '10.0.0.2:80'),
    );
    const d = aggregateAccessLogs(lines, {
      from: FROM,
      to: TO,
      thresholds,
      expected: { '10.0.0.1:80': 0.5, '10.0.0.2:80': 0.5 },
    });
    expect(d.test).toMatchObject({ kind: 'tested', skew: { kind: 'balanced' } });
  });

  it('leaves targets the expected shares do not name out of the test, and counts them', () => {
    const d = aggregateAccessLogs([...skewedLines, at('2026-11-24T14:10:00.000000Z', '10.9.9.9:80')], {
      from: FROM,
      to: TO,
      thresholds,
      expected: { '10.0.0.1:80': 1, '10.0.0.2:80': 1 },
    });
    expect(d.test).toMatchObject({ kind: 'tested', excluded: 1, skew: { samples: 120 } });
  });

  it('does not test when no logged target is among the expected ones (instance targets log IPs)', () => {
    const d = aggregateAccessLogs(skewedLines, {
      from: FROM,
      to: TO,
      thresholds,
      expected: { 'i-0a:80': 1, 'i-0b:80': 1 },
    });
    expect(d.test).toMatchObject({ kind: 'untested', reason: expect.stringContaining('private IP') });
  });

  it.each([
    [{ from: 'then', to: TO }, /from then/],
    [{ from: FROM, to: 'later' }, /to later/],
    [{ from: TO, to: FROM }, /before/],
    [{ from: FROM, to: TO, expected: { a: 1 } }, /thresholds/],
    [{ from: FROM, to: TO, confidence: 1 }, /confidence/],
  ])('rejects options %j', (options, message) => {
    expect(() => createAccessLogAggregator(options)).toThrow(message);
  });

  it('counts every parsed line of the window exactly once (targets plus no-target)', () => {
    const start = Date.parse(FROM);
    const arbLine = fc.record({
      offsetMs: fc.integer({ min: -600_000, max: 4_200_000 }),
      target: fc.constantFrom('-', '10.0.0.1:80', '10.0.0.2:8080', '[2001:db8::1]:443'),
      status: fc.constantFrom(200, 301, 404, 460, 500, 502, 503, 504),
      garbage: fc.option(fc.string({ maxLength: 40 }), { freq: 5 }),
    });
    fc.assert(
      fc.property(fc.array(arbLine, { maxLength: 200 }), (specs) => {
        const lines = specs.map(
          (s) =>
            s.garbage ??
            at(new Date(start + s.offsetMs).toISOString().replace('Z', '000Z'), s.target, s.status),
        );
        const d = aggregateAccessLogs(lines, { from: FROM, to: TO });
        const inWindow = lines.filter((l) => {
          const parsed = parseAccessLogLine(l);
          if (parsed.kind !== 'ok') return false;
          const t = Date.parse(parsed.entry.time);
          return t >= start && t < Date.parse(TO);
        }).length;
        const counted = d.targets.reduce((n, t) => n + t.requests, 0) + d.noTarget.requests;
        expect(counted).toBe(inWindow);
        expect(d.requests).toBe(inWindow);
        expect(d.lines.read).toBe(d.requests + d.lines.outsideWindow + d.lines.malformed);
        const shares = d.targets.reduce((n, t) => n + t.share, 0);
        if (d.targets.length > 0) expect(shares).toBeCloseTo(1, 9);
      }),
    );
  });
});

describe('expectedAccessLogShares', () => {
  it('knows the per-target shares when one route forwards to targets', () => {
    const snap = outageLastGood();
    const expected = expectedAccessLogShares(modelRouting(snap, healthOf(snap)));
    expect(expected).toEqual({
      kind: 'known',
      expected: { 'i-0a:80': 0.25, 'i-0b:80': 0.25, 'i-0c:80': 0.25, 'i-0d:80': 0.25 },
    });
  });

  it('refuses to guess when several routes forward to targets', () => {
    const web = targetGroup('web', ['10.0.0.1:80']);
    const api = targetGroup('api', ['10.0.0.2:80'], { targetType: 'ip' });
    const snap = snapshot(
      [listener(80, [forward([web, 1])], [rule(80, 10, [pathIs('/api/*')], [forward([api, 1])])])],
      [web, api],
    );
    expect(expectedAccessLogShares(modelRouting(snap, healthOf(snap)))).toEqual({
      kind: 'unknown',
      reason: '2 routes forward to targets and access-log counts mix them',
    });
  });

  it('says when no route forwards to a target', () => {
    expect(expectedAccessLogShares({ routes: [] })).toEqual({
      kind: 'unknown',
      reason: 'no route of the load balancer forwards to a target',
    });
  });
});
