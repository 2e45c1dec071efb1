import path from 'node:path';
import { CliCredentialsStackSynthesizer, Token } from 'aws-cdk-lib';
import { compactConfig } from '../lib/config/compact.ts';
import type { LbGuardConfig } from '../lib/config/index.ts';
import { type GuardedServiceResources, runtimeConfigFor } from './services.ts';

/** `LbGuardStack`'s `stackSet` option. */
export interface LbGuardStackSetOptions {
  /**
   * The functions' code is read from the bucket `<assetBucketPrefix>-<region>` in each region the
   * StackSet deploys to (one bucket per region, readable by the organisation's accounts:
   * docs/fleet-rollout.md). 3–50 characters of a bucket name.
   */
  readonly assetBucketPrefix: string;
}

const BUCKET_PREFIX = /^[a-z0-9][a-z0-9.-]{1,48}[a-z0-9]$/;

/**
 * The synthesizer of a StackSet template. `CliCredentialsStackSynthesizer` rather than the default
 * one with `generateBootstrapVersionRule: false`: both write the buckets into the template, but
 * this one also names no bootstrap role in the assembly, and nothing in a StackSet instance's
 * account is bootstrapped. Object keys are the assets' hashes, as `cdk deploy` would write them.
 */
export function stackSetSynthesizer(options: LbGuardStackSetOptions): CliCredentialsStackSynthesizer {
  if (!BUCKET_PREFIX.test(options.assetBucketPrefix)) {
    throw new Error(
      `lbguard: stackSet.assetBucketPrefix must be the start of an S3 bucket name (3–50 of a-z, 0-9, '.', '-'), not ${JSON.stringify(options.assetBucketPrefix)}`,
    );
  }
  return new CliCredentialsStackSynthesizer({
    fileAssetsBucketName: `${options.assetBucketPrefix}-\${AWS::Region}`,
    bucketPrefix: '',
  });
}

/**
 * The runtime config as the functions receive it, as the `LbGuardConfig` parameter's default. A
 * load balancer created in the same app is a token, which a parameter default cannot hold.
 */
export function runtimeConfigJson(
  config: LbGuardConfig,
  services: Readonly<Record<string, GuardedServiceResources>>,
): string {
  const json = JSON.stringify(compactConfig(runtimeConfigFor(config, services)));
  if (Token.isUnresolved(json)) {
    throw new Error(
      'lbguard: a stackSet template takes its config as a parameter, which cannot refer to resources of the app; guard load balancers by ARN or by tag (discovery)',
    );
  }
  return json;
}

/** The part of a cloud assembly's `<stack>.assets.json` the publishing commands read. */
export interface AssetManifest {
  readonly files?: Readonly<
    Record<
      string,
      {
        readonly source: { readonly path?: string; readonly packaging?: 'zip' | 'file' };
        readonly destinations: Readonly<
          Record<string, { readonly bucketName: string; readonly objectKey: string }>
        >;
      }
    >
  >;
}

/**
 * The shell commands that publish a StackSet template's file assets (the functions' code) to every
 * region's bucket: each directory zipped once, then `aws s3 cp` per region. The template itself
 * is left out: the StackSet takes it directly. Printed, not run, so the operator runs them with
 * the credentials of the account that owns the buckets, and sees exactly what is uploaded.
 */
export function assetPublishCommands(
  manifest: AssetManifest,
  cloudAssemblyDir: string,
  regions: readonly string[],
): string[] {
  const lines: string[] = ['set -euo pipefail', 'work="$(mktemp -d)"'];
  for (const [hash, asset] of Object.entries(manifest.files ?? {})) {
    const source = asset.source.path;
    if (source === undefined || source.endsWith('.template.json')) continue;
    const local = shellQuote(path.join(cloudAssemblyDir, source));
    let upload = local;
    if (asset.source.packaging === 'zip') {
      upload = `"$work/${hash}.zip"`;
      lines.push(`(cd ${local} && zip -qrX ${upload} .)`);
    }
    for (const destination of Object.values(asset.destinations)) {
      for (const region of regions) {
        const bucket = destination.bucketName.replace(/\$\{AWS::Region\}/g, region);
        lines.push(
          `aws s3 cp ${upload} ${shellQuote(`s3://${bucket}/${destination.objectKey}`)} --region ${region}`,
        );
      }
    }
  }
  return lines;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}
