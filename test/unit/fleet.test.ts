import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DiscoveryConfig,
  type FleetConfig,
  parseConfig,
  type ServiceConfig,
} from '../../lib/config/index.ts';
import {
  type DiscoveredLoadBalancer,
  diffEnrolment,
  type Enrolment,
  enrol,
  fleetRoleArn,
  inScope,
  partitionOf,
  readGuardTags,
  scopeKey,
  scopeOfArn,
  scopesOf,
  TAGS,
} from '../../lib/fleet/index.ts';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const SCOPE = { account: ACCOUNT, region: REGION };

function arnOf(name: string, account = ACCOUNT, region = REGION): string {
  const id = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7).toString(16);
  return `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/${id.padStart(16, '0')}`;
}

function lb(name: string, tags: Record<string, string> = {}, account = ACCOUNT): DiscoveredLoadBalancer {
  return { loadBalancerArn: arnOf(name, account), loadBalancerName: name, tags };
}

/** A config with a fleet section and profiles, through the real parser (defaults applied). */
function fleetConfig(extra: { services?: unknown[] } = {}) {
  const parsed = parseConfig(
    JSON.stringify({
      services: extra.services ?? [],
      fleet: {
        roleName: 'lbguard-fleet-reader',
        accounts: [ACCOUNT],
        regions: [REGION],
      },
      discovery: {
        profiles: {
          default: { probes: [{ name: 'home', url: 'https://example.com/' }] },
          web: {
            probes: [{ name: 'health', url: 'https://example.com/health' }],
            remediation: { mode: 'auto' },
          },
          bare: {},
        },
      },
    }),
    'test.yaml',
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config as typeof parsed.config & { fleet: FleetConfig; discovery: DiscoveryConfig };
}

const CONFIG = fleetConfig();
const PROFILES = CONFIG.discovery.profiles;

function listedService(name: string, lbName = name): ServiceConfig {
  const config = fleetConfig({
    services: [
      { name, loadBalancerArn: arnOf(lbName), probes: [{ name: 'p', url: 'https://listed.example.com/' }] },
    ],
  });
  return config.services[0] as ServiceConfig;
}

describe('readGuardTags: the tag vocabulary', () => {
  const cases: readonly { what: string; tags: Record<string, string>; guard?: string; error?: string }[] = [
    { what: 'no lbguard:guard is untagged', tags: { team: 'web' }, guard: 'untagged' },
    {
      what: 'an unknown lbguard: key on an untagged LB is ignored',
      tags: { 'lbguard:note': 'x' },
      guard: 'untagged',
    },
    { what: 'an empty guard value guards (a key-only tag)', tags: { [TAGS.guard]: '' }, guard: 'guarded' },
    { what: 'guard=TRUE guards, case-insensitively', tags: { [TAGS.guard]: ' TRUE ' }, guard: 'guarded' },
    { what: 'guard=false opts out', tags: { [TAGS.guard]: 'false' }, guard: 'opted-out' },
    { what: 'guard=yes is a bad value', tags: { [TAGS.guard]: 'yes' }, error: 'bad-tag-value' },
    {
      what: 'a misspelt lbguard: key on a guarded LB is an error',
      tags: { [TAGS.guard]: 'true', 'lbguard:profle': 'web' },
      error: 'unknown-tag',
    },
    { what: 'a bad name', tags: { [TAGS.guard]: 'true', [TAGS.name]: 'Shop_1' }, error: 'bad-tag-value' },
    {
      what: 'a bad probe URL',
      tags: { [TAGS.guard]: 'true', [TAGS.probeUrl]: 'ftp://x' },
      error: 'bad-tag-value',
    },
    {
      what: 'a bad remediation mode',
      tags: { [TAGS.guard]: 'true', [TAGS.remediation]: 'yolo' },
      error: 'bad-tag-value',
    },
  ];
  it.each(cases)('$what', ({ tags, guard, error }) => {
    const read = readGuardTags(tags);
    if (error === undefined) {
      expect(read).toMatchObject({ ok: true, tags: { guard } });
    } else {
      expect(read).toMatchObject({ ok: false, error: { code: error } });
    }
  });

  it('names the tag and the fix in every error message', () => {
    const read = readGuardTags({ [TAGS.guard]: 'true', 'lbguard:profle': 'web' });
    expect(read.ok === false && read.error.message).toBe(
      'tag lbguard:profle is not one lbguard reads; did you mean lbguard:profile?',
    );
    const bad = readGuardTags({ [TAGS.guard]: 'maybe' });
    expect(bad.ok === false && bad.error.message).toBe(
      'tag lbguard:guard must be true (or empty) to guard, or false to opt out',
    );
    const mode = readGuardTags({ [TAGS.guard]: '', [TAGS.remediation]: 'yolo' });
    expect(mode.ok === false && mode.error.message).toMatch(
      /^tag lbguard:remediation must be off, dry-run, approve or auto/,
    );
  });

  it('reads every value tag into what it means', () => {
    const read = readGuardTags({
      [TAGS.guard]: 'true',
      [TAGS.profile]: ' web ',
      [TAGS.name]: 'shop',
      [TAGS.probeUrl]: 'https://shop.example.com/health',
      [TAGS.remediation]: 'off',
    });
    expect(read.ok).toBe(true);
    if (!read.ok || read.tags.guard !== 'guarded') return;
    expect(read.tags).toMatchObject({ profile: 'web', name: 'shop', remediationMode: 'off' });
    expect(read.tags.probe?.steps[0]).toMatchObject({
      url: 'https://shop.example.com/health',
      method: 'GET',
    });
  });
});

describe('enrol: which load balancers are guarded, and as what', () => {
  it('guards the tagged, ignores the untagged and the opted out, and errs per load balancer', () => {
    const result = enrol({
      loadBalancers: [
        lb('shop', { [TAGS.guard]: 'true', [TAGS.profile]: 'web' }),
        lb('blog', { [TAGS.guard]: '' }),
        lb('intranet'),
        lb('legacy', { [TAGS.guard]: 'false' }),
        lb('broken', { [TAGS.guard]: 'true', [TAGS.profile]: 'webb' }),
      ],
      services: [],
      profiles: PROFILES,
      scope: SCOPE,
    });
    expect(result.services.map((s) => [s.service.name, s.source])).toEqual(
      [
        ['blog', { kind: 'tags', profile: 'default' }],
        ['shop', { kind: 'tags', profile: 'web' }],
      ].sort((a, b) => (arnOf(a[0] as string) < arnOf(b[0] as string) ? -1 : 1)),
    );
    expect(result.ignored.map((i) => i.reason).sort()).toEqual(['opted-out', 'untagged']);
    expect(result.errors).toEqual([
      {
        loadBalancerArn: arnOf('broken'),
        loadBalancerName: 'broken',
        error: {
          code: 'unknown-profile',
          tag: TAGS.profile,
          message:
            'tag lbguard:profile names webb, which discovery.profiles does not define; did you mean web?',
        },
      },
    ]);
  });

  it('builds the service from the profile, then the tags over it', () => {
    const { services } = enrol({
      loadBalancers: [
        lb('Shop', {
          [TAGS.guard]: 'true',
          [TAGS.profile]: 'web',
          [TAGS.probeUrl]: 'https://shop.example.com/ok',
          [TAGS.remediation]: 'dry-run',
        }),
      ],
      services: [],
      profiles: PROFILES,
    });
    const service = services[0]?.service;
    expect(service?.name).toBe('shop');
    expect(service?.probes.map((p) => p.steps[0]?.url)).toEqual(['https://shop.example.com/ok']);
    expect(service?.remediation.mode).toBe('dry-run');
    expect(service?.thresholds).toEqual(PROFILES.web?.thresholds);
  });

  const failures: readonly {
    what: string;
    profiles: DiscoveryConfig['profiles'];
    tags: Record<string, string>;
    code: string;
    says: RegExp;
  }[] = [
    {
      what: 'a profile without probes and no probe-url tag',
      profiles: PROFILES,
      tags: { [TAGS.profile]: 'bare' },
      code: 'no-probes',
      says: /lbguard:probe-url=https:\/\/… or give the profile bare probes/,
    },
    {
      what: 'no profile at all and no probe-url tag',
      profiles: {},
      tags: {},
      code: 'no-probes',
      says: /^nothing to probe: tag it lbguard:probe-url=https:\/\/… or give the profile probes$/,
    },
    {
      what: 'a profile named when none exist',
      profiles: {},
      tags: { [TAGS.profile]: 'web' },
      code: 'unknown-profile',
      says: /add it to discovery.profiles$/,
    },
    {
      what: 'a profile far from every name',
      profiles: PROFILES,
      tags: { [TAGS.profile]: 'zzzzzzzz' },
      code: 'unknown-profile',
      says: /profiles: bare, default, web$/,
    },
  ];
  it.each(failures)('fails $what for that load balancer only', ({ profiles, tags, code, says }) => {
    const result = enrol({
      loadBalancers: [
        lb('bad', { [TAGS.guard]: 'true', ...tags }),
        lb('good', { [TAGS.guard]: 'true', [TAGS.probeUrl]: 'https://good.example.com/' }),
      ],
      services: [],
      profiles,
    });
    expect(result.services.map((s) => s.service.name)).toEqual(['good']);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.error.code).toBe(code);
    expect(result.errors[0]?.error.message).toMatch(says);
  });

  it('lets a services[] entry win over the same load balancer tags, and keeps it when not discovered', () => {
    const shop = listedService('shop-listed', 'shop');
    const elsewhere = { ...listedService('far'), loadBalancerArn: arnOf('far', '222222222222') };
    const result = enrol({
      loadBalancers: [lb('shop', { [TAGS.guard]: 'nonsense' })],
      services: [shop, elsewhere, listedService('gone')],
      profiles: PROFILES,
      scope: SCOPE,
    });
    expect(result.errors).toEqual([]);
    expect(result.services.map((s) => [s.service.name, s.source.kind]).sort()).toEqual([
      ['gone', 'config'],
      ['shop-listed', 'config'],
    ]);
  });

  it('refuses a tagged name that repeats a listed or another tagged service, on each of them', () => {
    const result = enrol({
      loadBalancers: [
        lb('a', { [TAGS.guard]: '', [TAGS.name]: 'twin' }),
        lb('b', { [TAGS.guard]: '', [TAGS.name]: 'twin' }),
        lb('c', { [TAGS.guard]: '', [TAGS.name]: 'listed' }),
        lb('d', { [TAGS.guard]: '' }),
      ],
      services: [listedService('listed', 'elsewhere')],
      profiles: PROFILES,
    });
    expect(result.services.map((s) => s.service.name).sort()).toEqual(['d', 'listed']);
    expect(result.errors.map((e) => [e.loadBalancerName, e.error.code])).toEqual(
      expect.arrayContaining([
        ['a', 'duplicate-name'],
        ['b', 'duplicate-name'],
        ['c', 'duplicate-name'],
      ]),
    );
    expect(result.errors.find((e) => e.loadBalancerName === 'c')?.error.message).toBe(
      'service name listed is taken by a services[] entry in this account and region; give each a unique lbguard:name tag',
    );
  });

  const tagSets = fc.oneof(
    fc.constant({}),
    fc.constant({ [TAGS.guard]: 'true' }),
    fc.constant({ [TAGS.guard]: 'false' }),
    fc.constant({ [TAGS.guard]: 'maybe' }),
    fc.constant({ [TAGS.guard]: '', [TAGS.profile]: 'web' }),
    fc.constant({ [TAGS.guard]: '', [TAGS.profile]: 'bare' }),
    fc.constant({ [TAGS.guard]: '', [TAGS.name]: 'twin' }),
    fc.constant({ [TAGS.guard]: '', [TAGS.probeUrl]: 'https://x.example.com/', [TAGS.remediation]: 'off' }),
  );
  const fleets = fc.uniqueArray(
    fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), tags: tagSets }),
    { selector: (x) => x.name, maxLength: 7 },
  );

  it('does not depend on the order of load balancers or of their tags', () => {
    fc.assert(
      fc.property(fleets, fc.infiniteStream(fc.nat()), (fleet, seeds) => {
        const loadBalancers = fleet.map((x) => lb(x.name, x.tags));
        const shuffled = [...loadBalancers]
          .map((x) => ({ x, key: seeds.next().value as number }))
          .sort((p, q) => p.key - q.key)
          .map(({ x }) => ({ ...x, tags: Object.fromEntries(Object.entries(x.tags).reverse()) }));
        const input = { services: [listedService('c-listed', 'c')], profiles: PROFILES };
        expect(enrol({ ...input, loadBalancers: shuffled })).toEqual(enrol({ ...input, loadBalancers }));
      }),
    );
  });

  it('accounts for every load balancer exactly once', () => {
    fc.assert(
      fc.property(fleets, (fleet) => {
        const result = enrol({
          loadBalancers: fleet.map((x) => lb(x.name, x.tags)),
          services: [],
          profiles: PROFILES,
        });
        const arns = [...result.services, ...result.ignored, ...result.errors].map((x) => x.loadBalancerArn);
        expect(arns.sort()).toEqual(fleet.map((x) => arnOf(x.name)).sort());
      }),
    );
  });

  describe('diffEnrolment', () => {
    const run = (...lbs: DiscoveredLoadBalancer[]) =>
      enrol({ loadBalancers: lbs, services: [], profiles: PROFILES });

    it('enrols on create and tag, releases on untag, opt-out, bad tag and delete, with reasons', () => {
      const before = run(
        lb('tagged-later'),
        lb('untagged-later', { [TAGS.guard]: '' }),
        lb('opted-out-later', { [TAGS.guard]: '' }),
        lb('broken-later', { [TAGS.guard]: '' }),
        lb('fixed-later', { [TAGS.guard]: 'maybe' }),
        lb('deleted-later', { [TAGS.guard]: '' }),
        lb('steady', { [TAGS.guard]: '' }),
        lb('renamed', { [TAGS.guard]: '' }),
      );
      const after = run(
        lb('created', { [TAGS.guard]: '' }),
        lb('tagged-later', { [TAGS.guard]: '' }),
        lb('untagged-later'),
        lb('opted-out-later', { [TAGS.guard]: 'false' }),
        lb('broken-later', { [TAGS.guard]: '', [TAGS.name]: 'Bad Name' }),
        lb('fixed-later', { [TAGS.guard]: '' }),
        lb('steady', { [TAGS.guard]: '' }),
        lb('renamed', { [TAGS.guard]: '', [TAGS.name]: 'new-name' }),
      );
      const transitions = diffEnrolment(before, after);
      const summary = Object.fromEntries(
        transitions.map((t) => [
          t.service,
          t.kind === 'update' ? `update from ${t.previousService}` : `${t.kind} ${t.reason}`,
        ]),
      );
      expect(summary).toEqual({
        created: 'enrol created',
        'tagged-later': 'enrol tagged',
        'fixed-later': 'enrol fixed',
        'untagged-later': 'release untagged',
        'opted-out-later': 'release opted-out',
        'broken-later': 'release tag-error',
        'deleted-later': 'release deleted',
        'new-name': 'update from renamed',
      });
      expect(transitions.find((t) => t.service === 'broken-later')).toMatchObject({
        error: { code: 'bad-tag-value', tag: TAGS.name },
      });
      expect(transitions.map((t) => t.loadBalancerArn)).toEqual(
        transitions.map((t) => t.loadBalancerArn).sort(),
      );
    });

    it('reports a services[] entry added as listed and removed as unlisted', () => {
      const withEntry = enrol({
        loadBalancers: [lb('shop')],
        services: [listedService('shop')],
        profiles: PROFILES,
      });
      const without = run(lb('shop'));
      expect(diffEnrolment(without, withEntry)).toEqual([
        { kind: 'enrol', loadBalancerArn: arnOf('shop'), service: 'shop', reason: 'listed' },
      ]);
      expect(diffEnrolment(withEntry, without)).toEqual([
        { kind: 'release', loadBalancerArn: arnOf('shop'), service: 'shop', reason: 'unlisted' },
      ]);
    });

    const enrolments = fleets.map((fleet) => run(...fleet.map((x) => lb(x.name, x.tags))));

    it('finds nothing between an enrolment and itself', () => {
      fc.assert(
        fc.property(enrolments, (e) => {
          expect(diffEnrolment(e, e)).toEqual([]);
        }),
      );
    });

    it('turns the previous services into the current ones when its transitions are applied', () => {
      fc.assert(
        fc.property(enrolments, enrolments, (previous: Enrolment, current: Enrolment) => {
          const names = new Map(previous.services.map((s) => [s.loadBalancerArn, s.service.name]));
          for (const t of diffEnrolment(previous, current)) {
            if (t.kind === 'release') names.delete(t.loadBalancerArn);
            else names.set(t.loadBalancerArn, t.service);
          }
          expect([...names].sort()).toEqual(
            current.services.map((s) => [s.loadBalancerArn, s.service.name]).sort(),
          );
        }),
      );
    });
  });
});

