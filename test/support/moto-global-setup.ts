import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

// Starts one real moto_server on a free loopback port for the integration project and
// shares its URL with `inject('motoUrl')`. A missing moto_server is a loud failure, never a
// silent skip: integration tests that do not talk to the emulator prove nothing.

declare module 'vitest' {
  export interface ProvidedContext {
    motoUrl: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.ok || res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`moto_server did not answer on ${url} within ${deadlineMs} ms`);
}

let child: ChildProcess | undefined;

function stop(): void {
  if (child && child.exitCode === null) child.kill('SIGTERM');
}

export default async function setup(project: TestProject): Promise<() => void> {
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'moto_server is not installed or not on PATH; the integration tests need a real AWS API emulator.\n' +
        "Install it with: pip install 'moto[server]==5.2.1'",
    );
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  // A killed test run must not leave moto behind.
  process.once('exit', stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await waitUntilUp(url, child, 30_000);
  } catch (err) {
    stop();
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  project.provide('motoUrl', url);
  return stop;
}
