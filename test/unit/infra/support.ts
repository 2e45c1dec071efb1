// Shared fixtures for the infra tests: a config, an app synthesized into a temp dir with cdk-nag
// registered exactly as infra/app.ts does, and cfn-lint run on the result.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type LbGuardConfig, loadConfigOrThrow, type RemediationConfig } from '../../../lib/config/index.ts';

export type RemediationMode = RemediationConfig['mode'];

export const LB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';

/** A config as a person writes it; `extra` lines are appended to the single service. */
export function configYaml(
  options: {
    readonly allowCreateRule?: boolean;
    readonly name?: string;
    /** The service's remediation mode; `dry-run`, a first deploy's, unless given. */
    readonly mode?: RemediationMode;
  } = {},
): string {
  return `
version: 1
region: eu-west-1
schedule:
  inspectRateMinutes: 2
services:
  - name: ${options.name ?? 'shop'}
    loadBalancerArn: ${LB_ARN}
    servedByHeader: X-Served-By
    probes:
      - name: health
        url: https://shop.example.com/health
        servedBySample: { requests: 20, concurrency: 4 }
      - name: checkout
        steps:
          - { name: home, url: "https://shop.example.com/" }
          - { name: cart, url: "https://shop.example.com/cart", method: POST, body: "{}" }
    remediation:
      mode: ${options.mode ?? 'dry-run'}
      allowCreateRule: ${options.allowCreateRule ?? false}
      verifyDeadlineSeconds: 200
    notifications:
      emails: [oncall@example.com]
      httpsEndpoints: [https://hooks.example.com/lbguard]
`;
}

export function testConfig(options: Parameters<typeof configYaml>[0] = {}): LbGuardConfig {
  return loadConfigOrThrow(configYaml(options), 'test.yaml');
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName?: string;
    readonly violations?: readonly unknown[];
  }[];
}

export interface Synthesized {
  /** For `Annotations.fromStack`: the warnings and errors synth recorded. */
  readonly stack: Stack;
  readonly template: Template;
  readonly json: {
    readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  readonly templatePath: string;
  readonly report: ValidationReport;
}

/**
 * Builds an app with `build`, registers cdk-nag's AwsSolutionsChecks as infra/app.ts does and
 * synthesizes into a temp dir (bundles land there too, never in the repo). An unacknowledged
 * finding makes synth throw, so a returned result already means "nag clean".
 */
export function synthesize(build: (app: App) => Stack): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'lbguard-cdk-'));
  const app = new App({ outdir });
  const stack = build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const templatePath = path.join(assembly.directory, artifact.templateFile);
  const json = JSON.parse(readFileSync(templatePath, 'utf8')) as Synthesized['json'];
  const report = JSON.parse(
    readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  return { stack, template: Template.fromJSON(json), json, templatePath, report };
}

export interface CfnLintResult {
  readonly errors: string[];
  readonly warnings: string[];
  readonly status: number;
  readonly output: string;
}

/**
 * Runs cfn-lint on a template. A missing cfn-lint is a failure, never a pass: the issue requires
 * zero cfn-lint errors, which cannot be shown without it.
 */
export function runCfnLint(templatePath: string): CfnLintResult {
  const run = spawnSync('cfn-lint', ['--format', 'parseable', '--', templatePath], { encoding: 'utf8' });
  if (run.error !== undefined) {
    throw new Error(
      `cfn-lint could not be run (${run.error.message}); install it with: pip install cfn-lint==1.51.0${process.env.CI === 'true' ? ' (CI=true: required)' : ''}`,
    );
  }
  const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
  // parseable format: file:line:col:endline:endcol:RULE:message; E* errors, W* warnings.
  const rule = (line: string) => line.split(':')[5] ?? '';
  return {
    errors: lines.filter((line) => rule(line).startsWith('E')),
    warnings: lines.filter((line) => rule(line).startsWith('W')),
    status: run.status ?? -1,
    output: `${run.stdout}${run.stderr}`,
  };
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Every IAM statement of every inline policy in the template, with the policy's logical id. */
export function policyStatements(json: Synthesized['json']): { policy: string; statement: Statement }[] {
  return Object.entries(json.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
    .flatMap(([policy, r]) => {
      const doc = r.Properties?.PolicyDocument as { Statement: Statement[] };
      return doc.Statement.map((statement) => ({ policy, statement }));
    });
}

export function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** ELBv2 actions that change routing or registration. */
export function isElbWriteAction(action: string): boolean {
  return /^elasticloadbalancing:(Modify|Register|Deregister|Set|Create|Delete|Add|Remove)/.test(action);
}
