import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadBalancerReader, LoadBalancerState } from '../../lambdas/adapters/elbv2/ports.ts';
import type { Target, TargetGroup } from '../../lib/types.ts';
import type { StoredTransform } from './alb-stand-in.ts';
import { type DataPlaneFollowing, FollowingGate } from './data-plane-following.ts';
import { Haproxy } from './haproxy.ts';
import { BAD_GATEWAY_ERRORFILE, renderHaproxy, renderMapFile } from './haproxy-config.ts';
import type { HaproxyPlan, MapEntry, ResolvedAddress, ServerState } from './haproxy-plan.ts';
import { freePort, sleep, waitFor } from './net.ts';

// Keeps HAProxy routing like the ALB in moto. Every `intervalMs` it reads the load balancer
// through lbguard's own ELBv2 reader (one translation of ELBv2 shapes in the project),
// renders the HAProxy configuration and applies the difference:
// - structure changed (listeners, rules, conditions, target groups, a never-seen target)
//   → write, `haproxy -c`, reload through the master socket;
// - only weights changed → swap the forward action's range map at run time;
// - only registrations or instance states changed → `set server … state maint|ready`.
// A target (re-)entering service is put `health down` before `state ready`, so HAProxy's
// checks must pass `rise` times first: ALB's `initial` state, not HAProxy's optimistic UP.
// What is read passes a gate first (data-plane-following.ts): the data plane may follow late, or
// not at all, while moto already reports the new configuration.

export interface HaproxySyncOptions {
  readonly reader: LoadBalancerReader;
  readonly loadBalancerArn: string;
  /** HAProxy work directory (no whitespace). */
  readonly dir: string;
  readonly resolve: (group: TargetGroup, target: Target) => ResolvedAddress | undefined;
  /** ALB listener port → loopback port; listeners not listed get a free port on first sight. */
  readonly listenerBinds?: ReadonlyMap<number, number>;
  /** Pause between the end of one cycle and the start of the next. Default 100 ms. */
  readonly intervalMs?: number;
  /** Divides ALB health-check timings (the clock's factor). Default 60. */
  readonly healthCheckScale?: number;
  readonly serverTimeoutMs?: number;
  readonly haproxyBinary?: string;
  /**
   * Rule transforms by rule ARN. lbguard's reader does not carry them (yet), and moto drops
   * them: the control-plane stand-in (alb-stand-in.ts) is where they live.
   */
  readonly ruleTransforms?: () => ReadonlyMap<string, readonly StoredTransform[]>;
  /** How the data plane follows what is read. Default `follow`; change it with `follow()`. */
  readonly following?: DataPlaneFollowing;
}

export type SyncChangeKind = 'start' | 'reload' | 'weights' | 'server-state';

export interface SyncChange {
  readonly kind: SyncChangeKind;
  /** Sequence number of the sync pass that applied it (0 is the start; see `passesStarted`). */
  readonly pass: number;
  /**
   * Epoch ms when the read that saw the change began (with a delay, the read of the state now
   * applied, not the pass's own). Not proof that the ELBv2 change came
   * first: a read takes several calls, so one already under way can still see a later change.
   */
  readonly readStartedAt: number;
  /** Epoch ms when HAProxy was routing by it. */
  readonly appliedAt: number;
  readonly detail: string;
}

export interface SyncStats {
  readonly cycles: number;
  readonly errors: number;
  readonly lastError?: string;
  readonly reloads: number;
  readonly runtimeCommands: number;
  readonly lastCycleMs: number;
  readonly maxCycleMs: number;
  readonly meanCycleMs: number;
  readonly meanReloadMs: number;
}

export class HaproxySync {
  readonly haproxy: Haproxy;
  readonly changes: SyncChange[] = [];
  readonly #opts: HaproxySyncOptions;
  readonly #binds: Map<number, number>;
  readonly #known = new Map<string, Map<string, Target>>();
  readonly #applied = new Map<string, ServerState>();
  #plan: HaproxyPlan;
  #running = true;
  #loop: Promise<void> = Promise.resolve();
  #cycles = 0;
  #passesStarted = 0;
  #lastCompletedPass = 0;
  #errors = 0;
  #lastError: string | undefined;
  #runtimeCommands = 0;
  #cycleMs: number[] = [];
  #reloadMs: number[] = [];
  #lastState: LoadBalancerState | undefined;
  readonly #gate: FollowingGate<LoadBalancerState>;

  private constructor(
    opts: HaproxySyncOptions,
    binds: Map<number, number>,
    haproxy: Haproxy,
    plan: HaproxyPlan,
  ) {
    this.#opts = opts;
    this.#binds = binds;
    this.haproxy = haproxy;
    this.#plan = plan;
    this.#gate = new FollowingGate((s) => JSON.stringify(s), opts.following);
  }

