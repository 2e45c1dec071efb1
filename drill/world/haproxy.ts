import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopChild, trackChild } from './children.ts';
import { waitFor } from './net.ts';

// HAProxy in master-worker mode (`haproxy -W -S master.sock -f haproxy.cfg`), run in the
// foreground as our child so teardown is one signal. Reloads go through the master CLI
// (`reload`), run-time changes through the worker's stats socket at level admin. A reload
// starts a new worker whose counters start at zero: `HaproxyCounters` turns every sample into
// deltas keyed by the worker's pid, so totals stay monotonic across reloads.

const execFileAsync = promisify(execFile);

export interface HaproxyOptions {
  /** Work directory (config, sockets, maps, state); no whitespace. */
  readonly dir: string;
  /** Default `haproxy` from PATH. */
  readonly binary?: string;
  /** Default 10 s. */
  readonly startTimeoutMs?: number;
}

/** One row of `show stat`, the fields the drill reads. */
export interface StatRow {
  readonly proxy: string;
  /** `FRONTEND`, `BACKEND` or a server name. */
  readonly server: string;
  /** `UP`, `DOWN`, `MAINT`, `no check`, `UP 1/2`, `OPEN`… */
  readonly status: string;
  readonly counters: Readonly<Record<CounterName, number>>;
  /** Average response time over the last 1024 requests, ms (servers and backends). */
  readonly rtimeMs: number;
  /** Effective weight (servers; a backend's is its servers' sum). */
  readonly weight: number;
}

export const COUNTER_NAMES = [
  'stot',
  'req_tot',
  'hrsp_1xx',
  'hrsp_2xx',
  'hrsp_3xx',
  'hrsp_4xx',
  'hrsp_5xx',
  'hrsp_other',
  'econ',
  'eresp',
  'ereq',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** Parses `show stat` CSV. */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.length > 0);
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const cols = header.slice(2).split(',');
  const idx = (name: string): number => cols.indexOf(name);
  const rows: StatRow[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = line.split(',');
    const num = (name: string): number => {
      const v = Number(f[idx(name)] ?? '');
      return Number.isFinite(v) ? v : 0;
    };
    const counters = Object.fromEntries(COUNTER_NAMES.map((n) => [n, num(n)])) as Record<CounterName, number>;
    rows.push({
      proxy: f[idx('pxname')] ?? '',
      server: f[idx('svname')] ?? '',
      status: f[idx('status')] ?? '',
      counters,
      rtimeMs: num('rtime'),
      weight: num('weight'),
    });
  }
  return rows;
}

/** Cumulative counters across reloads, per `proxy/server`. */
export interface CounterSnapshot {
  /** Epoch ms of the sample. */
  readonly at: number;
  readonly pid: number;
  readonly totals: ReadonlyMap<string, Readonly<Record<CounterName, number>>>;
  /** The newest rows as HAProxy reported them (statuses, rtime). */
  readonly rows: readonly StatRow[];
}

function zeroCounters(): Record<CounterName, number> {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Record<CounterName, number>;
}

/** Folds successive `show stat` samples into totals that survive counter resets. */
export class HaproxyCounters {
  readonly #last = new Map<string, Record<CounterName, number>>();
  readonly #totals = new Map<string, Record<CounterName, number>>();
  #pid = -1;

