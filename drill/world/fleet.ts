import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type BackendCommand,
  type BackendMessage,
  type BackendMode,
  type BackendTuning,
  defaultBackendTuning,
} from './backend.ts';
import { stopChild, trackChild, waitForExit } from './children.ts';

// Supervises the backend processes the way an autoscaling group with EC2 auto-recovery
// would: a backend that falls over is down for `restartDelayMs`, during which its EC2
// instance is stopped in moto (so DescribeTargetHealth says `unused` / `Target.InvalidState`),
// then the instance is started and the process comes back.

export interface FleetMember {
  readonly instanceId: string;
  readonly port: number;
  readonly tuning?: Partial<BackendTuning>;
}

export type BackendStatus = 'starting' | 'up' | 'down' | 'stopped';

export type FleetEventKind =
  | 'started'
  | 'fell-over'
  | 'exited'
  | 'instance-stopped'
  | 'instance-started'
  | 'mode-changed'
  | 'tuned'
  | 'restart-budget-exhausted'
  | 'hook-failed';

export interface FleetEvent {
  /** Epoch ms. */
  readonly at: number;
  readonly instanceId: string;
  readonly kind: FleetEventKind;
  readonly detail?: string;
}

/** Effects of a backend going down and coming back, e.g. StopInstances / StartInstances in moto. */
export interface FleetHooks {
  onDown(instanceId: string): Promise<void>;
  onUp(instanceId: string): Promise<void>;
}

export interface FleetOptions {
  readonly members: readonly FleetMember[];
  readonly hooks: FleetHooks;
  /** Down time of a crashed backend before it restarts. Default 3000 ms. */
  readonly restartDelayMs?: number;
  /** Restarts per backend before it stays down (bounds a crash loop). Default 20. */
  readonly maxRestarts?: number;
  /** Default tuning for every member. */
  readonly tuning?: Partial<BackendTuning>;
  /** Default 10 s. */
  readonly startTimeoutMs?: number;
}

interface Slot {
  readonly member: FleetMember;
  tuning: BackendTuning;
  mode: BackendMode;
  child: ChildProcess | undefined;
  status: BackendStatus;
  restarts: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Ends the restart wait early (on stop). */
  wake: (() => void) | undefined;
}

// Beside this file: the TypeScript source in a clone (Node strips its types), the compiled
// JavaScript in an installed package (Node strips no types under node_modules).
const MAIN = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './backend-main.ts' : './backend-main.js', import.meta.url),
);

/** The backend processes of the world, each playing one EC2 instance. */
export class BackendFleet {
  readonly events: FleetEvent[] = [];
  readonly #slots = new Map<string, Slot>();
  readonly #hooks: FleetHooks;
  readonly #restartDelayMs: number;
  readonly #maxRestarts: number;
  readonly #startTimeoutMs: number;
  #stopping = false;
  #pending = new Set<Promise<unknown>>();

