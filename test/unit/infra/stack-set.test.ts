// The StackSet template (issue 19): one template an organisation's StackSet deploys to every
// account and region, so nothing in it may depend on a bootstrapped account, and the config is a
// parameter. Also the commands that publish its Lambda code to each region's bucket.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AssetManifest, assetPublishCommands, LbGuardStack } from '../../../infra/index.ts';
import { compactConfig } from '../../../lib/config/compact.ts';
import { loadConfigOrThrow, parseConfig } from '../../../lib/config/index.ts';
import { SYNTH_TIMEOUT } from './stacks.ts';
import { runCfnLint, type Synthesized, synthesize } from './support.ts';

const config = loadConfigOrThrow(
  `
version: 1
discovery:
  profiles:
    web:
      probes:
        - { name: home, url: "https://example.com/" }
      remediation: { mode: dry-run }
services: []
`,
  'org.yaml',
);

type Json = Synthesized['json'] & {
  Parameters?: Record<string, { Type: string; Default?: string }>;
  Rules?: Record<string, unknown>;
};

let synth: Synthesized;
let json: Json;

beforeAll(() => {
  synth = synthesize(
    (app) =>
      new LbGuardStack(app, 'LbGuardOrg', { config, stackSet: { assetBucketPrefix: 'acme-lbguard-assets' } }),
  );
  json = synth.json as Json;
}, SYNTH_TIMEOUT);

describe('LbGuardStack with stackSet', () => {
  it('has no bootstrap version rule or parameter and no CDK metadata resource', () => {
    expect(json.Rules ?? {}).toEqual({});
    expect(Object.keys(json.Parameters ?? {}).sort()).toEqual(['HubEventBusArn', 'LbGuardConfig']);
    expect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::CDK::Metadata')).toEqual([]);
    expect(readFileSync(synth.templatePath, 'utf8')).not.toMatch(/cdk-hnb659fds|BootstrapVersion/);
  });

  it("reads every function's code from the region's own asset bucket", () => {
    const code = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties?.Code as { S3Bucket: unknown; S3Key: unknown });
    expect(code).toHaveLength(4);
    for (const c of code) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
      expect(c.S3Bucket).toEqual({ 'Fn::Sub': 'acme-lbguard-assets-${AWS::Region}' });
      expect(c.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    }
  });

  it('hands the functions the LbGuardConfig parameter, whose default is the runtime config', () => {
    const parameter = json.Parameters?.LbGuardConfig;
    expect(parameter?.Type).toBe('String');
    expect(JSON.parse(parameter?.Default ?? '')).toEqual(JSON.parse(JSON.stringify(compactConfig(config))));
    expect(parseConfig(parameter?.Default ?? '', 'LbGuardConfig')).toMatchObject({ ok: true });
    for (const r of Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      const vars =
        (r.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {};
      expect(vars.LBGUARD_CONFIG).toEqual({ Ref: 'LbGuardConfig' });
    }
  });

  it('scopes everything to the account and region the instance lands in', () => {
    const text = readFileSync(synth.templatePath, 'utf8');
    // No account id (12 digits not inside an asset hash): each instance's own comes from AWS::AccountId.
    expect(text).not.toMatch(/(?<![0-9a-f])\d{12}(?![0-9a-f])/);
    expect(text).toMatch(/"Ref": ?"AWS::AccountId"/);
    expect(text).toMatch(/"Ref": ?"AWS::Region"/);
  });

  it('passes cdk-nag and cfn-lint', () => {
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    expect(runCfnLint(synth.templatePath).errors).toEqual([]);
  });

  it('refuses an env (a StackSet gives each instance its own) and a bad bucket prefix', () => {
    expect(
      () =>
        new LbGuardStack(new App(), 'Pinned', {
          config,
          env: { account: '123456789012', region: 'eu-west-1' },
          stackSet: { assetBucketPrefix: 'acme-lbguard-assets' },
        }),
    ).toThrow(/leave env unset/);
    expect(
      () => new LbGuardStack(new App(), 'Bad', { config, stackSet: { assetBucketPrefix: 'Acme_Assets' } }),
    ).toThrow(/assetBucketPrefix/);
  });
});

describe('assetPublishCommands', () => {
  it("zips each function's asset once and copies it to every region's bucket; skips the template", () => {
    const dir = path.dirname(synth.templatePath);
    const manifest = JSON.parse(
      readFileSync(path.join(dir, 'LbGuardOrg.assets.json'), 'utf8'),
    ) as AssetManifest;
    const lines = assetPublishCommands(manifest, dir, ['eu-west-1', 'us-east-1']);
    const zips = lines.filter((l) => l.includes('zip -qrX'));
    const copies = lines.filter((l) => l.startsWith('aws s3 cp'));
    expect(zips).toHaveLength(4);
    expect(copies).toHaveLength(8);
    for (const region of ['eu-west-1', 'us-east-1']) {
      const here = copies.filter((l) => l.endsWith(`--region ${region}`));
      expect(here).toHaveLength(4);
      for (const l of here)
        expect(l).toMatch(new RegExp(`'s3://acme-lbguard-assets-${region}/[0-9a-f]{64}\\.zip'`));
    }
    expect(lines.join('\n')).not.toContain('.template.json');
  });

  it('quotes paths for the shell', () => {
    const lines = assetPublishCommands(
      {
        files: {
          abc: {
            source: { path: "asset.it's", packaging: 'file' },
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
            destinations: { d: { bucketName: 'b-${AWS::Region}', objectKey: 'abc.js' } },
          },
        },
      },
      '/tmp/cdk out',
      ['eu-west-1'],
    );
    expect(lines.at(-1)).toBe(
      `aws s3 cp '/tmp/cdk out/asset.it'\\''s' 's3://b-eu-west-1/abc.js' --region eu-west-1`,
    );
  });
});
