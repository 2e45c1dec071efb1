// Starts bench/site-server.ts in its own `node` process and stops it.
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface Site {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startSite(): Promise<Site> {
  const script = path.join(import.meta.dirname, 'site-server.ts');
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', kill);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('site server did not start within 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`site server exited with code ${code}`)));
    child.stdout.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
