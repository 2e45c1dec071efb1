// lbguard as CDK users install constructs: `npm pack`, then the tarball installed into a fresh CDK
// app in a temporary directory outside the repository, next to nothing but what such an app has
// (aws-cdk-lib, constructs, cdk-nag, the CDK CLI, @types/node). The app imports `lbguard/cdk` by
// package name, guards an imported load balancer, registers cdk-nag and the lint plugin, and is
// type-checked and synthesized; the installed `lbguard` bin must run. Versions come from this
// repository's lockfile and npm's cache (`--prefer-offline`), so the install is quick and repeatable.
// LBGUARD_KEEP_PACKAGE_TEST=1 keeps the temporary directory for a look after a failure.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const PACKAGE = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
const LOCK = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string }>;
};
const LB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const BUNDLE_BUDGET_BYTES = 500_000;

/** `name@version` as this repository's lockfile pins it. */
function locked(name: string): string {
  const version = LOCK.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`package-lock.json pins no ${name}`);
  return `${name}@${version}`;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with no AWS credentials to find and no network calls the CDK CLI would make. */
function run(command: string, args: readonly string[], cwd: string): Run {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      // Whatever a test run inherits, nothing here may reach AWS; synth needs no credentials.
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      CI: 'true',
      npm_config_update_notifier: 'false',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(result: Run, what: string): Run {
  if (result.status !== 0) {
    throw new Error(
      `${what} exited ${result.status}:\n${result.stderr.slice(-4000)}\n${result.stdout.slice(-2000)}`,
    );
  }
  return result;
}

const APP = `import { App, Stack, Validations } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LbGuard, LbGuardLintPlugin, loadConfigFile } from 'lbguard/cdk';

const loaded = loadConfigFile({ cwd: process.cwd() });
if (!loaded.ok) throw new Error(loaded.message);

const app = new App();
const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'eu-west-1' } });
// A load balancer this app did not create: fromLookup would need AWS, attributes do not.
const alb = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Alb', {
  loadBalancerArn: '${LB_ARN}',
  securityGroupId: 'sg-0123456789abcdef0',
});
new LbGuard(stack, 'Guard', { config: loaded.config, services: { shop: { loadBalancer: alb } } });
if (app.node.tryGetContext('broken') === 'true') {
  // The control: what each plugin must catch, so that a clean synth means they looked.
  alb.addListener('Maintenance', { port: 8080, defaultAction: elbv2.ListenerAction.fixedResponse(503) });
  new sqs.Queue(stack, 'Loose');
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new LbGuardLintPlugin());
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2024',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    verbatimModuleSyntax: true,
  },
  files: ['app.ts'],
};

/** cdk.out/policy-validation-report.json: only plugins that failed or found something appear. */
interface ValidationReport {
  readonly pluginReports: readonly {
    readonly version?: string;
    readonly summary: { readonly pluginName: string; readonly status: string };
    readonly violations: readonly { readonly ruleName: string }[];
  }[];
}

interface Template {
  readonly Metadata?: { readonly LbGuard?: { readonly version?: string } };
  readonly Resources: Record<string, { readonly Type: string; readonly Metadata?: Record<string, unknown> }>;
}

let work: string;
let appDir: string;
let installed: Run;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'lbguard-package-'));
  appDir = path.join(work, 'app');
  const packed = ok(
    run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], REPO),
    'npm pack',
  );
  const [tarball] = JSON.parse(packed.stdout) as { filename: string }[];
  if (tarball === undefined) throw new Error(`npm pack wrote no tarball: ${packed.stdout}`);

  mkdirSync(appDir);
  writeFileSync(
    path.join(appDir, 'package.json'),
    `${JSON.stringify({ name: 'shop-infra', private: true, type: 'module' }, null, 2)}\n`,
  );
  installed = ok(
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        path.join(work, tarball.filename),
        locked('aws-cdk-lib'),
        locked('constructs'),
        locked('cdk-nag'),
        locked('aws-cdk'),
        locked('@types/node'),
      ],
      appDir,
    ),
    'npm install',
  );
  // The example config ships in the package: copying it is a new user's first step.
  copyFileSync(
    path.join(appDir, 'node_modules', 'lbguard', 'lbguard.config.example.yaml'),
    path.join(appDir, 'lbguard.config.yaml'),
  );
  writeFileSync(path.join(appDir, 'app.ts'), APP);
  writeFileSync(path.join(appDir, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  writeFileSync(
    path.join(appDir, 'cdk.json'),
    // Node runs app.ts itself (type stripping): no ts-node, no tsx in the user's app.
    `${JSON.stringify({ app: 'node app.ts', context: { '@aws-cdk/core:validationReportJson': true } }, null, 2)}\n`,
  );
}, 600_000);

afterAll(() => {
  if (work !== undefined && process.env.LBGUARD_KEEP_PACKAGE_TEST === undefined)
    rmSync(work, { recursive: true, force: true });
});

describe('the packed lbguard installed into a fresh CDK app', () => {
  it('installs without esbuild, tsx or TypeScript, and ships no tests, drill output or bench results', () => {
    expect(installed.status).toBe(0);
    const modules = path.join(appDir, 'node_modules');
    for (const tool of ['esbuild', 'tsx', 'typescript']) {
      expect(existsSync(path.join(modules, tool)), `${tool} installed`).toBe(false);
    }
    const shipped = readdirSync(path.join(modules, 'lbguard'));
    expect(shipped.sort()).toEqual(
      ['README.md', 'bin', 'dist', 'docs', 'lbguard.config.example.yaml', 'package.json', 'schema'].sort(),
    );
    const sources = readdirSync(path.join(modules, 'lbguard', 'dist'), { recursive: true, encoding: 'utf8' });
    expect(sources.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('type-checks a TypeScript app that imports lbguard/cdk by package name', { timeout: 120_000 }, () => {
    const checked = run(path.join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], appDir);
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
  });

  describe('cdk synth', () => {
    let good: Run;
    let broken: Run;
    const read = <T>(outdir: string, file: string): T =>
      JSON.parse(readFileSync(path.join(appDir, outdir, file), 'utf8')) as T;
    const cdk = (args: readonly string[]) =>
      run(
        path.join(appDir, 'node_modules', '.bin', 'cdk'),
        ['synth', '--quiet', '--no-notices', ...args],
        appDir,
      );

    beforeAll(() => {
      good = cdk([]);
      broken = cdk(['-c', 'broken=true', '-o', 'cdk.out.broken']);
    }, 300_000);

    it('succeeds with no finding from cdk-nag (AwsSolutionsChecks) or the lint plugin', () => {
      expect(good.status, good.stderr).toBe(0);
      expect(read<ValidationReport>('cdk.out', 'policy-validation-report.json').pluginReports).toEqual([]);
    });

    it('fails when the app adds what each plugin catches (so the clean synth was judged)', () => {
      expect(broken.status).not.toBe(0);
      const report = read<ValidationReport>('cdk.out.broken', 'policy-validation-report.json');
      const rules = (plugin: string) =>
        report.pluginReports
          .find((r) => r.summary.pluginName === plugin)
          ?.violations.map((v) => v.ruleName) ?? [];
      expect(rules('AwsSolutions')).toEqual(expect.arrayContaining(['AwsSolutions-SQS3']));
      expect(rules('LbGuardLint')).toEqual(['LBG-L4']);
      const lint = report.pluginReports.find((r) => r.summary.pluginName === 'LbGuardLint');
      expect(lint?.version).toBe(PACKAGE.version);
    });

    it("reports the package's version in the template", () => {
      const template = read<Template>('cdk.out', 'Shop.template.json');
      expect(template.Metadata?.LbGuard?.version).toBe(PACKAGE.version);
    });

    it('deploys the three bundles built at pack time, each within the Lambda budget', () => {
      const template = read<Template>('cdk.out', 'Shop.template.json');
      const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(functions).toHaveLength(3);
      const deployed = functions.map((f) => {
        const bundle = path.join(appDir, 'cdk.out', String(f.Metadata?.['aws:asset:path']), 'index.js');
        expect(statSync(bundle).size).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
        return readFileSync(bundle, 'utf8');
      });
      // The same bytes as the package's prebuilt bundles, not a bundle made at this synth.
      const prebuilt = ['probe', 'inspect', 'remediate'].map((name) =>
        readFileSync(
          path.join(appDir, 'node_modules', 'lbguard', 'dist', 'lambda-bundles', name, 'index.js'),
          'utf8',
        ),
      );
      expect(deployed.sort()).toEqual(prebuilt.sort());
    });
  });

  it('loads from a CommonJS app too (cdk init without "type": "module"), through require of ESM', () => {
    const required = run(
      process.execPath,
      ['-e', "const m = require('lbguard/cdk'); console.log(typeof m.LbGuard, typeof m.LbGuardLintPlugin)"],
      appDir,
    );
    expect(required.status, required.stderr).toBe(0);
    expect(required.stdout.trim()).toBe('function function');
  });

  describe('the lbguard bin', () => {
    it('prints its help from the installed package', () => {
      const help = run('npx', ['--no-install', 'lbguard', '--help'], appDir);
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toContain('Usage: lbguard <command>');
    });

    it("prints the package's version", () => {
      const version = run('npx', ['--no-install', 'lbguard', '--version'], appDir);
      expect(version.status, version.stderr).toBe(0);
      expect(version.stdout.trim()).toBe(`lbguard ${PACKAGE.version}`);
    });

    it('loads the drill it ships (an unknown scenario is a usage error, not a missing module)', () => {
      const drill = run(
        'npx',
        ['--no-install', 'lbguard', 'drill', '--scenario', 'no-such-scenario'],
        appDir,
      );
      expect(drill.status, drill.stderr).toBe(2);
      expect(drill.stderr).toContain('unknown scenario no-such-scenario');
    });
  });
});