  constructor(opts: FleetOptions) {
    this.#hooks = opts.hooks;
    this.#restartDelayMs = opts.restartDelayMs ?? 3_000;
    this.#maxRestarts = opts.maxRestarts ?? 20;
    this.#startTimeoutMs = opts.startTimeoutMs ?? 10_000;
    for (const member of opts.members) {
      this.#slots.set(member.instanceId, {
        member,
        tuning: { ...defaultBackendTuning, ...opts.tuning, ...member.tuning },
        mode: 'normal',
        child: undefined,
        status: 'stopped',
        restarts: 0,
        restartTimer: undefined,
        wake: undefined,
      });
    }
  }

  /** Starts every backend and resolves once all listen. */
  async start(): Promise<void> {
    await Promise.all([...this.#slots.values()].map((slot) => this.#spawn(slot)));
  }

  status(instanceId: string): BackendStatus {
    return this.#slot(instanceId).status;
  }

  statuses(): Record<string, BackendStatus> {
    return Object.fromEntries([...this.#slots].map(([id, s]) => [id, s.status]));
  }

  /** `fail-500` answers 500 except on /health (a failing database); `crash` exits at once. */
  setMode(instanceId: string, mode: BackendMode): void {
    const slot = this.#slot(instanceId);
    // Crash is an event, not a state that should survive the restart.
    if (mode !== 'crash') slot.mode = mode;
    this.#send(slot, { type: 'mode', mode });
    this.#record(instanceId, 'mode-changed', mode);
  }

  /** Changes capacity and friends at run time; kept across restarts. */
  tune(instanceId: string, tuning: Partial<BackendTuning>): void {
    const slot = this.#slot(instanceId);
    slot.tuning = { ...slot.tuning, ...tuning };
    this.#send(slot, { type: 'tune', tuning });
    this.#record(instanceId, 'tuned', JSON.stringify(tuning));
  }

  crash(instanceId: string): void {
    this.setMode(instanceId, 'crash');
  }

  /** Stops every backend and cancels pending restarts. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots.values()) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      slot.wake?.();
    }
    await Promise.all(
      [...this.#slots.values()].map((s) => (s.child ? stopChild(s.child, 1_000) : undefined)),
    );
    await Promise.allSettled([...this.#pending]);
    for (const slot of this.#slots.values()) slot.status = 'stopped';
  }

  #slot(instanceId: string): Slot {
    const slot = this.#slots.get(instanceId);
    if (!slot) throw new Error(`no backend plays instance ${instanceId}`);
    return slot;
  }

  #record(instanceId: string, kind: FleetEventKind, detail?: string): void {
    this.events.push({ at: Date.now(), instanceId, kind, ...(detail === undefined ? {} : { detail }) });
  }

  #send(slot: Slot, command: BackendCommand): void {
    if (slot.child?.connected) slot.child.send(command);
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p)).catch(() => {});
    return p;
  }

  async #spawn(slot: Slot): Promise<void> {
    const opts = { id: slot.member.instanceId, port: slot.member.port, mode: slot.mode, ...slot.tuning };
    slot.status = 'starting';
    const child = trackChild(
      spawn(process.execPath, [MAIN, JSON.stringify(opts)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }),
    );
    slot.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2_000);
    });
    let fellOver: string | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`backend ${opts.id} not ready within ${this.#startTimeoutMs} ms\n${stderr}`)),
        this.#startTimeoutMs,
      );
      child.on('message', (msg: BackendMessage) => {
        if (msg.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (msg.type === 'falling-over') {
          fellOver = msg.reason;
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`backend ${opts.id} exited with ${code} before it was ready\n${stderr}`));
      });
    });
    child.once('exit', (code, signal) => {
      if (slot.child !== child) return;
      slot.child = undefined;
      if (this.#stopping) return;
      if (fellOver !== undefined) this.#record(opts.id, 'fell-over', fellOver);
      this.#record(opts.id, 'exited', signal ?? String(code));
      void this.#track(this.#recover(slot));
    });
    await ready;
    slot.status = 'up';
    this.#record(opts.id, 'started', `port ${opts.port}`);
  }

  async #recover(slot: Slot): Promise<void> {
    const id = slot.member.instanceId;
    slot.status = 'down';
    await this.#hook('onDown', id);
    this.#record(id, 'instance-stopped');
    if (slot.restarts >= this.#maxRestarts) {
      this.#record(id, 'restart-budget-exhausted', String(slot.restarts));
      return;
    }
    await new Promise<void>((resolve) => {
      slot.restartTimer = setTimeout(resolve, this.#restartDelayMs);
      slot.wake = resolve;
    });
    slot.restartTimer = undefined;
    slot.wake = undefined;
    if (this.#stopping) return;
    slot.restarts++;
    await this.#hook('onUp', id);
    this.#record(id, 'instance-started');
    if (this.#stopping) return;
    try {
      await this.#spawn(slot);
    } catch (err) {
      this.#record(id, 'hook-failed', (err as Error).message);
      slot.status = 'down';
      if (slot.child) await waitForExit(slot.child, 1_000);
    }
  }

  async #hook(name: keyof FleetHooks, id: string): Promise<void> {
    try {
      await this.#hooks[name](id);
    } catch (err) {
      this.#record(id, 'hook-failed', `${name}: ${(err as Error).message}`);
    }
  }
}