describe('scopes and role ARNs', () => {
  it('builds the role ARN in the region partition', () => {
    expect(fleetRoleArn(ACCOUNT, 'lbguard-fleet-reader', 'eu-west-1')).toBe(
      'arn:aws:iam::111111111111:role/lbguard-fleet-reader',
    );
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
  });

  it('reads the scope of an ELBv2 ARN and nothing else', () => {
    expect(scopeOfArn(arnOf('shop'))).toEqual(SCOPE);
    expect(scopeOfArn('arn:aws:iam::111111111111:role/x')).toBeUndefined();
    expect(inScope(arnOf('shop'), SCOPE)).toBe(true);
    expect(inScope(arnOf('shop', '222222222222'), SCOPE)).toBe(false);
    expect(scopeKey(SCOPE)).toBe('111111111111/eu-west-1');
  });

  it('lists each account and region pair once, accounts first', () => {
    expect(scopesOf(['1', '2', '1'], ['r1', 'r2', 'r2']).map(scopeKey)).toEqual([
      '1/r1',
      '1/r2',
      '2/r1',
      '2/r2',
    ]);
  });
});

describe('the fleet section of the config', () => {
  const base = { services: [], fleet: { roleName: 'lbguard-fleet-reader', regions: ['eu-west-1'] } };
  const cases: readonly { what: string; fleet: object; discovery?: object; path: string; says: string }[] = [
    {
      what: 'neither accounts nor organization',
      fleet: {},
      path: 'fleet.accounts',
      says: 'must list account ids, or set organization: true',
    },
    {
      what: 'both accounts and organization',
      fleet: { accounts: [ACCOUNT], organization: true },
      path: 'fleet.organization',
      says: 'must be left out when accounts are listed',
    },
    {
      what: 'an account id that is not 12 digits',
      fleet: { accounts: ['1234'] },
      path: 'fleet.accounts[0]',
      says: 'must be a 12-digit account id',
    },
    {
      what: 'a role given as an ARN',
      fleet: { organization: true, roleName: 'arn:aws:iam::1:role/x' },
      path: 'fleet.roleName',
      says: 'must be an IAM role name without path',
    },
    {
      what: 'no regions',
      fleet: { organization: true, regions: [] },
      path: 'fleet.regions',
      says: 'must list a region',
    },
    {
      what: 'a misspelt key',
      fleet: { organization: true, concurency: 2 },
      path: 'fleet.concurency',
      says: 'did you mean concurrency?',
    },
    {
      what: 'a profile with a bad probe',
      fleet: { organization: true },
      discovery: { profiles: { web: { probes: [] } } },
      path: 'discovery.profiles.web.probes',
      says: 'must have a probe',
    },
    {
      what: 'a served-by sample without header',
      fleet: { organization: true },
      discovery: {
        profiles: { web: { probes: [{ name: 'p', url: 'https://x.example.com/', servedBySample: {} }] } },
      },
      path: 'discovery.profiles.web.probes[0].servedBySample',
      says: 'needs servedByHeader in the profile',
    },
    {
      what: 'a hub for the organisation without its id',
      fleet: { organization: true, hub: {} },
      path: 'fleet.hub.organizationId',
      says: 'is required with organization: true',
    },
    {
      what: 'a misspelt hub key',
      fleet: { organization: true, hub: { organizationId: 'o-a1b2c3d4e5', coverageMinute: 5 } },
      path: 'fleet.hub.coverageMinute',
      says: 'did you mean coverageMinutes?',
    },
  ];
  it.each(cases)('refuses $what, naming the field', ({ fleet, discovery, path, says }) => {
    const parsed = parseConfig(
      JSON.stringify({
        ...base,
        fleet: { ...base.fleet, ...fleet },
        ...(discovery === undefined ? {} : { discovery }),
      }),
      'x.yaml',
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues).toContainEqual(
      expect.objectContaining({ path, message: expect.stringContaining(says) }),
    );
  });

  it('still needs a service when there is no fleet section', () => {
    const parsed = parseConfig(JSON.stringify({ services: [] }), 'x.yaml');
    expect(parsed.ok === false && parsed.issues[0]?.message).toMatch(/^must list at least one service/);
  });

  it('accepts a fleet-only config and fills defaults', () => {
    const parsed = parseConfig(
      JSON.stringify({ ...base, fleet: { ...base.fleet, organization: true } }),
      'x.yaml',
    );
    expect(parsed.ok && parsed.config.fleet).toEqual({
      roleName: 'lbguard-fleet-reader',
      organization: true,
      regions: ['eu-west-1'],
      concurrency: 4,
    });
  });

  it('accepts a discovery-only config (a spoke guarding tagged load balancers) and fills defaults', () => {
    const parsed = parseConfig(JSON.stringify({ services: [], discovery: {} }), 'x.yaml');
    expect(parsed.ok && parsed.config.discovery).toEqual({ sweepMinutes: 15, profiles: {} });
  });
});
