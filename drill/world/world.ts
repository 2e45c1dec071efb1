import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { Elbv2LoadBalancerReader } from '../../lambdas/adapters/elbv2/reader.ts';
import type { Target, TargetGroup } from '../../lib/types.ts';
import { AlbControlPlaneStandIn } from './alb-stand-in.ts';
import { AnomalyMitigation, type MitigationSettings } from './anomaly-mitigation.ts';
import { type ControlPlane, createControlPlane, defaultShopSpec, type ShopWorldSpec } from './aws-world.ts';
import type { BackendTuning } from './backend.ts';
import { DrillClock, type DrillClockOptions } from './clock.ts';
import type { DataPlaneFollowing } from './data-plane-following.ts';
import { Ec2QueryClient } from './ec2-query.ts';
import { BackendFleet } from './fleet.ts';
import type { ResolvedAddress } from './haproxy-plan.ts';
import { HaproxySync } from './haproxy-sync.ts';
import { type LoadOptions, type LoadRun, startLoad } from './loadgen.ts';
import { MetricsPublisher } from './metrics-publisher.ts';
import { attachMoto, type MotoServer, startMoto } from './moto.ts';
import type { SigningCredentials } from './sigv4.ts';

// The whole local game-day world in one call: moto (control plane) → HAProxy (data plane,
// following moto's ELBv2 state) → backend processes (the EC2 instances), plus the metrics
// publisher and a load generator factory. `stop()` tears everything down in reverse order.

export interface WorldOptions {
  /** Use this moto_server (e.g. the test run's) instead of starting one. It is reset first. */
  readonly motoUrl?: string;
  /** Reset the given moto before building. Default true. */
  readonly resetMoto?: boolean;
  readonly shop?: ShopWorldSpec;
  readonly clock?: DrillClockOptions;
  /** Tuning for every backend (capacity etc.). */
  readonly backend?: Partial<BackendTuning>;
  /** Down time of a crashed backend before it restarts. Default: 3 AWS minutes on the drill clock. */
  readonly restartDelayMs?: number;
  readonly maxRestarts?: number;
  /** Pause between sync cycles. Default 100 ms. */
  readonly syncIntervalMs?: number;
  /** Publish ALB metrics to moto. Default true. */
  readonly publishMetrics?: boolean;
  /** Working directory for HAProxy; default a fresh temp dir, removed on stop. */
  readonly dir?: string;
  readonly region?: string;
  /**
   * The world's identity towards moto (its own set-up, HAProxy's reads, metrics, EC2). Default
   * moto's `testing`, which only a moto without IAM enforcement accepts.
   */
  readonly credentials?: SigningCredentials;
  /** Anomaly mitigation's detection and steps (anomaly-mitigation.ts); default its own. */
  readonly mitigation?: Partial<MitigationSettings>;
  /** How HAProxy follows moto from the start (default `follow`); `world.sync.follow()` changes it. */
  readonly dataPlane?: DataPlaneFollowing;
}

export interface World {
  readonly clock: DrillClock;
  readonly moto: MotoServer;
  /**
   * Where AWS API calls go: the control-plane stand-in in front of moto (alb-stand-in.ts), which
   * keeps what moto drops (rule transforms, anomaly results, stopped deployments).
   */
  readonly awsUrl: string;
  readonly standIn: AlbControlPlaneStandIn;
  /** ALB's automatic target weights on the data plane (`weighted_random` groups). */
  readonly mitigation: AnomalyMitigation;
  readonly clients: AwsClients;
  readonly ec2: Ec2QueryClient;
  readonly control: ControlPlane;
  readonly fleet: BackendFleet;
  readonly sync: HaproxySync;
  readonly metrics: MetricsPublisher | undefined;
  readonly dir: string;
  /** Local URL of the ALB listener on `albPort` (default the shop's listener). */
  listenerUrl(albPort?: number): string;
  /** Starts a load run against a listener (default the shop's). */
  load(opts: Omit<LoadOptions, 'url'> & { readonly url?: string }): LoadRun;
  stop(): Promise<void>;
}

/** Maps a target to the process playing it: instances by id, loopback IP targets as given. */
export function worldResolver(
  backendPorts: ReadonlyMap<string, number>,
): (group: TargetGroup, target: Target) => ResolvedAddress | undefined {
  return (_group, target) => {
    const port = backendPorts.get(target.id);
    if (port !== undefined) return { host: '127.0.0.1', port };
    if (target.id.startsWith('127.') && target.port !== undefined)
      return { host: target.id, port: target.port };
    return undefined;
  };
}

