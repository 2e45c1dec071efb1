import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkExpectations, HttpProber } from '../../lambdas/adapters/http-prober.ts';
import type { PlainProbe, PlainStep } from '../../lib/config/index.ts';

// Real HTTP against local node:http servers on 127.0.0.1: the prober's transport, timing and
// assertion paths run exactly as they do against a load balancer.

const NOW = new Date('2026-11-02T14:02:11.000Z');
let base: string;
let port: number;
/** Every request the local site has received, so a test can show that none arrived. */
let received = 0;
let refusedUrl: string;
let server: Server;
let servedByCounter = 0;
const servedByRequests: { count: number; inFlight: number; maxInFlight: number } = {
  count: 0,
  inFlight: 0,
  maxInFlight: 0,
};

function route(req: IncomingMessage, res: ServerResponse): void {
  received++;
  const url = new URL(req.url ?? '/', 'http://x');
  switch (url.pathname) {
    case '/home':
      res.setHeader('set-cookie', ['session=abc123; Path=/; HttpOnly', 'ab=b; Path=/']);
      res.setHeader('x-served-by', 'web-a-1');
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<h1>Welcome to the shop</h1> build 4711');
      return;
    case '/product':
      if (!(req.headers.cookie ?? '').includes('session=abc123')) {
        res.statusCode = 401;
        res.end('log in first');
        return;
      }
      res.end('{"sku":"tea","price":4}');
      return;
    case '/cart': {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        res.statusCode = req.method === 'POST' ? 201 : 405;
        res.end(`cart: ${body}`);
      });
      return;
    }
    case '/down':
      res.statusCode = 503;
      res.end('Service Unavailable');
      return;
    case '/slow':
      setTimeout(() => res.end('finally'), 1_500).unref();
      return;
    case '/sluggish':
      setTimeout(() => res.end('ok'), 120).unref();
      return;
    case '/who': {
      const nth = ++servedByRequests.count;
      servedByRequests.inFlight++;
      servedByRequests.maxInFlight = Math.max(servedByRequests.maxInFlight, servedByRequests.inFlight);
      const who = ['i-aaa', 'i-bbb', 'i-ccc'][servedByCounter++ % 3] ?? 'i-aaa';
      setTimeout(() => {
        servedByRequests.inFlight--;
        // Every fourth answer comes from a server that does not set the header.
        if (nth % 4 !== 0) res.setHeader('x-served-by', who);
        res.end('ok');
      }, 5).unref();
      return;
    }
    default:
      res.statusCode = 404;
      res.end('not found');
  }
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  // A port that was just free and is now closed: connections to it are refused.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
  await new Promise((r) => closed.close(r));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function step(name: string, path: string, overrides: Partial<PlainStep> = {}): PlainStep {
  return {
    name,
    url: path.startsWith('http') ? path : `${base}${path}`,
    method: 'GET',
    headers: {},
    expect: { status: [200], headers: {} },
    ...overrides,
  };
}

/** The local site listens on loopback, so these probes carry the permission a drill's would. */
function probe(steps: PlainStep[], overrides: Partial<PlainProbe> = {}): PlainProbe {
  return { name: 'home', steps, timeoutMs: 1_000, latencyBudgetMs: 1_000, allowLoopback: true, ...overrides };
}

