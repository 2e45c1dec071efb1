// The CDK app's front door (config file → stack) and the pure helpers the construct is built on.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lbguardFunctionCode, PREBUILT_BUNDLES_DIR } from '../../../infra/bundling.ts';
import { loadConfigFile, resolveConfigPath } from '../../../infra/config-file.ts';
import {
  EnvironmentTooLargeError,
  estimateEnvironmentBytes,
  InvalidLoadBalancerArnError,
  LbGuard,
  parseLoadBalancerArn,
  remediationWriteStatements,
  routingChangePattern,
  stackEnvironmentFor,
  targetGroupFullName,
} from '../../../infra/index.ts';
import { configYaml, LB_ARN, testConfig } from './support.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
const BAD_CONFIG = `
version: 1
services:
  - name: Shop
    loadBalancerArn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef
    probes: []
    remediation: { mode: yolo }
`;

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'lbguard-app-'));
}

function writeTemp(name: string, text: string): string {
  const dir = tempDir();
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function runApp(env: Record<string, string>, args: readonly string[] = []) {
  return spawnSync('npx', ['--no-install', 'tsx', 'infra/app.ts', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

describe('infra/app.ts with a bad config', () => {
  it('exits non-zero with every problem named by file and path, before synthesizing anything', () => {
    const config = writeTemp('bad.yaml', BAD_CONFIG);
    const outdir = tempDir();
    const run = runApp({ LBGUARD_CONFIG: config, CDK_OUTDIR: outdir });
    expect(run.status).toBe(1);
    const source = path.relative(REPO, config);
    expect(run.stderr).toContain(`${source} is not valid (4 problems); nothing was synthesized`);
    // The wording belongs to lib/config; what the app owes is one line per problem, by path.
    for (const at of [
      'services[0].name',
      'services[0].loadBalancerArn',
      'services[0].probes',
      'services[0].remediation.mode',
    ]) {
      expect(run.stderr).toContain(`${source}: ${at}: `);
    }
    expect(readdirSync(outdir)).toEqual([]);
  });

  it('fails `cdk synth -c config=…` the same way', { timeout: 60_000 }, () => {
    const config = writeTemp('bad.yaml', BAD_CONFIG);
    const outdir = tempDir();
    const run = spawnSync(
      'npx',
      ['--no-install', 'cdk', 'synth', '--quiet', '-o', outdir, '-c', `config=${config}`],
      {
        cwd: REPO,
        encoding: 'utf8',
      },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('services[0].loadBalancerArn: is a target group ARN');
    expect(existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
  });

  it('says where it looked when there is no config at all', () => {
    const result = loadConfigFile({ cwd: tempDir() });
    expect(result).toEqual({ ok: false, message: expect.stringContaining('no configuration found') });
  });

  it('names an unreadable config path', () => {
    const dir = tempDir();
    const result = loadConfigFile({ cwd: dir, contextPath: 'missing.yaml' });
    expect(result).toEqual({
      ok: false,
      message: expect.stringContaining('cannot read configuration missing.yaml'),
    });
  });
});

describe('infra/app.ts with a good config', () => {
  it('synthesizes a nag-clean stack pinned to the load balancer account and region', {
    timeout: 120_000,
  }, () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'lbguard.config.yaml'), configYaml());
    const outdir = tempDir();
    const run = runApp({ LBGUARD_CONFIG: path.join(dir, 'lbguard.config.yaml'), CDK_OUTDIR: outdir });
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(path.join(outdir, 'LbGuard.template.json'))).toBe(true);
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      version: string;
    };
    const template = JSON.parse(readFileSync(path.join(outdir, 'LbGuard.template.json'), 'utf8')) as {
      Description?: string;
    };
    expect(template.Description?.slice(0, `lbguard ${version}: `.length)).toBe(`lbguard ${version}: `);
    const manifest = JSON.parse(
      spawnSync('cat', [path.join(outdir, 'manifest.json')], { encoding: 'utf8' }).stdout,
    ) as { artifacts: Record<string, { environment?: string }> };
    expect(manifest.artifacts.LbGuard?.environment).toBe('aws://123456789012/eu-west-1');
  });
});

describe('resolveConfigPath', () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'nested'));
  writeFileSync(path.join(dir, 'lbguard.config.example.yaml'), '');

  it.each([
    [
      { contextPath: 'a.yaml', envPath: 'b.yaml' },
      { kind: 'explicit', path: path.join(dir, 'a.yaml') },
    ],
    [{ envPath: 'b.yaml' }, { kind: 'explicit', path: path.join(dir, 'b.yaml') }],
    [
      { contextPath: ' ', envPath: 'b.yaml' },
      { kind: 'explicit', path: path.join(dir, 'b.yaml') },
    ],
    [{}, { kind: 'example', path: path.join(dir, 'lbguard.config.example.yaml') }],
  ])('resolves %j to %j', (given, expected) => {
    expect(resolveConfigPath({ cwd: dir, ...given })).toEqual(expected);
  });

  it('prefers lbguard.config.yaml over the example', () => {
    writeFileSync(path.join(dir, 'lbguard.config.yaml'), '');
    expect(resolveConfigPath({ cwd: dir })).toEqual({
      kind: 'default',
      path: path.join(dir, 'lbguard.config.yaml'),
    });
  });

  it('reads LBGUARD_CONFIG as the config itself when it holds JSON, as inside a function', () => {
    const json = JSON.stringify(testConfig());
    expect(loadConfigFile({ cwd: dir, envPath: json })).toEqual({
      ok: true,
      config: testConfig(),
      source: 'LBGUARD_CONFIG',
    });
  });
});

