// The optional HTTPS approval endpoint in the template: absent unless the config asks for it (and
// then nothing else moves), and when asked for, a function URL that only IAM-signed callers reach.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../lib/config/index.ts';
import type { TemplateJson } from './policy-check.ts';
import { functionOf, refersTo, roleIdOf } from './roles.ts';
import { importedLbStack, SYNTH_TIMEOUT } from './stacks.ts';
import { configYaml, runCfnLint, type Synthesized, synthesize, testConfig } from './support.ts';

const ofType = (json: TemplateJson, type: string) =>
  Object.entries(json.Resources).filter(([, r]) => r.Type === type);

/** The template without asset hashes, which follow the code of every function. */
function withoutAssetHashes(json: TemplateJson): string {
  return JSON.stringify(json.Resources).replace(/[0-9a-f]{64}(\.zip)?/g, '<hash>');
}

describe('with approval.endpoint off (the default)', () => {
  let absent: Synthesized;
  let off: Synthesized;

  beforeAll(() => {
    absent = synthesize(importedLbStack(testConfig({ mode: 'approve' })));
    off = synthesize(importedLbStack({ ...testConfig({ mode: 'approve' }), approval: { endpoint: false } }));
  }, SYNTH_TIMEOUT);

  it('creates no approve function and no function URL', () => {
    for (const { json } of [absent, off]) {
      expect(ofType(json, 'AWS::Lambda::Url')).toEqual([]);
      expect(ofType(json, 'AWS::Lambda::Function')).toHaveLength(3);
      expect(() => functionOf(json, 'approve')).toThrow(/no Lambda function/);
    }
  });

  it('synthesizes the same resources as a config without the section', () => {
    expect(withoutAssetHashes(off.json)).toBe(withoutAssetHashes(absent.json));
  });
});

describe('with approval.endpoint on', () => {
  let synth: Synthesized;
  let off: Synthesized;

  beforeAll(() => {
    synth = synthesize(importedLbStack({ ...testConfig({ mode: 'approve' }), approval: { endpoint: true } }));
    off = synthesize(importedLbStack(testConfig({ mode: 'approve' })));
  }, SYNTH_TIMEOUT);

  it('puts the approve function behind a function URL with AuthType AWS_IAM, never NONE', () => {
    const urls = ofType(synth.json, 'AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    const approveId = roleIdOf(synth.json, 'approve').replace(/Role[0-9A-F]{8}$/, '');
    expect(urls[0]?.[1].Properties).toMatchObject({
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${approveId}`)), 'Arn'] },
    });
    // No resource policy opens it: same-account callers need their own identity policy.
    expect(
      ofType(synth.json, 'AWS::Lambda::Permission').filter(([, r]) => refersTo(r.Properties, approveId)),
    ).toEqual([]);
  });

  it('adds only the function, its role, policy, log group and URL to the template, and the URL as an output', () => {
    const before = new Set(Object.keys(off.json.Resources));
    const added = Object.entries(synth.json.Resources)
      .filter(([id]) => !before.has(id))
      .map(([, r]) => r.Type)
      .sort();
    expect(added).toEqual([
      'AWS::IAM::Policy',
      'AWS::IAM::Role',
      'AWS::Lambda::Function',
      'AWS::Lambda::Url',
      'AWS::Logs::LogGroup',
    ]);
    expect(Object.keys(synth.json.Resources).length - added.length).toBe(before.size);
    const outputs = (synth.json as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    expect(outputs.ApprovalEndpointUrl?.Value).toEqual({
      'Fn::GetAtt': [urls(synth.json)[0], 'FunctionUrl'],
    });
    // Still four operational alarms: endpoint errors are answered to the caller (no DLQ, no retry).
    expect(ofType(synth.json, 'AWS::CloudWatch::Alarm')).toHaveLength(
      ofType(off.json, 'AWS::CloudWatch::Alarm').length,
    );
  });

  it('gives the function no config, no dead-letter queue and the services held for approval', () => {
    const fn = functionOf(synth.json, 'approve');
    const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(env).sort()).toEqual([
      'LBGUARD_APPROVE_SERVICES',
      'LBGUARD_REMEDIATE_FUNCTION',
      'LBGUARD_TABLE',
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ]);
    expect(env.LBGUARD_APPROVE_SERVICES).toBe('shop');
    expect(fn.DeadLetterConfig).toBeUndefined();
    // The functions' own config carries no approval section: only the construct reads it.
    const config = JSON.stringify(
      (functionOf(synth.json, 'inspect').Environment as { Variables: unknown }).Variables,
    );
    expect(config).not.toMatch(/\bendpoint\b/);
  });

  it('passes cdk-nag and cfn-lint', () => {
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    const lint = runCfnLint(synth.templatePath);
    expect(lint.errors).toEqual([]);
  });
});

function urls(json: TemplateJson): string[] {
  return ofType(json, 'AWS::Lambda::Url').map(([id]) => id);
}

describe('the approval endpoint in the config', () => {
  it('is off when the section is left out, and accepted with a service in approve mode', () => {
    expect(testConfig({ mode: 'approve' }).approval).toBeUndefined();
    const on = loadConfigOrThrow(
      `${configYaml({ mode: 'approve' })}approval:\n  endpoint: true\n`,
      'test.yaml',
    );
    expect(on.approval).toEqual({ endpoint: true });
  });

  it('is refused when no service is in approve mode, naming the field and the fix', () => {
    expect(() =>
      loadConfigOrThrow(`${configYaml({ mode: 'auto' })}approval:\n  endpoint: true\n`, 'test.yaml'),
    ).toThrow(/approval\.endpoint.*no service has remediation\.mode: approve/s);
  });
});
