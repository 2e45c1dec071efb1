import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). */
export async function freePort(): Promise<number> {
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

/**
 * Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`
 * with `what` in the message. Every wait in the drill is bounded. Aborting `signal` (say, the
 * awaited process died) ends the wait at once with the signal's reason.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { readonly timeoutMs: number; readonly intervalMs?: number; readonly signal?: AbortSignal },
): Promise<T> {
  const until = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  while (Date.now() < until) {
    opts.signal?.throwIfAborted();
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    opts.signal?.throwIfAborted();
    await sleep(opts.intervalMs ?? 50);
  }
  const why = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${why}`);
}