describe('HttpProber', () => {
  const prober = new HttpProber({ now: () => NOW });
  afterAll(() => prober.destroy());

  it('passes a 200 whose body and headers meet every expectation, stamping the injected time', async () => {
    const result = await prober.run(
      'shop',
      probe([
        step('home', '/home', {
          expect: {
            status: [200],
            bodyContains: 'Welcome to the shop',
            bodyMatches: 'build \\d+',
            headers: { 'Content-Type': { matches: '^text/html' }, 'x-served-by': 'web-a-1' },
          },
        }),
      ]),
      { servedByHeader: 'X-Served-By' },
    );
    expect(result).toMatchObject({ service: 'shop', probe: 'home', at: NOW.toISOString(), ok: true });
    expect(result.steps).toEqual([
      expect.objectContaining({ name: 'home', ok: true, status: 200, failures: [], servedBy: 'web-a-1' }),
    ]);
    expect(result.steps[0]?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.totalMs).toBeGreaterThanOrEqual(result.steps[0]?.latencyMs ?? 0);
  });

  it('reports every failed assertion of a 503 as a sentence', async () => {
    const result = await prober.run(
      'shop',
      probe([
        step('down', '/down', {
          expect: {
            status: [200, 204],
            bodyContains: 'Welcome',
            bodyMatches: '^<h1>',
            headers: { 'x-served-by': 'web-a-1' },
          },
        }),
      ]),
    );
    expect(result.ok).toBe(false);
    expect(result.steps[0]).toMatchObject({ ok: false, status: 503 });
    expect(result.steps[0]?.failures).toEqual([
      'status 503 not in [200, 204]',
      'body does not contain "Welcome"',
      'body does not match /^<h1>/',
      'header x-served-by is null, expected "web-a-1"',
    ]);
  });

  it('turns a slow answer into a timeout result within the step timeout', async () => {
    const started = Date.now();
    const result = await prober.run('shop', probe([step('slow', '/slow')], { timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(result.ok).toBe(false);
    expect(result.steps[0]).toMatchObject({ ok: false, error: 'timeout after 200 ms', failures: [] });
    expect(result.steps[0]?.status).toBeUndefined();
  });

  it('fails an answer that arrives inside the timeout but over the latency budget', async () => {
    const result = await prober.run('shop', probe([step('sluggish', '/sluggish')], { latencyBudgetMs: 50 }));
    expect(result.ok).toBe(false);
    expect(result.steps[0]?.status).toBe(200);
    expect(result.steps[0]?.failures).toEqual([expect.stringMatching(/^latency \d+ ms over budget 50 ms$/)]);
  });

  it('reports a refused connection as a result, not an exception', async () => {
    const result = await prober.run('shop', probe([step('refused', refusedUrl)]));
    expect(result.ok).toBe(false);
    expect(result.steps[0]).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
  });

  it('reports a TLS handshake failure as a result', async () => {
    const result = await prober.run('shop', probe([step('tls', `${base.replace('http:', 'https:')}/home`)]));
    expect(result.ok).toBe(false);
    expect(result.steps[0]?.error).toMatch(/^tls: /);
  });

  it('reports an unparseable URL as a failed step', async () => {
    const result = await prober.run('shop', probe([step('bad', 'http://[not a url')]));
    expect(result.steps[0]).toMatchObject({ ok: false, error: 'invalid URL http://[not a url' });
  });

  it('runs a three-step journey in order, carrying cookies and sending the body', async () => {
    const result = await prober.run(
      'shop',
      probe([
        step('home', '/home'),
        step('product', '/product', { expect: { status: [200], bodyContains: '"sku":"tea"', headers: {} } }),
        step('cart', '/cart', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"sku":"tea"}',
          expect: { status: [201], bodyContains: 'cart: {"sku":"tea"}', headers: {} },
        }),
      ]),
    );
    expect(result.steps.map((s) => [s.name, s.method, s.status, s.ok])).toEqual([
      ['home', 'GET', 200, true],
      ['product', 'GET', 200, true],
      ['cart', 'POST', 201, true],
    ]);
    expect(result.ok).toBe(true);
  });

  it('stops a journey at the first failing step', async () => {
    const result = await prober.run('shop', probe([step('down', '/down'), step('home', '/home')]));
    expect(result.steps.map((s) => s.name)).toEqual(['down']);
    expect(result.ok).toBe(false);
  });

  it('counts served-by identities over a bounded burst, separating answers without the header', async () => {
    servedByCounter = 0;
    Object.assign(servedByRequests, { count: 0, inFlight: 0, maxInFlight: 0 });
    const sample = await prober.sampleServedBy('shop', `${base}/who`, 'X-Served-By', {
      requests: 40,
      concurrency: 4,
      allowLoopback: true,
    });
    expect(sample.service).toBe('shop');
    expect(sample.at).toBe(NOW.toISOString());
    expect(sample.sent).toBe(40);
    expect(sample.failed).toBe(0);
    expect(sample.withoutHeader).toBe(10);
    const counted = Object.values(sample.counts).reduce((a, b) => a + b, 0);
    expect(counted).toBe(30);
    expect(Object.keys(sample.counts).sort()).toEqual(['i-aaa', 'i-bbb', 'i-ccc']);
    expect(servedByRequests.count).toBe(40);
    expect(servedByRequests.maxInFlight).toBeLessThanOrEqual(4);
  });

  it('stops sampling at the deadline and counts failures', async () => {
    let t = 0;
    // Each reading of the monotonic clock advances 1 s, so the 2.5 s deadline passes after two requests.
    const ticking = new HttpProber({ now: () => NOW, monotonicMs: () => (t += 1_000) });
    const sample = await ticking.sampleServedBy('shop', refusedUrl, 'x-served-by', {
      requests: 100,
      concurrency: 1,
      deadlineMs: 2_500,
      allowLoopback: true,
    });
    ticking.destroy();
    expect(sample.sent).toBe(2);
    expect(sample.failed).toBe(2);
    expect(sample.counts).toEqual({});
  });
});

describe('HttpProber refuses targets a probe may not reach', () => {
  /** Resolves the test's made-up names; a name it does not know fails as the system resolver would. */
  const names: Record<string, { address: string; family: number }[]> = {
    'metadata.attacker.test': [{ address: '169.254.169.254', family: 4 }],
    'mixed.attacker.test': [
      { address: '127.0.0.1', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ],
    'imds6.attacker.test': [{ address: 'fd00:ec2::254', family: 6 }],
    'local.attacker.test': [{ address: '::1', family: 6 }],
    'shop.test': [{ address: '127.0.0.1', family: 4 }],
  };
  const lookup = vi.fn(async (hostname: string) => {
    const found = names[hostname];
    if (found === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  });
  const prober = new HttpProber({ now: () => NOW, lookup });
  afterAll(() => prober.destroy());

  async function runUnreached(url: string, allowLoopback: boolean) {
    const before = received;
    const started = Date.now();
    const result = await prober.run('shop', probe([step('target', url)], { allowLoopback }));
    expect(received - before, 'requests that reached the local site').toBe(0);
    expect(Date.now() - started).toBeLessThan(500);
    expect(result.ok).toBe(false);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ ok: false, failures: [] });
    expect(result.steps[0]?.status).toBeUndefined();
    return result.steps[0]?.error ?? '';
  }

  it('refuses a name that resolves to the instance metadata address, before connecting', async () => {
    const error = await runUnreached(`http://metadata.attacker.test:${port}/latest/meta-data/`, true);
    expect(error).toBe(
      'refused: metadata.attacker.test resolves to 169.254.169.254, the instance metadata service, which probes never reach',
    );
    expect(lookup).toHaveBeenCalledWith('metadata.attacker.test');
  });

  it('refuses a name with any forbidden address among allowed ones, connecting to none of them', async () => {
    // 127.0.0.1 is the local site itself: had the prober connected anywhere, the site would count it.
    const error = await runUnreached(`http://mixed.attacker.test:${port}/home`, true);
    expect(error).toMatch(/^refused: mixed\.attacker\.test resolves to 169\.254\.169\.254, /);
  });

  it('refuses the IPv6 instance metadata address', async () => {
    expect(await runUnreached(`http://imds6.attacker.test:${port}/`, true)).toMatch(
      /resolves to fd00:ec2::254, the instance metadata service/,
    );
  });

  it('refuses a link-local literal even when the probe allows loopback', async () => {
    expect(await runUnreached(`http://169.254.10.20:${port}/health`, true)).toMatch(
      /^refused: 169\.254\.10\.20 is a link-local address/,
    );
  });

  it('refuses the local site without allowLoopback, naming the flag', async () => {
    expect(await runUnreached(`${base}/home`, false)).toMatch(
      /^refused: 127\.0\.0\.1 is a loopback address.*allowLoopback/,
    );
  });

  it('refuses a name that resolves to loopback without allowLoopback', async () => {
    expect(await runUnreached(`http://local.attacker.test:${port}/home`, false)).toMatch(
      /^refused: local\.attacker\.test resolves to ::1, a loopback address/,
    );
  });

  it('connects to the address it checked, not to a second lookup of the name', async () => {
    // shop.test exists only in the injected resolver: a request that reaches the site used its answer.
    const before = received;
    const result = await prober.run('shop', probe([step('home', `http://shop.test:${port}/home`)]));
    expect(result.ok).toBe(true);
    expect(received - before).toBe(1);
  });

  it('reports a name that does not resolve as a failed step', async () => {
    const result = await prober.run('shop', probe([step('home', 'http://nowhere.test/')]));
    expect(result.steps[0]).toMatchObject({ ok: false, error: 'ENOTFOUND' });
  });

  it('times a lookup that never answers out within the step timeout', async () => {
    const stuck = new HttpProber({ now: () => NOW, lookup: () => new Promise(() => {}) });
    const result = await stuck.run(
      'shop',
      probe([step('home', 'http://slow-dns.test/')], { timeoutMs: 150 }),
    );
    stuck.destroy();
    expect(result.steps[0]).toMatchObject({ ok: false, error: 'timeout after 150 ms' });
  });

  it('counts a refused served-by sample as failed without sending a request', async () => {
    const before = received;
    const sample = await prober.sampleServedBy('shop', `${base}/who`, 'X-Served-By', {
      requests: 10,
      concurrency: 2,
    });
    expect(received - before).toBe(0);
    expect(sample).toMatchObject({ failed: 10, withoutHeader: 0, counts: {} });
  });

  it('resolves a sampled name once per burst, not once per request', async () => {
    lookup.mockClear();
    const sample = await prober.sampleServedBy('shop', `http://shop.test:${port}/who`, 'X-Served-By', {
      requests: 12,
      concurrency: 3,
      allowLoopback: true,
    });
    expect(sample.failed).toBe(0);
    expect(lookup).toHaveBeenCalledTimes(1);
  });
});

describe('checkExpectations', () => {
  const response = { status: 200, headers: { 'x-version': '1.2.3' }, body: 'ok' };
  it.each([
    [{ status: [200], headers: { 'X-Version': '1.2.3' } }, []],
    [{ status: [200], headers: { 'x-version': { matches: '^1\\.' } } }, []],
    [
      { status: [200], headers: { 'x-version': { matches: '^2\\.' } } },
      ['header x-version is "1.2.3", expected to match /^2\\./'],
    ],
    [
      { status: [200], headers: { 'x-missing': { matches: '.' } } },
      ['header x-missing is null, expected to match /./'],
    ],
  ])('checks headers exactly or by pattern: %j', (expectation, failures) => {
    expect(checkExpectations(expectation, response)).toEqual(failures);
  });

  // Config refuses such patterns; the prober still bounds a pattern that reached it another way, or
  // one that is merely slow (polynomial) on a long body.
  it.each([
    ['body', { status: [200], bodyMatches: '^(a+)+$', headers: {} }, { body: `${'a'.repeat(40)}!` }],
    ['body', { status: [200], bodyMatches: '(.*)(.*)(.*)(.*)x', headers: {} }, { body: 'b'.repeat(3_000) }],
    [
      'header',
      { status: [200], headers: { 'x-version': { matches: '^(\\d+)+$' } } },
      { headers: { 'x-version': `${'1'.repeat(40)}x` } },
    ],
  ])(
    'gives up on a %s pattern that backtracks, as a failure within its budget',
    (_what, expectation, part) => {
      const started = Date.now();
      const failures = checkExpectations(expectation, { ...response, ...part });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(failures).toEqual([
        expect.stringMatching(/ gave up after 100 ms: the pattern backtracks too much/),
      ]);
    },
  );
});
