// Counts the billable monitoring resources in the synthesized stack (the example config, default
// props), without bundling the functions: CDK skips asset bundling for stacks not listed in the
// `aws:cdk:bundling-stacks` context.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { LbGuardStack } from '../infra/lbguard-stack.ts';
import { loadConfigOrThrow } from '../lib/config/index.ts';

export interface TemplateCounts {
  readonly standardAlarms: number;
  readonly compositeAlarms: number;
  readonly kmsKeys: number;
  readonly dashboards: number;
  readonly functions: number;
}

export function countTemplateResources(repoRoot: string): TemplateCounts {
  const config = loadConfigOrThrow(
    readFileSync(path.join(repoRoot, 'lbguard.config.example.yaml'), 'utf8'),
    'lbguard.config.example.yaml',
  );
  const outdir = mkdtempSync(path.join(tmpdir(), 'lbguard-bench-cdk-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new LbGuardStack(app, 'LbGuardBench', {
      env: { account: '123456789012', region: 'eu-west-1' },
      config,
    });
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string }>;
    };
    const count = (type: string): number =>
      Object.values(template.Resources).filter((r) => r.Type === type).length;
    return {
      standardAlarms: count('AWS::CloudWatch::Alarm'),
      compositeAlarms: count('AWS::CloudWatch::CompositeAlarm'),
      kmsKeys: count('AWS::KMS::Key'),
      dashboards: count('AWS::CloudWatch::Dashboard'),
      functions: count('AWS::Lambda::Function'),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
