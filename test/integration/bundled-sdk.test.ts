// The AWS SDK as the deployed bundles carry it (infra/bundling.ts: lbguard's credential chain, the
// event-stream, JMESPath and endpoint-discovery stand-ins, the trimmed error classes), talking HTTP
// to moto from a fresh node: what the in-process tests, which run the SDK from node_modules, cannot
// show.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, inject, it } from 'vitest';
import { esbuildOptions, NO_ENDPOINT_DISCOVERY_MODULE } from '../../infra/bundling.ts';
import { SMITHY_FALLBACKS } from '../../infra/sdk-fallbacks.ts';
import { createKmsClient } from '../../lambdas/adapters/clients.ts';
import { createStateKey } from '../../lambdas/adapters/state-store/table.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const OUT_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'lbguard-bundled-sdk-test');
const run = promisify(execFile);

describe('the bundled DynamoDB client against moto', () => {
  it('writes, reads, queries and reports a failed condition by its modelled name', async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    const outfile = path.join(OUT_DIR, 'index.js');
    const result = await build({
      ...esbuildOptions('bundled'),
      entryPoints: [path.join(import.meta.dirname, 'fixtures', 'bundled-table-roundtrip.ts')],
      absWorkingDir: REPO_ROOT,
      outfile,
      metafile: true,
      logLevel: 'error',
    });
    writeFileSync(path.join(OUT_DIR, 'package.json'), '{}\n');
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
    const inputs = Object.keys(output?.inputs ?? {});
    expect(inputs).toContain(path.relative(REPO_ROOT, NO_ENDPOINT_DISCOVERY_MODULE));
    expect(inputs.filter((i) => i.includes('endpoint-cache') || i.includes('mnemonist'))).toEqual([]);
    // Signed with the native SHA-256: the JavaScript one is a stand-in that throws.
    for (const f of SMITHY_FALLBACKS) expect(inputs).toContain(path.relative(REPO_ROOT, f.shim));
    const { stdout } = await run(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(outfile)}).roundTrip().then((r) => process.stdout.write(JSON.stringify(r)))`,
      ],
      {
        env: {
          PATH: process.env.PATH,
          BUNDLE_MOTO_URL: inject('motoUrl'),
          AWS_REGION: 'eu-west-1',
          AWS_MAX_ATTEMPTS: '4',
        },
        timeout: 30_000,
      },
    );
    expect(JSON.parse(stdout)).toEqual({
      got: { pk: { S: 'SERVICE#shop' }, sk: { S: 'LAST_GOOD' }, n: { N: '42' } },
      count: 1,
      conditionalError: 'ConditionalCheckFailedException',
      region: 'eu-west-1',
      maxAttempts: 4,
    });
  }, 60_000);
});

describe("the bundled state MAC (KMS signed by hand on ELBv2's parts) against moto", () => {
  it('signs, verifies, reads a forged MAC as false and an unknown key as a VerifyMac failure', async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    const outfile = path.join(OUT_DIR, 'state-mac.js');
    const result = await build({
      ...esbuildOptions('bundled'),
      entryPoints: [path.join(import.meta.dirname, 'fixtures', 'bundled-state-mac.ts')],
      absWorkingDir: REPO_ROOT,
      outfile,
      metafile: true,
      logLevel: 'error',
    });
    writeFileSync(path.join(OUT_DIR, 'package.json'), '{}\n');
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
    // As in the functions: no KMS client, the native SHA-256 (the JavaScript one throws).
    expect(Object.keys(output?.inputs ?? {}).filter((i) => i.includes('client-kms'))).toEqual([]);
    const admin = createKmsClient({
      endpoint: inject('motoUrl'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const key = await createStateKey(admin, `bundled-mac-${Date.now()}`);
    admin.destroy();
    const { stdout } = await run(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(outfile)}).macRoundTrip().then((r) => process.stdout.write(JSON.stringify(r)))`,
      ],
      {
        env: { PATH: process.env.PATH, BUNDLE_MOTO_URL: inject('motoUrl'), BUNDLE_STATE_KEY: key },
        timeout: 30_000,
      },
    );
    expect(JSON.parse(stdout)).toEqual({
      macBytes: 32,
      genuine: true,
      forged: false,
      unknown: { error: 'AwsApiError', operation: 'VerifyMac' },
    });
  }, 60_000);
});
