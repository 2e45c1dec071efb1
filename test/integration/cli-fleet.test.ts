import {
  AddTagsCommand,
  CreateTargetGroupCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  DescribeCreateAccountStatusCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Ec2QueryClient } from '../../drill/world/ec2-query.ts';
import { createListener, createLoadBalancer } from '../../drill/world/elbv2-spec.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { resetMoto } from '../support/aws-env.ts';
import { assumeIn, startDenyingProxy } from '../support/fleet-moto.ts';
import { jsonOf, runCli, workspaceWithConfig } from './cli-support.ts';

// `lbguard status --fleet` and `lint --org` as an operator runs them, against one moto holding
// several accounts (test/support/fleet-moto.ts); a small proxy in front of moto answers
// AssumeRole into DENIED as STS would (403 AccessDenied) and passes everything else through.

const READABLE = ['111111111111', '222222222222', '333333333333'] as const;
const DENIED = '444444444444';
const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const ROLE = 'lbguard-fleet-reader';
const TABLE = 'lbguard-state';

type Scope = { readonly account: string; readonly region: string };
const short = (s: Scope) => `${s.account.slice(0, 1)}-${s.region.replace(/-/g, '').slice(0, 4)}`;

/** The clients of one account and region, as its own resources are created by its owners. */
async function clientsIn(scope: Scope): Promise<{ clients: AwsClients; ec2: Ec2QueryClient }> {
  const credentials = await assumeIn(scope.account, ROLE);
  const endpoint = inject('motoUrl');
  return {
    clients: createAwsClients({ endpoint, region: scope.region, credentials, maxAttempts: 2 }),
    // A loaded machine (other suites share it) can take seconds per EC2 call.
    ec2: new Ec2QueryClient({ endpoint, region: scope.region, credentials, timeoutMs: 30_000 }),
  };
}

