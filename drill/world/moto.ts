import { type ChildProcess, spawn } from 'node:child_process';
import { stopChild, trackChild } from './children.ts';
import { freePort, waitFor } from './net.ts';

// The one moto_server launcher: the drill, the benchmarks and the integration tests' global
// setup all start the emulator here, so each gets the same free port, readiness wait, loud
// install hint and teardown on exit, SIGINT and SIGTERM (children.ts).

/** The command that installs the moto_server lbguard is tested against (`lbguard doctor` names it too). */
export const MOTO_INSTALL = "pip install 'moto[server]==5.2.1'";

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
  /**
   * Extra environment for moto_server, over this process's: e.g. `INITIAL_NO_AUTH_ACTION_COUNT`
   * (`0` turns IAM enforcement on from the first request; see test/support/iam/moto-identities.ts).
   */
  readonly env?: Readonly<Record<string, string>>;
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

/** Why the spawn failed; a missing program names the command that installs it. */
function spawnFailure(command: string, err: NodeJS.ErrnoException): Error {
  if (err.code === 'ENOENT') {
    return new Error(
      `${command} is not installed or not on PATH; the integration tests, the drill and the benchmarks need this AWS API emulator.\n` +
        `Install it with: ${MOTO_INSTALL}`,
    );
  }
  return new Error(`cannot start ${command}: ${err.message}`);
}

/**
 * Starts moto_server on loopback and resolves once it answers. A missing moto_server fails at
 * once and loudly, never as a silent skip: tests that do not reach the emulator prove nothing.
 */
export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const command = opts.command ?? 'moto_server';
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = trackChild(
    spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(opts.env === undefined ? {} : { env: { ...process.env, ...opts.env } }),
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  // Ends the readiness wait as soon as the process cannot answer any more.
  const gone = new AbortController();
  child.once('error', (err) => gone.abort(spawnFailure(command, err)));
  child.once('exit', (code, signal) => gone.abort(new Error(`${command} exited with ${code ?? signal}`)));
  try {
    await waitFor(
      `${command} on ${url}`,
      async () => {
        const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
        return res.status < 500 ? true : undefined;
      },
      { timeoutMs: opts.startTimeoutMs ?? 30_000, intervalMs: 100, signal: gone.signal },
    );
  } catch (err) {
    await stopChild(child);
    throw new Error(stderr === '' ? (err as Error).message : `${(err as Error).message}\n${stderr}`);
  }
  return { url, owned: true, reset: () => resetMoto(url), stop: () => stopChild(child) };
}
