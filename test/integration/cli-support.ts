import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

// Runs the real `lbguard` launcher as a subprocess, the way `npx lbguard` does, against the
// integration project's moto_server. Asynchronous on purpose: a test may serve HTTP (probes)
// from its own process while the CLI runs.

export const LAUNCHER = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/lbguard.mjs');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Replaces PATH entirely (doctor tests). */
  readonly path?: string;
  readonly stdin?: string;
}

/** Environment of a CLI run: dummy credentials, the emulator, no colour, nothing from the host. */
export function cliEnv(extra: Readonly<Record<string, string | undefined>> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: inject('motoUrl'),
    // Keeps the SDK from reading the host's ~/.aws files.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export function runCli(args: readonly string[], options: RunOptions): Promise<CliRun> {
  const env = cliEnv(options.env);
  if (options.path !== undefined) env.PATH = options.path;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Parses stdout as exactly one JSON document (fails the test on anything else). */
export function jsonOf<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** A scratch directory holding `lbguard.config.yaml` with `text`. */
export function workspaceWithConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbguard-cli-'));
  writeFileSync(join(dir, 'lbguard.config.yaml'), text);
  return dir;
}

/** A minimal valid config guarding one load balancer. */
export function configFor(input: {
  readonly service?: string;
  readonly loadBalancerArn: string;
  readonly listenerArns?: readonly string[];
  readonly tableName?: string;
  readonly mode?: 'off' | 'dry-run' | 'approve' | 'auto';
  /** Where the health probe points; remediate's verification runs it. */
  readonly probeUrl?: string;
}): string {
  const listeners =
    input.listenerArns === undefined
      ? ''
      : `    listenerArns:\n${input.listenerArns.map((a) => `      - ${a}`).join('\n')}\n`;
  return `version: 1
region: us-east-1
${input.tableName === undefined ? '' : `tableName: ${input.tableName}\n`}services:
  - name: ${input.service ?? 'shop'}
    loadBalancerArn: ${input.loadBalancerArn}
${listeners}    probes:
      - name: health
        url: ${input.probeUrl ?? 'http://127.0.0.1:9/health'}
        allowLoopback: true # the test site listens on 127.0.0.1
        timeoutMs: 2000
        latencyBudgetMs: 2000
    remediation:
      mode: ${input.mode ?? 'dry-run'}
      verifyDeadlineSeconds: 30
`;
}

/** A site that answers every probe 200 `ok`, standing in for the shop behind its load balancer. */
export async function startHealthySite(): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/health`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