  /** Reads the ALB, starts HAProxy routing by it, then keeps it in sync until `stop`. */
  static async start(opts: HaproxySyncOptions): Promise<HaproxySync> {
    await mkdir(join(opts.dir, 'maps'), { recursive: true });
    await mkdir(join(opts.dir, 'errors'), { recursive: true });
    await writeFile(join(opts.dir, 'errors', '502.http'), BAD_GATEWAY_ERRORFILE);
    await writeFile(join(opts.dir, 'server-state'), '');
    const readStartedAt = Date.now();
    const state = await opts.reader.readSnapshot(opts.loadBalancerArn);
    const binds = new Map(opts.listenerBinds ?? []);
    await allocateBinds(binds, state);
    const known = new Map<string, Map<string, Target>>();
    rememberTargets(known, state);
    // First start: servers begin in their desired state (HAProxy starts checked servers UP).
    const draft = render(opts, state, binds, known, new Map());
    const plan = render(opts, state, binds, known, new Map(draft.servers.map((s) => [s.key, s.desired])));
    await writeMaps(plan.maps);
    const haproxy = await Haproxy.start(
      { dir: opts.dir, ...(opts.haproxyBinary === undefined ? {} : { binary: opts.haproxyBinary }) },
      plan.config,
    );
    const sync = new HaproxySync(opts, binds, haproxy, plan);
    for (const [k, v] of known) sync.#known.set(k, v);
    for (const s of plan.servers) sync.#applied.set(s.key, s.desired);
    sync.#lastState = state;
    sync.changes.push({
      kind: 'start',
      pass: 0,
      readStartedAt,
      appliedAt: Date.now(),
      detail: 'HAProxy started',
    });
    sync.#loop = sync.#run();
    return sync;
  }

  /** The plan HAProxy currently routes by: backends, servers and what they stand for. */
  get plan(): HaproxyPlan {
    return this.#plan;
  }

  /**
   * Passes begun so far, also the number of the latest. A pass numbered above the value read
   * once an ELBv2 change has returned began reading after that change, so it sees it; waiting
   * on these numbers is exact where comparing clock readings races with a read in flight.
   */
  get passesStarted(): number {
    return this.#passesStarted;
  }

  /** Highest number of a pass that ran to the end without error; 0 until one has. */
  get lastCompletedPass(): number {
    return this.#lastCompletedPass;
  }

  /** How the data plane follows the control plane now. */
  get following(): DataPlaneFollowing {
    return this.#gate.following;
  }

  /** From the next pass on, follows the control plane as `following` says (late, or not at all). */
  follow(following: DataPlaneFollowing): void {
    this.#gate.set(following);
  }

  /** The last ELBv2 state the sync read (the control plane's, whether applied or not). */
  get lastState(): LoadBalancerState | undefined {
    return this.#lastState;
  }

  /** Base URL on which the ALB listener on `albPort` is served locally. */
  listenerUrl(albPort: number): string {
    const port = this.#binds.get(albPort);
    if (port === undefined) throw new Error(`no listener on port ${albPort}`);
    return `http://127.0.0.1:${port}`;
  }

