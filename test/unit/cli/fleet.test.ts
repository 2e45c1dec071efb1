import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { AwsContext } from '../../../cli/context.ts';
import { CliError } from '../../../cli/exit.ts';
import { ListedAccounts, OrganizationsAccounts } from '../../../cli/fleet/accounts.ts';
import {
  describeFailure,
  type FleetPorts,
  fanOut,
  hasFailures,
  hasTagErrors,
} from '../../../cli/fleet/fan-out.ts';
import { StsRoleAssumer } from '../../../cli/fleet/roles.ts';
import { Elbv2LoadBalancerDiscovery } from '../../../lambdas/adapters/elbv2/discovery.ts';
import type { FleetConfig } from '../../../lib/config/index.ts';
import type { DiscoveredLoadBalancer, Scope } from '../../../lib/fleet/index.ts';

const orgs = mockClient(OrganizationsClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const sts = mockClient(STSClient);
afterEach(() => {
  orgs.reset();
  elbv2.reset();
  sts.reset();
});

const arn = (account: string, region: string, name: string) =>
  `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/0123456789abcdef`;

describe('OrganizationsAccounts', () => {
  it('reads every page and keeps the active accounts only, sorted', async () => {
    orgs
      .on(ListAccountsCommand, {})
      .resolves({
        Accounts: [
          { Id: '333333333333', State: 'ACTIVE' },
          { Id: '222222222222', State: 'SUSPENDED' },
        ],
        NextToken: 'p2',
      })
      .on(ListAccountsCommand, { NextToken: 'p2' })
      .resolves({ Accounts: [{ Id: '111111111111', Status: 'ACTIVE' }, { Id: '444444444444' }] });
    const ids = await new OrganizationsAccounts(
      new OrganizationsClient({ region: 'us-east-1' }),
    ).listAccounts();
    expect(ids).toEqual(['111111111111', '333333333333', '444444444444']);
  });

  it('lists configured accounts as written', async () => {
    expect(await new ListedAccounts(['2', '1']).listAccounts()).toEqual(['2', '1']);
  });
});

describe('StsRoleAssumer', () => {
  const client = () => new STSClient({ region: 'us-east-1' });

  it('assumes the fleet role once per account, in the partition of the region', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'AKIA', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date() },
    });
    const roles = new StsRoleAssumer(client(), 'reader', 'cn-north-1');
    const [a, b] = await Promise.all([
      roles.credentialsFor('111111111111'),
      roles.credentialsFor('111111111111'),
    ]);
    expect(a).toEqual({ accessKeyId: 'AKIA', secretAccessKey: 's', sessionToken: 't' });
    expect(b).toBe(a);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
      'arn:aws-cn:iam::111111111111:role/reader',
    ]);
  });

  it('fails when STS answers without credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({});
    await expect(new StsRoleAssumer(client(), 'reader', 'eu-west-1').credentialsFor('1')).rejects.toThrow(
      'returned no credentials',
    );
  });
});

describe('Elbv2LoadBalancerDiscovery', () => {
  it('lists every page of application load balancers and reads their tags 20 at a time', async () => {
    const names = Array.from({ length: 45 }, (_, i) => `lb-${i}`);
    const lbs = names.map((name) => ({
      LoadBalancerArn: arn('1', 'r', name),
      LoadBalancerName: name,
      Type: 'application' as const,
    }));
    elbv2
      .on(DescribeLoadBalancersCommand, {})
      .resolves({
        LoadBalancers: [
          ...lbs.slice(0, 30),
          { LoadBalancerArn: 'nlb', LoadBalancerName: 'nlb', Type: 'network' },
        ],
        NextMarker: 'm',
      })
      .on(DescribeLoadBalancersCommand, { Marker: 'm' })
      .resolves({ LoadBalancers: lbs.slice(30) })
      .on(DescribeTagsCommand)
      .callsFake((input: { ResourceArns: string[] }) => ({
        TagDescriptions: input.ResourceArns.map((a) => ({
          ResourceArn: a,
          Tags: a.includes('/lb-7/') ? [{ Key: 'lbguard:guard', Value: 'true' }, { Key: 'team' }] : [],
        })),
      }));
    const found = await new Elbv2LoadBalancerDiscovery(
      new ElasticLoadBalancingV2Client({ region: 'r' }),
    ).listLoadBalancers();
    expect(found.map((lb) => lb.loadBalancerName)).toEqual(names);
    expect(found[7]?.tags).toEqual({ 'lbguard:guard': 'true', team: '' });
    expect(elbv2.commandCalls(DescribeTagsCommand).map((c) => c.args[0].input.ResourceArns?.length)).toEqual([
      20, 20, 5,
    ]);
  });
});