  ingest(at: number, pid: number, rows: readonly StatRow[]): CounterSnapshot {
    const newWorker = pid !== this.#pid;
    this.#pid = pid;
    for (const row of rows) {
      const key = `${row.proxy}/${row.server}`;
      const prev = newWorker ? undefined : this.#last.get(key);
      const total = this.#totals.get(key) ?? zeroCounters();
      for (const n of COUNTER_NAMES) {
        const cur = row.counters[n];
        const before = prev?.[n] ?? 0;
        // A smaller value than last time means the counter restarted (new worker, new server).
        total[n] += cur >= before ? cur - before : cur;
      }
      this.#totals.set(key, total);
      this.#last.set(key, { ...row.counters });
    }
    if (newWorker)
      for (const key of [...this.#last.keys()])
        if (!rows.some((r) => `${r.proxy}/${r.server}` === key)) this.#last.delete(key);
    return {
      at,
      pid,
      totals: new Map([...this.#totals].map(([k, v]) => [k, { ...v }])),
      rows,
    };
  }
}

/** Sends one command to a HAProxy CLI socket and returns its whole answer. */
export function socketCommand(path: string, command: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let out = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new Error(`HAProxy socket ${path} did not answer "${command.slice(0, 60)}" within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      out += d;
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.on('connect', () => sock.end(`${command}\n`));
  });
}

export interface ReloadResult {
  /** Whole reload, check included. */
  readonly ms: number;
  /** `haproxy -c` alone. */
  readonly checkMs: number;
  /** From `reload` on the master socket until the new worker answered. */
  readonly swapMs: number;
  readonly pid: number;
}

/** A running HAProxy master and its current worker. */
export class Haproxy {
  readonly dir: string;
  readonly configPath: string;
  readonly adminSocket: string;
  readonly masterSocket: string;
  readonly #binary: string;
  readonly #child: ChildProcess;
  readonly #counters = new HaproxyCounters();
  #stderr = '';
  #sampling: Promise<unknown> = Promise.resolve();
  reloads = 0;

  private constructor(dir: string, binary: string, child: ChildProcess) {
    this.dir = dir;
    this.#binary = binary;
    this.#child = child;
    this.configPath = join(dir, 'haproxy.cfg');
    this.adminSocket = join(dir, 'admin.sock');
    this.masterSocket = join(dir, 'master.sock');
    child.stderr?.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-8_000);
    });
  }

  /** Checks `config` with `haproxy -c`, writes it and starts the master; resolves once the worker answers. */
  static async start(opts: HaproxyOptions, config: string): Promise<Haproxy> {
    const binary = opts.binary ?? 'haproxy';
    const configPath = join(opts.dir, 'haproxy.cfg');
    await checkConfig(binary, opts.dir, config);
    await writeFile(configPath, config);
    const child = trackChild(
      spawn(binary, ['-W', '-S', `${join(opts.dir, 'master.sock')},mode,600`, '-f', configPath], {
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    const haproxy = new Haproxy(opts.dir, binary, child);
    try {
      await waitFor(
        'HAProxy worker',
        async () => {
          if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}`);
          return (await haproxy.workerPid()) || undefined;
        },
        { timeoutMs: opts.startTimeoutMs ?? 10_000, intervalMs: 50 },
      );
    } catch (err) {
      await stopChild(child);
      throw new Error(`${(err as Error).message}\n${haproxy.#stderr}`);
    }
    return haproxy;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Last lines HAProxy wrote to stderr (warnings, alerts). */
  get stderr(): string {
    return this.#stderr;
  }

  /** A stats-socket (admin level) command. */
  runtime(command: string): Promise<string> {
    return socketCommand(this.adminSocket, command);
  }

  /** A master CLI command (`show proc`, `reload`). */
  master(command: string): Promise<string> {
    return socketCommand(this.masterSocket, command);
  }

  async workerPid(): Promise<number> {
    const info = await this.runtime('show info');
    const m = /^Pid: (\d+)$/m.exec(info);
    return m?.[1] === undefined ? 0 : Number(m[1]);
  }

  /** Validates a configuration without touching the running one. */
  check(config: string): Promise<void> {
    return checkConfig(this.#binary, this.dir, config);
  }

  /**
   * Seamless reload: check, keep the current servers' health and admin states in the state
   * file, take a last counter sample from the old worker, swap the config, `reload`, and wait
   * for the new worker to answer.
   */
  async reload(config: string, timeoutMs = 5_000): Promise<ReloadResult> {
    const started = Date.now();
    await this.check(config);
    const checked = Date.now();
    const before = await this.workerPid();
    await writeFile(join(this.dir, 'server-state'), await this.runtime('show servers state'));
    await this.sample();
    const next = `${this.configPath}.next`;
    await writeFile(next, config);
    await rename(next, this.configPath);
    const swapStarted = Date.now();
    await this.master('reload');
    const pid = await waitFor(
      'the reloaded HAProxy worker',
      async () => {
        const p = await this.workerPid();
        return p !== before && p > 0 ? p : undefined;
      },
      { timeoutMs, intervalMs: 10 },
    );
    this.reloads++;
    const done = Date.now();
    return { ms: done - started, checkMs: checked - started, swapMs: done - swapStarted, pid };
  }

  /** Reads `show info` and `show stat` and folds them into cumulative counters. Serialised. */
  sample(): Promise<CounterSnapshot> {
    const run = this.#sampling.then(async () => {
      const out = await this.runtime('show info;show stat');
      const m = /^Pid: (\d+)$/m.exec(out);
      const pid = m?.[1] === undefined ? 0 : Number(m[1]);
      const csvStart = out.indexOf('# pxname');
      return this.#counters.ingest(Date.now(), pid, parseShowStat(csvStart < 0 ? '' : out.slice(csvStart)));
    });
    this.#sampling = run.catch(() => {});
    return run;
  }

  async stop(): Promise<void> {
    await stopChild(this.#child, 3_000);
  }
}

async function checkConfig(binary: string, dir: string, config: string): Promise<void> {
  const path = join(dir, 'haproxy.check.cfg');
  await writeFile(path, config);
  try {
    await execFileAsync(binary, ['-c', '-q', '-f', path], { timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`haproxy -c rejected the generated config: ${e.stderr || e.stdout || e.message}`);
  }
}
