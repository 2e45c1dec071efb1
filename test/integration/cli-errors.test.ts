import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resetMoto } from '../support/aws-env.ts';
import { configFor, jsonOf, runCli, workspaceWithConfig } from './cli-support.ts';

// Usage, configuration and prerequisite errors, each as a real subprocess: exit 2 (or 1 for
// doctor's findings), a message that says what to type instead, and never a stack trace.

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const STACK_FRAME = /\n\s+at .+:\d+:\d+/;

let cwd: string;
beforeAll(async () => {
  await resetMoto();
  cwd = workspaceWithConfig(configFor({ loadBalancerArn: ARN }));
});

describe('lbguard usage and configuration errors', () => {
  it('rejects a misspelt flag with exit 2 and the flag it meant', async () => {
    const run = await runCli(['status', '--servce', 'shop'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option --servce');
    expect(run.stderr).toContain('did you mean --service?');
    expect(run.stdout).toBe('');
  });

  it('rejects an unknown service with exit 2, the services there are, and a JSON error document', async () => {
    const run = await runCli(['verify', '--service', 'shp', '--json'], { cwd });
    expect(run.code).toBe(2);
    expect(jsonOf(run)).toMatchObject({
      command: 'verify',
      ok: false,
      exitCode: 2,
      error: { kind: 'usage', message: 'unknown service shp' },
    });
    expect(run.stderr).toContain('did you mean --service shop?');
  });

  it('rejects an invalid config with exit 2 and one line per broken field, named by path', async () => {
    const broken = workspaceWithConfig(
      `version: 1
services:
  - name: Shop
    loadBalancerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1
    probes: []
    remediaton: {}
`,
    );
    const run = await runCli(['status'], { cwd: broken });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('lbguard.config.yaml: services[0].name:');
    expect(run.stderr).toContain('lbguard.config.yaml: services[0].loadBalancerArn: is a target group ARN');
    expect(run.stderr).toContain('lbguard.config.yaml: services[0].probes:');
    expect(run.stderr).toContain('services[0].remediaton: unknown key; did you mean remediation?');
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('prints help with an example and the exit codes for every command, exit 0', async () => {
    const run = await runCli(['restore', '--help'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: lbguard restore');
    expect(run.stdout).toContain('Example:');
    expect(run.stdout).toContain('3  AWS/API error');
  });
});

describe('lbguard doctor', () => {
  it('names each missing prerequisite with the exact command that installs it (exit 1)', async () => {
    // Only node on PATH: moto_server, haproxy and socat are all "missing".
    const run = await runCli(['doctor', '--json'], { cwd, path: dirname(process.execPath) });
    expect(run.code).toBe(1);
    const doc = jsonOf<{ checks: { name: string; status: string; fix?: string }[] }>(run);
    const byName = Object.fromEntries(doc.checks.map((c) => [c.name, c]));
    expect(byName.node?.status).toBe('ok');
    expect(byName.moto_server).toMatchObject({ status: 'missing', fix: "pip install 'moto[server]==5.2.1'" });
    expect(byName.haproxy).toMatchObject({ status: 'missing', fix: 'apt-get install -y haproxy socat' });
    expect(byName.socat?.status).toBe('missing');
    expect(byName['aws-credentials']?.status).toBe('ok');
    expect(byName['aws-endpoint']?.status).toBe('ok');
    expect(byName['state-table']).toMatchObject({
      status: 'missing',
      fix: 'lbguard init --table lbguard-state',
    });
  });
});