/** Fakes: what each account and region holds, and which calls fail. */
function fakePorts(world: {
  readonly lbs: Readonly<Record<string, readonly DiscoveredLoadBalancer[]>>;
  readonly deniedAccounts?: readonly string[];
  readonly failingRegions?: readonly string[];
}) {
  const assumed: string[] = [];
  const closed: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const ports: FleetPorts = {
    accounts: new ListedAccounts(['111111111111', '222222222222']),
    roles: {
      credentialsFor: async (account) => {
        assumed.push(account);
        if (world.deniedAccounts?.includes(account)) {
          throw Object.assign(new Error('not authorized to perform: sts:AssumeRole'), {
            name: 'AccessDenied',
          });
        }
        return { accessKeyId: account, secretAccessKey: 's', sessionToken: 't' };
      },
    },
    contextFor: (scope: Scope) =>
      ({
        region: scope.region,
        tableName: scope.account,
        close: () => closed.push(`${scope.account}/${scope.region}`),
      }) as unknown as AwsContext,
    discoveryFor: (aws) => ({
      listLoadBalancers: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        const key = `${aws.tableName}/${aws.region}`;
        if (world.failingRegions?.includes(key)) throw new Error('socket hang up');
        return [...(world.lbs[key] ?? [])];
      },
    }),
  };
  return { ports, assumed, closed, maxInFlight: () => maxInFlight };
}

const FLEET: FleetConfig = {
  roleName: 'reader',
  accounts: ['111111111111', '222222222222'],
  regions: ['eu-west-1', 'us-east-1'],
  concurrency: 2,
};

const tagged = (account: string, region: string, name: string): DiscoveredLoadBalancer => ({
  loadBalancerArn: arn(account, region, name),
  loadBalancerName: name,
  tags: { 'lbguard:guard': 'true', 'lbguard:probe-url': `https://${name}.example.com/` },
});

describe('fanOut', () => {
  it('reports each account and region on its own: a denied role, a failed listing, a failed service', async () => {
    const fake = fakePorts({
      lbs: {
        '111111111111/eu-west-1': [
          tagged('111111111111', 'eu-west-1', 'shop'),
          tagged('111111111111', 'eu-west-1', 'boom'),
        ],
        '111111111111/us-east-1': [
          { ...tagged('111111111111', 'us-east-1', 'typo'), tags: { 'lbguard:guard': 'yes' } },
        ],
      },
      deniedAccounts: ['222222222222'],
      failingRegions: [],
    });
    const report = await fanOut(FLEET, { services: [], profiles: {} }, fake.ports, {
      perService: async (_aws, service) => {
        if (service.name === 'boom') throw new Error('throttled');
        return service.name.toUpperCase();
      },
    });
    expect(
      report.scopes.map((s) => [s.account, s.region, s.status, s.status === 'failed' ? s.stage : '']),
    ).toEqual([
      ['111111111111', 'eu-west-1', 'read', ''],
      ['111111111111', 'us-east-1', 'read', ''],
      ['222222222222', 'eu-west-1', 'failed', 'assume-role'],
      ['222222222222', 'us-east-1', 'failed', 'assume-role'],
    ]);
    const first = report.scopes[0];
    expect(first?.status === 'read' && first.services.map((s) => [s.service, s.outcome])).toEqual([
      ['boom', { status: 'failed', error: 'throttled' }],
      ['shop', { status: 'read', result: 'SHOP' }],
    ]);
    expect(report.scopes[2]).toMatchObject({
      error: 'AccessDenied: not authorized to perform: sts:AssumeRole',
    });
    expect(hasFailures(report)).toBe(true);
    expect(hasTagErrors(report)).toBe(true);
    expect(fake.closed.sort()).toEqual(['111111111111/eu-west-1', '111111111111/us-east-1']);
  });

  it('fails a region whose listing or preparation fails, keeps the others, and bounds concurrency', async () => {
    const fake = fakePorts({
      lbs: {
        '111111111111/eu-west-1': [tagged('111111111111', 'eu-west-1', 'shop')],
        '222222222222/eu-west-1': [tagged('222222222222', 'eu-west-1', 'blog')],
        '222222222222/us-east-1': [],
      },
      failingRegions: ['111111111111/us-east-1'],
    });
    const report = await fanOut(FLEET, { services: [], profiles: {} }, fake.ports, {
      // Only scopes with a service are prepared; the empty one is not.
      prepare: async (aws) => {
        if (aws.tableName === '222222222222')
          throw new CliError('aws', 'the lbguard state table lbguard-state does not exist');
      },
      perService: async () => 'ok',
    });
    expect(report.scopes.map((s) => (s.status === 'failed' ? `${s.stage}: ${s.error}` : 'read'))).toEqual([
      'read',
      'list-load-balancers: socket hang up',
      'prepare: the lbguard state table lbguard-state does not exist',
      'read',
    ]);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(2);
    expect(fake.assumed.sort()).toEqual(['111111111111', '111111111111', '222222222222', '222222222222']);
    expect(hasTagErrors(report)).toBe(false);
  });
});

describe('describeFailure', () => {
  it('names the error class unless the message already does', () => {
    expect(describeFailure(Object.assign(new Error('no'), { name: 'AccessDenied' }))).toBe(
      'AccessDenied: no',
    );
    expect(describeFailure(new Error('plain'))).toBe('plain');
    expect(describeFailure('text')).toBe('text');
  });
});