/** An ALB with one listener forwarding to an empty target group, tagged `tags`. */
async function createAlb(scope: Scope, name: string, tags: Record<string, string>): Promise<string> {
  const { clients, ec2 } = await clientsIn(scope);
  try {
    const lb = await createLoadBalancer(clients.elbv2, ec2, name, [`${scope.region}a`, `${scope.region}b`]);
    const group = await clients.elbv2.send(
      new CreateTargetGroupCommand({
        Name: `${name}-web`,
        Protocol: 'HTTP',
        Port: 80,
        VpcId: lb.vpcId,
        TargetType: 'ip',
      }),
    );
    await createListener(clients.elbv2, {
      loadBalancerArn: lb.loadBalancerArn,
      port: 80,
      defaultAction: { forwardTo: 'web' },
      groups: { web: { arn: group.TargetGroups?.[0]?.TargetGroupArn ?? '' } },
    });
    const entries = Object.entries(tags);
    if (entries.length > 0) {
      await clients.elbv2.send(
        new AddTagsCommand({
          ResourceArns: [lb.loadBalancerArn],
          Tags: entries.map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    }
    return lb.loadBalancerArn;
  } finally {
    destroyAwsClients(clients);
  }
}

const CONFIG = `version: 1
services: []
fleet:
  roleName: ${ROLE}
  accounts: ['${READABLE.join("', '")}', '${DENIED}']
  regions: [${REGIONS.join(', ')}]
  concurrency: 3
discovery:
  profiles:
    default:
      remediation:
        mode: dry-run
`;

interface ScopeDoc {
  account: string;
  region: string;
  status: 'read' | 'failed';
  stage?: string;
  error?: string;
  services?: {
    service: string;
    loadBalancerArn: string;
    status: string;
    diagnosis?: { cause: string };
    errors?: number;
  }[];
  ignored?: { loadBalancerArn: string; reason: string }[];
  tagErrors?: { loadBalancerArn: string; code: string; message: string }[];
}

const scopes: Scope[] = READABLE.flatMap((account) => REGIONS.map((region) => ({ account, region })));
const guarded = new Map<string, string[]>();
const untagged = new Map<string, string>();
let brokenArn = '';
let proxy: { url: string; close(): Promise<void> };
let cwd: string;

const key = (s: Scope) => `${s.account}/${s.region}`;
const run = (...args: string[]) => runCli(args, { cwd, env: { AWS_ENDPOINT_URL: proxy.url } });

beforeAll(async () => {
  await resetMoto();
  proxy = await startDenyingProxy(inject('motoUrl'), DENIED);
  cwd = workspaceWithConfig(CONFIG);
  for (const scope of scopes) {
    const name = `t-${short(scope)}`;
    const tagged = await createAlb(scope, name, {
      'lbguard:guard': 'true',
      'lbguard:probe-url': `https://${name}.example.com/health`,
    });
    guarded.set(key(scope), [tagged]);
    untagged.set(key(scope), await createAlb(scope, `u-${short(scope)}`, { team: 'web' }));
    const { clients } = await clientsIn(scope);
    await createStateTable(clients.dynamodb, TABLE);
    destroyAwsClients(clients);
  }
  // One load balancer whose guard tag is a typo: an error for it alone.
  brokenArn = await createAlb({ account: READABLE[1], region: 'eu-west-1' }, 'typo', {
    'lbguard:guard': 'yes',
  });
}, 240_000);

afterAll(async () => {
  await proxy?.close();
});

function byScope(docs: readonly ScopeDoc[]): Map<string, ScopeDoc> {
  return new Map(docs.map((d) => [`${d.account}/${d.region}`, d]));
}

describe('lbguard status --fleet over 4 accounts × 2 regions', () => {
  it('lists exactly the tagged load balancers per account and region, and the unreadable account as an error', async () => {
    const result = await run('status', '--fleet', '--json');
    const doc = jsonOf<{ exitCode: number; fleet: { accounts: string[]; scopes: ScopeDoc[] } }>(result);
    // The denied account makes the run exit 3, and the rest is still reported.
    expect(result.code, result.stderr).toBe(3);
    expect(doc.fleet.accounts).toEqual([...READABLE, DENIED]);
    expect(doc.fleet.scopes).toHaveLength(8);
    const found = byScope(doc.fleet.scopes);
    for (const scope of scopes) {
      const s = found.get(key(scope));
      expect(s?.status, JSON.stringify(s)).toBe('read');
      expect(s?.services?.map((x) => x.loadBalancerArn)).toEqual(guarded.get(key(scope)));
      expect(
        s?.services?.every((x) => x.status === 'read' && typeof x.diagnosis?.cause === 'string'),
        JSON.stringify(s?.services),
      ).toBe(true);
      expect(s?.ignored).toContainEqual({ loadBalancerArn: untagged.get(key(scope)), reason: 'untagged' });
    }
    expect(found.get(`${READABLE[1]}/eu-west-1`)?.tagErrors).toEqual([
      {
        loadBalancerArn: brokenArn,
        loadBalancerName: 'typo',
        code: 'bad-tag-value',
        message: 'tag lbguard:guard must be true (or empty) to guard, or false to opt out',
      },
    ]);
    for (const region of REGIONS) {
      expect(found.get(`${DENIED}/${region}`)).toMatchObject({
        status: 'failed',
        stage: 'assume-role',
        error: expect.stringContaining(`AccessDenied`),
      });
    }
  });

  it('prints one line per account and region, then the services and tag errors under it', async () => {
    const result = await run('status', '--fleet');
    expect(result.code).toBe(3);
    const lines = result.stdout.split('\n');
    for (const scope of scopes) {
      const line = lines.find((l) => l.includes(`${scope.account} ${scope.region}`));
      expect(line, result.stdout).toMatch(/1 guarded service, 1 untagged/);
    }
    expect(lines.filter((l) => l.includes(`${DENIED} `))).toEqual([
      expect.stringMatching(new RegExp(`${DENIED} us-east-1 {2}failed at assume-role: AccessDenied`)),
      expect.stringMatching(new RegExp(`${DENIED} eu-west-1 {2}failed at assume-role: AccessDenied`)),
    ]);
    expect(result.stdout).toContain('typo  not guarded: tag lbguard:guard must be true');
    expect(result.stdout).toContain(
      'fleet: 4 accounts × 2 regions, 6 guarded services; 2 account/regions could not be read',
    );
  });

  it('enrols a newly tagged load balancer and releases an untagged one on the next run, with no redeploy', async () => {
    const a = { account: READABLE[0], region: 'us-east-1' };
    const b = { account: READABLE[2], region: 'eu-west-1' };
    const { clients: ca } = await clientsIn(a);
    const { clients: cb } = await clientsIn(b);
    const newlyTagged = untagged.get(key(a)) as string;
    const released = (guarded.get(key(b)) as string[])[0] as string;
    await ca.elbv2.send(
      new AddTagsCommand({
        ResourceArns: [newlyTagged],
        Tags: [
          { Key: 'lbguard:guard', Value: '' },
          { Key: 'lbguard:probe-url', Value: 'https://new.example.com/' },
        ],
      }),
    );
    await cb.elbv2.send(new RemoveTagsCommand({ ResourceArns: [released], TagKeys: ['lbguard:guard'] }));
    destroyAwsClients(ca);
    destroyAwsClients(cb);

    const found = byScope(
      jsonOf<{ fleet: { scopes: ScopeDoc[] } }>(await run('status', '--fleet', '--json')).fleet.scopes,
    );
    expect(
      found
        .get(key(a))
        ?.services?.map((s) => s.loadBalancerArn)
        .sort(),
    ).toEqual([...(guarded.get(key(a)) ?? []), newlyTagged].sort());
    expect(found.get(key(b))?.services).toEqual([]);
    expect(found.get(key(b))?.ignored).toContainEqual({ loadBalancerArn: released, reason: 'untagged' });
  });
});

describe('lbguard lint --org', () => {
  it('lints every guarded load balancer per account and region, isolating the denied account', async () => {
    const result = await run('lint', '--org', '--json');
    expect(result.code, result.stderr).toBe(3);
    const found = byScope(jsonOf<{ fleet: { scopes: ScopeDoc[] } }>(result).fleet.scopes);
    expect([...found.values()].filter((s) => s.status === 'read')).toHaveLength(6);
    expect(found.get(`${READABLE[1]}/us-east-1`)?.services).toEqual([
      expect.objectContaining({
        status: 'read',
        service: `t-${short({ account: READABLE[1], region: 'us-east-1' })}`,
      }),
    ]);
    expect(found.get(`${DENIED}/eu-west-1`)).toMatchObject({ status: 'failed', stage: 'assume-role' });
  });

  it('prints each service with its lint findings under its account and region line', async () => {
    const result = await run('lint', '--org');
    expect(result.code).toBe(3);
    const lines = result.stdout.split('\n');
    const at = lines.findIndex((l) => l.includes(`${READABLE[2]} us-east-1`));
    expect(lines[at], result.stdout).toMatch(/1 guarded service, 1 untagged/);
    expect(lines[at + 1]).toMatch(/t-3-usea \(tags, profile default\) {2}\d+ errors?, \d+ warnings?/);
    // The findings follow, each with its rule id and its fix, as plain `lbguard lint` shows them.
    expect(lines[at + 2]).toMatch(/^ {4}.*LBG-L\d+/);
    expect(lines.slice(at + 2).find((l) => l.includes('fix:'))).toBeDefined();
  });

  it('refuses --service with --org, and a config without a fleet section, as usage errors', async () => {
    expect((await run('lint', '--org', '--service', 'x')).code).toBe(2);
    const plain = workspaceWithConfig(
      'services:\n  - name: shop\n    loadBalancerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188\n    probes: [{ name: p, url: "https://x.example.com/" }]\n',
    );
    const result = await runCli(['status', '--fleet'], { cwd: plain, env: { AWS_ENDPOINT_URL: proxy.url } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--fleet needs a fleet section in the config');
    // A fleet-only config has no services for the single-account commands to act on.
    const plainStatus = await run('status');
    expect(plainStatus.code).toBe(2);
    expect(plainStatus.stderr).toContain('the config lists no services: its load balancers are found by tag');
  });
});

describe('lbguard lint --org with organization: true', () => {
  it('reads every active account the organisation lists, its own management account included', async () => {
    const client = new OrganizationsClient({
      endpoint: inject('motoUrl'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await client.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const created = await client.send(
      new CreateAccountCommand({ AccountName: 'web', Email: 'web@example.com' }),
    );
    const status = await client.send(
      new DescribeCreateAccountStatusCommand({
        CreateAccountRequestId: created.CreateAccountStatus?.Id ?? '',
      }),
    );
    client.destroy();
    const member = status.CreateAccountStatus?.AccountId ?? '';
    expect(member).toMatch(/^\d{12}$/);
    const shop = await createAlb({ account: member, region: 'us-east-1' }, 'org-shop', {
      'lbguard:guard': 'true',
      'lbguard:probe-url': 'https://org-shop.example.com/',
    });
    const dir = workspaceWithConfig(
      `services: []\nfleet:\n  roleName: ${ROLE}\n  organization: true\n  regions: [us-east-1]\n`,
    );
    const result = await runCli(['lint', '--org', '--json'], {
      cwd: dir,
      env: { AWS_ENDPOINT_URL: proxy.url },
    });
    const doc = jsonOf<{ fleet: { accounts: string[]; scopes: ScopeDoc[] } }>(result);
    // Every account read; the shop forwards to a group without targets, which lint calls an error.
    expect(result.code, result.stderr).toBe(1);
    // moto's default identity (the key "testing") is the organisation's management account.
    expect(doc.fleet.accounts).toEqual(['123456789012', member].sort());
    const found = byScope(doc.fleet.scopes);
    expect(found.get(`${member}/us-east-1`)?.services).toEqual([
      expect.objectContaining({ loadBalancerArn: shop, status: 'read', errors: expect.any(Number) }),
    ]);
    expect(found.get('123456789012/us-east-1')).toMatchObject({ status: 'read', services: [] });
  });
});
