// The hub in the CDK app (`-c stack=hub`, `-c stack=fleet-role`) and its functions' bundles: the
// spoke's default stays as it is (app.test.ts), the hub's bundles carry the real fleet schema.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  esbuildOptions,
  FUNCTION_NAMES,
  fleetSchemaModeOf,
  HUB_FUNCTION_NAMES,
  SPOKE_FUNCTION_NAMES,
} from '../../../infra/bundling.ts';
import { NO_FLEET_MESSAGE } from '../../../lambdas/bundle-shims/no-fleet-schema.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');

const HUB_CONFIG = `
version: 1
region: eu-west-1
services: []
fleet:
  roleName: lbguard-fleet-reader
  accounts: ['111111111111']
  regions: [eu-west-1]
  hub: {}
`;

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'lbguard-hub-app-'));
}

function runApp(config: string, context: Record<string, string>) {
  const dir = tempDir();
  const file = path.join(dir, 'lbguard.config.yaml');
  writeFileSync(file, config);
  const outdir = path.join(dir, 'out');
  const run = spawnSync('npx', ['--no-install', 'tsx', 'infra/app.ts'], {
    cwd: REPO,
    encoding: 'utf8',
    env: {
      ...process.env,
      LBGUARD_CONFIG: file,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify(context),
    },
  });
  const templates = (() => {
    try {
      return readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    } catch {
      return [];
    }
  })();
  return { ...run, templates };
}

describe('infra/app.ts -c stack=…', () => {
  it('synthesizes the hub stack alone with stack=hub', { timeout: 120_000 }, () => {
    const run = runApp(HUB_CONFIG, { stack: 'hub' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.templates).toEqual(['LbGuardHub.template.json']);
  });

  it('synthesizes the fleet reader role alone with stack=fleet-role', { timeout: 60_000 }, () => {
    const run = runApp(HUB_CONFIG, { stack: 'fleet-role' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.templates).toEqual(['LbGuardFleetRole.template.json']);
  });

  it('refuses a hub without fleet.hub, saying what to add, and synthesizes nothing', {
    timeout: 60_000,
  }, () => {
    const run = runApp(HUB_CONFIG.replace('  hub: {}\n', ''), { stack: 'hub' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no fleet.hub section; add fleet.hub: {}');
    expect(run.templates).toEqual([]);
  });

  it('refuses an unknown stack, naming the choices', { timeout: 60_000 }, () => {
    const run = runApp(HUB_CONFIG, { stack: 'hbu' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'context stack must be "spoke" (the default), "hub" or "fleet-role", not "hbu"',
    );
  });
});

describe("the hub functions' bundles", () => {
  it('are the only ones built with the real fleet schema; every function is built by the package', () => {
    expect([...FUNCTION_NAMES].sort()).toEqual([...SPOKE_FUNCTION_NAMES, ...HUB_FUNCTION_NAMES].sort());
    expect(HUB_FUNCTION_NAMES.map(fleetSchemaModeOf)).toEqual(['schema', 'schema']);
    expect(SPOKE_FUNCTION_NAMES.map(fleetSchemaModeOf)).toEqual(SPOKE_FUNCTION_NAMES.map(() => 'stub'));
  });

  it('parse a fleet section with the schema mode, and refuse it with the stub', {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir();
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { fleetSchema } from ${JSON.stringify(path.join(REPO, 'lib/config/schema/fleet.ts'))};
const r = fleetSchema.safeParse({ roleName: 'r', accounts: ['111111111111'], regions: ['eu-west-1'] });
console.log(JSON.stringify(r.success ? 'parsed' : r.error.issues[0].message));`,
    );
    const outcome = async (mode: 'stub' | 'schema') => {
      const outfile = path.join(dir, mode, 'index.js');
      await build({ ...esbuildOptions('bundled', mode), entryPoints: [entry], outfile, logLevel: 'error' });
      writeFileSync(path.join(dir, mode, 'package.json'), '{}\n');
      const run = spawnSync(process.execPath, [outfile], { encoding: 'utf8' });
      return JSON.parse(run.stdout) as string;
    };
    expect(await outcome('schema')).toBe('parsed');
    expect(await outcome('stub')).toContain(NO_FLEET_MESSAGE.slice(0, 30));
  });
});
