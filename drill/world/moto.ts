import { type ChildProcess, spawn } from 'node:child_process';
import { stopChild, trackChild } from './children.ts';
import { freePort, waitFor } from './net.ts';

/** A moto_server the drill talks to: either started here, or one someone else owns. */
export interface MotoServer {
  readonly url: string;
  /** True when this process started it (and so `stop` ends it). */
  readonly owned: boolean;
  /** Clears every emulated resource (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Default: a free loopback port. */
  readonly port?: number;
  /** Default `moto_server` from PATH. */
  readonly command?: string;
  /** Default 30 s: moto imports every service at start, ~2 s on this machine. */
  readonly startTimeoutMs?: number;
}

/** Clears all state of the moto_server at `url`. */
export async function resetMoto(url: string): Promise<void> {
  const res = await fetch(`${url}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
}

/** Wraps a moto_server owned by someone else (e.g. the test run's); `stop` leaves it running. */
export function attachMoto(url: string): MotoServer {
  return { url, owned: false, reset: () => resetMoto(url), stop: async () => {} };
}

/** Starts moto_server on loopback and resolves once it answers. */
export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = trackChild(
    spawn(opts.command ?? 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start moto_server: ${err.message}`)));
  });
  try {
    await Promise.race([
      spawnError,
      waitFor(
        `moto_server on ${url}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
          const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
          return res.status < 500 ? true : undefined;
        },
        { timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 100 },
      ),
    ]);
  } catch (err) {
    await stopChild(child);
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return { url, owned: true, reset: () => resetMoto(url), stop: () => stopChild(child) };
}
