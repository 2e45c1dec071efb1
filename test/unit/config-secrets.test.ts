// Secret references in the config (issue 14, finding 6): what parses, what each names, what a
// probe sends once they are read, and which plain values draw a warning at synth.
import { describe, expect, it } from 'vitest';
import {
  configSecretReferences,
  credentialWarnings,
  type LbGuardConfig,
  parseConfig,
  plainProbe,
  referenceKey,
  usesSecrets,
} from '../../lib/config/index.ts';

const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';

function config(probes: unknown[]): LbGuardConfig {
  const parsed = parseConfig(
    JSON.stringify({ version: 1, services: [{ name: 'shop', loadBalancerArn: LB, probes }] }),
    'x.json',
  );
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return parsed.config;
}

const TOKEN = { secret: 'shop/probe-token', jsonKey: 'token' };
const KEY = { parameter: '/shop/probe/api-key' };

describe('secret references in probes', () => {
  const c = config([
    { name: 'home', url: 'https://shop.example.com/' },
    {
      name: 'journey',
      steps: [
        {
          name: 'login',
          url: 'https://shop.example.com/login',
          method: 'POST',
          headers: { Authorization: TOKEN },
          body: KEY,
        },
        { name: 'account', url: 'https://shop.example.com/account', headers: { Authorization: TOKEN } },
      ],
    },
  ]);

  it('names each secret once, whatever the number of places it is used', () => {
    expect(configSecretReferences(c)).toEqual([TOKEN, KEY]);
    expect(c.services[0]?.probes.map(usesSecrets)).toEqual([false, true]);
  });

  it('gives the prober the values, and names a reference (never a value) it was not given', () => {
    const journey = c.services[0]?.probes[1];
    if (journey === undefined) throw new Error('no journey');
    const values = new Map([
      [referenceKey(TOKEN), 'Bearer t0ken'],
      [referenceKey(KEY), 'k3y'],
    ]);
    const plain = plainProbe(journey, values);
    expect(plain.steps.map((s) => [s.headers.Authorization, s.body])).toEqual([
      ['Bearer t0ken', 'k3y'],
      ['Bearer t0ken', undefined],
    ]);
    expect(() => plainProbe(journey, new Map([[referenceKey(TOKEN), 'x']]))).toThrow(
      /probe journey: SSM parameter \/shop\/probe\/api-key was not read/,
    );
  });

  it('keeps references, not values, in the config every function receives', () => {
    const json = JSON.stringify(c);
    expect(json).toContain('"secret":"shop/probe-token"');
    expect(json).toContain('"parameter":"/shop/probe/api-key"');
  });
});

describe('credential warnings at synth', () => {
  it.each([
    [
      'an Authorization header as plain text',
      { headers: { Authorization: 'Bearer abc' } },
      /header Authorization is a plain value/,
    ],
    ['an API key header', { headers: { 'X-Api-Key': 'abc' } }, /header X-Api-Key is a plain value/],
    [
      'a token in the query',
      { url: 'https://shop.example.com/?access_token=abc' },
      /URL carries what looks like a credential/,
    ],
    [
      'a password in the body',
      { method: 'POST', body: '{"password":"abc"}' },
      /body looks like it carries a credential/,
    ],
  ])('warns about %s, naming where and the fix, never the value', (_what, probe, says) => {
    const warnings = credentialWarnings(config([{ name: 'p', url: 'https://shop.example.com/', ...probe }]));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(says);
    expect(warnings[0]).toMatch(/^services\[0\] \(shop\) probe p: /);
    expect(warnings[0]).not.toMatch(/abc|pass@/);
  });

  it('refuses user info in a URL outright: an error, not a warning', () => {
    expect(() => config([{ name: 'p', url: 'https://user:pass@shop.example.com/' }])).toThrow(
      /must not carry credentials/,
    );
  });

  it('says nothing of references, nor of ordinary headers and URLs', () => {
    const quiet = config([
      {
        name: 'p',
        url: 'https://shop.example.com/search?q=mugs&page=2',
        method: 'POST',
        headers: { Authorization: TOKEN, Accept: 'text/html', 'X-Request-Id': 'probe' },
        body: KEY,
      },
    ]);
    expect(credentialWarnings(quiet)).toEqual([]);
  });
});
