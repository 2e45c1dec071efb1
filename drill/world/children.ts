import type { ChildProcess } from 'node:child_process';

// Every process the drill starts is registered here, so that a normal exit, Ctrl-C or a
// SIGTERM from CI never leaves HAProxy, moto or a backend listening on a loopback port.

const live = new Set<ChildProcess>();
let installed = false;

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killAll(signal: NodeJS.Signals): void {
  for (const child of live) if (isRunning(child)) child.kill(signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  // `exit` handlers must be synchronous; kill() is.
  process.on('exit', () => killAll('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll('SIGTERM');
      // Someone else (vitest, the CLI) may own the signal; only exit when nobody does.
      if (process.listenerCount(signal) === 0) process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Registers a child for teardown on exit, SIGINT and SIGTERM; returns it. */
export function trackChild<T extends ChildProcess>(child: T): T {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** How many tracked children are still running (tests assert teardown with it). */
export function runningChildren(): number {
  let n = 0;
  for (const child of live) if (isRunning(child)) n++;
  return n;
}

/** Resolves when the child has exited, or after `timeoutMs` with false. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!isRunning(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (!isRunning(child)) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, graceMs)) return;
  child.kill('SIGKILL');
  await waitForExit(child, 1_000);
}