/** Builds and starts the world; on any failure tears down what was started and rethrows. */
export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const teardown: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const step of teardown.reverse()) {
      try {
        await step();
      } catch {
        // Teardown continues: a half-stopped world is worse than a noisy one.
      }
    }
    teardown.length = 0;
  };
  try {
    const clock = new DrillClock(opts.clock);
    const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'lbguard-drill-')));
    if (opts.dir === undefined) {
      // Ctrl-C skips `stop()`; the temp dir (sockets, config) goes with the process anyway.
      const removeSync = (): void => rmSync(dir, { recursive: true, force: true });
      process.once('exit', removeSync);
      teardown.push(async () => {
        process.off('exit', removeSync);
        await rm(dir, { recursive: true, force: true });
      });
    }

    const moto = opts.motoUrl === undefined ? await startMoto() : attachMoto(opts.motoUrl);
    teardown.push(() => moto.stop());
    if (opts.resetMoto !== false) await moto.reset();
    let mitigation: AnomalyMitigation | undefined;
    const standIn = await AlbControlPlaneStandIn.start({
      motoUrl: moto.url,
      anomaly: (group, target) => mitigation?.report(group, target),
    });
    teardown.push(() => standIn.stop());

    const region = opts.region ?? 'us-east-1';
    const clients = createAwsClients({
      endpoint: standIn.url,
      region,
      credentials: opts.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 2,
    });
    teardown.push(async () => destroyAwsClients(clients));
    const ec2 = new Ec2QueryClient({
      endpoint: moto.url,
      region,
      ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    });
    const control = await createControlPlane(clients.elbv2, ec2, opts.shop ?? defaultShopSpec);

    const fleet = new BackendFleet({
      members: control.instances.map((i) => ({ instanceId: i.instanceId, port: i.localPort })),
      hooks: {
        onDown: (id) => ec2.stopInstances([id]),
        onUp: (id) => ec2.startInstances([id]),
      },
      restartDelayMs: opts.restartDelayMs ?? clock.drillMs(3 * 60_000),
      ...(opts.maxRestarts === undefined ? {} : { maxRestarts: opts.maxRestarts }),
      ...(opts.backend === undefined ? {} : { tuning: opts.backend }),
    });
    teardown.push(() => fleet.stop());
    await fleet.start();

    const sync = await HaproxySync.start({
      reader: new Elbv2LoadBalancerReader(clients.elbv2, { readAttributes: false }),
      loadBalancerArn: control.loadBalancerArn,
      dir,
      resolve: worldResolver(control.backendPorts),
      healthCheckScale: clock.factor,
      ruleTransforms: () => standIn.transforms,
      ...(opts.syncIntervalMs === undefined ? {} : { intervalMs: opts.syncIntervalMs }),
      ...(opts.dataPlane === undefined ? {} : { following: opts.dataPlane }),
    });
    teardown.push(() => sync.stop());
    await sync.waitUntilServing();
    const mitigating = new AnomalyMitigation({
      haproxy: sync.haproxy,
      plan: () => sync.plan,
      elbv2: clients.elbv2,
      ...(opts.mitigation === undefined ? {} : { settings: opts.mitigation }),
    });
    mitigating.start();
    mitigation = mitigating;
    teardown.push(() => mitigating.stop());

    let metrics: MetricsPublisher | undefined;
    if (opts.publishMetrics !== false) {
      const publisher = new MetricsPublisher({
        cloudwatch: clients.cloudwatch,
        clock,
        plan: () => sync.plan,
        sample: () => sync.haproxy.sample(),
        availabilityZones: control.availabilityZones,
      });
      await publisher.start();
      teardown.push(() => publisher.stop());
      metrics = publisher;
    }

    const runs: LoadRun[] = [];
    teardown.push(async () => {
      for (const r of runs) r.stop();
      await Promise.all(runs.map((r) => r.done));
    });

    let stopped: Promise<void> | undefined;
    return {
      clock,
      moto,
      awsUrl: standIn.url,
      standIn,
      mitigation: mitigating,
      clients,
      ec2,
      control,
      fleet,
      sync,
      metrics,
      dir,
      listenerUrl: (albPort = control.listenerPort) => sync.listenerUrl(albPort),
      load: (loadOpts) => {
        const run = startLoad({ ...loadOpts, url: loadOpts.url ?? sync.listenerUrl(control.listenerPort) });
        runs.push(run);
        return run;
      },
      stop: () => {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