describe('parseLoadBalancerArn', () => {
  it('splits a literal ALB ARN into the scopes lbguard uses', () => {
    const parts = parseLoadBalancerArn(LB_ARN);
    expect(parts).toMatchObject({
      partition: 'aws',
      region: 'eu-west-1',
      account: '123456789012',
      fullName: 'app/shop/50dc6c495c0c9188',
      listenerArnPattern:
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/*',
      listenerRuleArnPattern:
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/*',
      targetGroupArnPattern: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/*',
    });
  });

  it.each([
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/nlb/50dc6c495c0c9188',
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/50dc6c495c0c9188',
    'arn:aws:elasticloadbalancing:eu-west-1:1234:loadbalancer/app/shop/50dc6c495c0c9188',
    '*',
  ])('rejects %s', (arn) => {
    expect(() => parseLoadBalancerArn(arn)).toThrow(InvalidLoadBalancerArnError);
  });

  it('keeps every derived pattern inside the load balancer it came from', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'),
        fc.constantFrom('eu-west-1', 'us-east-1', 'ap-southeast-2'),
        fc.stringMatching(/^\d{12}$/),
        fc.stringMatching(/^[A-Za-z0-9-]{1,32}$/),
        fc.stringMatching(/^[0-9a-f]{16}$/),
        (partition, region, account, name, id) => {
          const arn = `arn:${partition}:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/${id}`;
          const parts = parseLoadBalancerArn(arn);
          expect(parts.fullName).toBe(`app/${name}/${id}`);
          expect(parts.listenerArnPattern).toBe(`${arn.replace(':loadbalancer/', ':listener/')}/*`);
          expect(parts.listenerRuleArnPattern).toBe(`${arn.replace(':loadbalancer/', ':listener-rule/')}/*`);
          expect(
            parts.targetGroupArnPattern.startsWith(
              `arn:${partition}:elasticloadbalancing:${region}:${account}:`,
            ),
          ).toBe(true);
        },
      ),
    );
  });
});

describe('targetGroupFullName', () => {
  it('is the ALB metric dimension of a target group ARN', () => {
    expect(
      targetGroupFullName(
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef',
      ),
    ).toBe('targetgroup/web/0123456789abcdef');
  });

  it('refuses an ARN that is not a target group', () => {
    expect(() => targetGroupFullName(LB_ARN)).toThrow(/not a target group ARN/);
  });
});

describe('remediationWriteStatements', () => {
  const scope = fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    id: fc.stringMatching(/^[0-9a-f]{16}$/),
    targetGroups: fc.array(fc.stringMatching(/^[a-z]{1,10}\/[0-9a-f]{16}$/), { maxLength: 3 }),
    allowCreateRule: fc.boolean(),
  });

  it('never grants a write action on "*", whatever the services', () => {
    fc.assert(
      fc.property(fc.array(scope, { maxLength: 4 }), (scopes) => {
        const statements = remediationWriteStatements(
          scopes.map((s) => ({
            loadBalancer: parseLoadBalancerArn(
              `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/${s.name}/${s.id}`,
            ),
            targetGroupArns: s.targetGroups.map(
              (tg) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${tg}`,
            ),
            allowCreateRule: s.allowCreateRule,
          })),
        );
        for (const statement of statements) {
          const json = statement.toStatementJson() as {
            Resource: string | string[];
            Action: string | string[];
          };
          const resources = Array.isArray(json.Resource) ? json.Resource : [json.Resource];
          expect(resources).not.toContain('*');
          for (const resource of resources) {
            expect(resource).toMatch(
              /^arn:aws:elasticloadbalancing:eu-west-1:123456789012:(listener|listener-rule|targetgroup)\//,
            );
          }
        }
        const actions = statements.flatMap((s) => s.actions);
        expect(actions.includes('elasticloadbalancing:CreateRule')).toBe(
          scopes.some((s) => s.allowCreateRule),
        );
        expect(actions.some((a) => /Deregister|Delete/.test(a))).toBe(false);
      }),
    );
  });
});

describe('routingChangePattern', () => {
  it('watches every guarded load balancer and only named target groups when given', () => {
    const other = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/api/0123456789abcdef';
    const tg = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';
    const pattern = routingChangePattern([
      { loadBalancer: parseLoadBalancerArn(LB_ARN), targetGroupArns: [] },
      { loadBalancer: parseLoadBalancerArn(other), targetGroupArns: [tg] },
    ]);
    const alternatives = (pattern.detail as { $or: unknown[] }).$or;
    expect(alternatives).toContainEqual({ requestParameters: { loadBalancerArn: [LB_ARN] } });
    expect(alternatives).toContainEqual({ requestParameters: { loadBalancerArn: [other] } });
    expect(alternatives).toContainEqual({ requestParameters: { targetGroupArn: [tg] } });
    expect(alternatives).toContainEqual({
      requestParameters: {
        targetGroupArn: [{ prefix: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/' }],
      },
    });
  });
});

describe('stackEnvironmentFor', () => {
  it('pins the stack to the account and region of the load balancers', () => {
    expect(stackEnvironmentFor(testConfig())).toEqual({
      ok: true,
      account: '123456789012',
      region: 'eu-west-1',
    });
  });

  it('refuses load balancers spread over several accounts or regions', () => {
    const config = testConfig();
    const first = config.services[0];
    if (first === undefined) throw new Error('fixture has a service');
    const spread = {
      ...config,
      region: undefined,
      services: [
        first,
        {
          ...first,
          name: 'api',
          loadBalancerArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/api/0123456789abcdef',
        },
      ],
    };
    const { region: _region, ...withoutRegion } = spread;
    expect(stackEnvironmentFor(withoutRegion)).toEqual({
      ok: false,
      message: expect.stringContaining('deploy one lbguard per account and region'),
    });
  });
});

describe("where the functions' code comes from", () => {
  it('in a clone, never from a dist/ that npm pack left behind: prebuilt bundles live only in the package', () => {
    expect(PREBUILT_BUNDLES_DIR).toBe(path.join(REPO, 'lambda-bundles'));
    expect(existsSync(PREBUILT_BUNDLES_DIR)).toBe(false);
  });

  it('names both places it looked when a lambdasDir holds no handler to bundle', () => {
    const dir = tempDir();
    expect(() => lbguardFunctionCode('inspect', dir)).toThrow(
      `nor sources to bundle (${path.join(dir, 'inspect', 'handler.ts')})`,
    );
    expect(() => lbguardFunctionCode('inspect', dir)).toThrow('neither a prebuilt bundle');
  });
});

describe('Lambda environment size', () => {
  it('counts keys, literal text and each token at its worst-case length', () => {
    expect(estimateEnvironmentBytes({ AB: 'cd' })).toBe(4);
    const token = Lazy.string({ produce: () => 'resolved later' });
    expect(estimateEnvironmentBytes({ A: `x${token}y` })).toBe(1 + 2 + 256);
  });

  it('fails synth with a clear message when the config would not fit in 4 KB', () => {
    const config = testConfig();
    const first = config.services[0];
    if (first === undefined) throw new Error('fixture has a service');
    const probes = Array.from({ length: 40 }, (_, i) => ({ ...first.probes[0], name: `probe-${i}` }));
    const huge = { ...config, services: [{ ...first, probes }] } as typeof config;
    const stack = new Stack(new App(), 'Huge');
    expect(() => new LbGuard(stack, 'Guard', { config: huge })).toThrow(EnvironmentTooLargeError);
    expect(() => new LbGuard(new Stack(new App(), 'Huge2'), 'Guard', { config: huge })).toThrow(
      /over Lambda's 4096-byte limit/,
    );
  });

  it('refuses per-service resources for a service the config does not have', () => {
    const stack = new Stack(new App(), 'Typo');
    expect(
      () =>
        new LbGuard(stack, 'Guard', { config: testConfig(), services: { shpo: { targetGroupArns: [] } } }),
    ).toThrow(/services.shpo is not a service in the config/);
  });
});

describe('cdk-nag wiring', () => {
  it('fails synthesis on an unacknowledged finding, so a clean synth means zero findings', () => {
    const app = new App({ outdir: tempDir() });
    const stack = new Stack(app, 'Noisy');
    new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });
});