  stats(): SyncStats {
    const mean = (xs: readonly number[]): number =>
      xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      cycles: this.#cycles,
      errors: this.#errors,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      reloads: this.haproxy.reloads,
      runtimeCommands: this.#runtimeCommands,
      lastCycleMs: this.#cycleMs.at(-1) ?? 0,
      maxCycleMs: Math.max(0, ...this.#cycleMs),
      meanCycleMs: mean(this.#cycleMs),
      meanReloadMs: mean(this.#reloadMs),
    };
  }

  /** Resolves once every server that should serve is UP by HAProxy's own health checks. */
  async waitUntilServing(timeoutMs = 15_000): Promise<void> {
    await waitFor(
      'every registered target to pass its HAProxy health check',
      async () => {
        const { rows } = await this.haproxy.sample();
        const status = new Map(rows.map((r) => [`${r.proxy}/${r.server}`, r.status]));
        const ready = this.#plan.servers.filter((s) => !s.backup && s.desired === 'ready');
        return ready.every((s) => (status.get(s.key) ?? '').startsWith('UP')) ? true : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** One read-render-apply cycle; returns what it changed. Exposed for tests and scenarios. */
  async syncOnce(): Promise<SyncChange[]> {
    const pass = ++this.#passesStarted;
    const readBegan = Date.now();
    const read = await this.#opts.reader.readSnapshot(this.#opts.loadBalancerArn);
    const admitted = this.#gate.offer(read, readBegan, Date.now());
    this.#lastState = read;
    if (admitted === undefined) {
      this.#lastCompletedPass = Math.max(this.#lastCompletedPass, pass);
      return [];
    }
    const { state, readAt: readStartedAt } = admitted;
    await allocateBinds(this.#binds, state);
    rememberTargets(this.#known, state);
    const plan = render(this.#opts, state, this.#binds, this.#known, this.#applied);
    const out: SyncChange[] = [];
    const record = (kind: SyncChangeKind, detail: string): void => {
      const change = { kind, pass, readStartedAt, appliedAt: Date.now(), detail };
      out.push(change);
      this.changes.push(change);
    };

    if (plan.structureKey !== this.#plan.structureKey) {
      await writeMaps(plan.maps);
      const { ms, checkMs, swapMs } = await this.haproxy.reload(plan.config);
      this.#reloadMs.push(ms);
      // Servers new to this config start as written (maint); the rest keep their state file.
      for (const s of plan.servers) if (!this.#applied.has(s.key)) this.#applied.set(s.key, 'maint');
      for (const key of [...this.#applied.keys()])
        if (!plan.servers.some((s) => s.key === key)) this.#applied.delete(key);
      this.#plan = plan;
      record('reload', `config reloaded in ${ms} ms (check ${checkMs} ms, swap ${swapMs} ms)`);
    } else {
      const changedMaps = [...plan.maps].filter(
        ([path, entries]) => !sameEntries(this.#plan.maps.get(path), entries),
      );
      for (const [path, entries] of changedMaps) {
        await this.#swapMap(path, entries);
        record(
          'weights',
          `${path.split('/').at(-1)}: ${entries.map((e) => `${e.key}→${e.value}`).join(' ') || 'empty'}`,
        );
      }
      this.#plan = plan;
    }

    const transitions: string[] = [];
    for (const s of plan.servers) {
      if (this.#applied.get(s.key) === s.desired) continue;
      if (s.desired === 'ready' && !s.backup) {
        // ALB holds a (re-)registered target `initial` until it passes healthy-threshold checks.
        await this.#command(`set server ${s.key} health down`);
      }
      await this.#command(`set server ${s.key} state ${s.desired}`);
      this.#applied.set(s.key, s.desired);
      if (!s.backup) transitions.push(`${s.key}→${s.desired}`);
    }
    if (transitions.length > 0) record('server-state', transitions.join(' '));
    // A max, not the last: `syncOnce` may also be called beside the loop, out of order.
    this.#lastCompletedPass = Math.max(this.#lastCompletedPass, pass);
    return out;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.haproxy.stop();
  }

  async #run(): Promise<void> {
    const interval = this.#opts.intervalMs ?? 100;
    while (this.#running) {
      const started = Date.now();
      try {
        await this.syncOnce();
      } catch (err) {
        this.#errors++;
        this.#lastError = (err as Error).message;
      }
      const took = Date.now() - started;
      this.#cycles++;
      this.#cycleMs.push(took);
      if (this.#cycleMs.length > 1_000) this.#cycleMs.shift();
      if (this.#running) await sleep(Math.max(0, interval - took));
    }
  }

  async #command(command: string): Promise<string> {
    this.#runtimeCommands++;
    const out = await this.haproxy.runtime(command);
    if (/^(Unknown|No such|Require|Error|Can't)/im.test(out))
      throw new Error(`HAProxy refused "${command}": ${out.trim()}`);
    return out;
  }

  /** Atomic swap of a range map: prepare a new version, fill it, commit; then the file too. */
  async #swapMap(path: string, entries: readonly MapEntry[]): Promise<void> {
    const prepared = await this.#command(`prepare map ${path}`);
    const version = /version created: (\d+)/.exec(prepared)?.[1];
    if (version === undefined) throw new Error(`prepare map ${path} answered: ${prepared.trim()}`);
    if (entries.length > 0) {
      await this.#command(`add map @${version} ${path} <<\n${renderMapFile(entries)}`);
    }
    await this.#command(`commit map @${version} ${path}`);
    await writeFile(path, renderMapFile(entries));
  }
}

function render(
  opts: HaproxySyncOptions,
  state: LoadBalancerState,
  binds: ReadonlyMap<number, number>,
  known: ReadonlyMap<string, ReadonlyMap<string, Target>>,
  applied: ReadonlyMap<string, ServerState>,
): HaproxyPlan {
  return renderHaproxy({
    snapshot: state.snapshot,
    health: state.health,
    listenerBinds: binds,
    knownTargets: new Map([...known].map(([arn, m]) => [arn, [...m.values()]])),
    resolve: opts.resolve,
    dir: opts.dir,
    healthCheckScale: opts.healthCheckScale ?? 60,
    configStates: applied,
    ...(opts.serverTimeoutMs === undefined ? {} : { serverTimeoutMs: opts.serverTimeoutMs }),
    ...(opts.ruleTransforms === undefined ? {} : { ruleTransforms: opts.ruleTransforms() }),
  });
}

async function allocateBinds(binds: Map<number, number>, state: LoadBalancerState): Promise<void> {
  for (const l of state.snapshot.listeners) if (!binds.has(l.port)) binds.set(l.port, await freePort());
}

function rememberTargets(known: Map<string, Map<string, Target>>, state: LoadBalancerState): void {
  for (const g of state.snapshot.targetGroups) {
    const m = known.get(g.arn) ?? new Map<string, Target>();
    for (const t of g.targets) m.set(`${t.id}:${t.port ?? ''}`, t);
    known.set(g.arn, m);
  }
}

async function writeMaps(maps: ReadonlyMap<string, readonly MapEntry[]>): Promise<void> {
  for (const [path, entries] of maps) await writeFile(path, renderMapFile(entries));
}

function sameEntries(a: readonly MapEntry[] | undefined, b: readonly MapEntry[]): boolean {
  return (
    a !== undefined &&
    a.length === b.length &&
    a.every((e, i) => e.key === b[i]?.key && e.value === b[i]?.value)
  );
}
