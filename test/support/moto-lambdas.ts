import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import type { FunctionClients } from '../../drill/run-types.ts';
import { createPowertoolsApplyOnce } from '../../lambdas/adapters/apply-once.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import type { LoadBalancerReader } from '../../lambdas/adapters/elbv2/ports.ts';
import { HttpProber } from '../../lambdas/adapters/http-prober.ts';
import { PowertoolsSecretReader } from '../../lambdas/adapters/secrets.ts';
import type { StateStore } from '../../lambdas/adapters/state-store/ports.ts';
import { createStateKey, createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import type { EnrolClients } from '../../lambdas/enrol/deps.ts';
import { type InspectDeps, type InspectOutcome, inspect } from '../../lambdas/flows/inspect.ts';
import { type ProbeDeps, probe } from '../../lambdas/flows/probe.ts';
import { type RemediateDeps, remediate } from '../../lambdas/flows/remediate.ts';
import { inspectDeps as wireInspect } from '../../lambdas/inspect/deps.ts';
import { probeDeps as wireProbe } from '../../lambdas/probe/deps.ts';
import { remediateDeps as wireRemediate } from '../../lambdas/remediate/deps.ts';
import type { LbGuardEnv } from '../../lambdas/runtime/env.ts';
import type { CloudTrailElbv2Event, RemediateRequest } from '../../lambdas/runtime/events.ts';
import { InspectEventSchema } from '../../lambdas/runtime/events.ts';
import type { LbGuardConfig, LbGuardConfigInput } from '../../lib/config/index.ts';
import { modelRouting } from '../../lib/routing.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import { motoClientConfig, resetMoto } from './aws-env.ts';
import {
  type ActionSpec,
  createShop,
  type Shop,
  type ShopSpec,
  toSdkActions,
  toSdkConditions,
} from './elbv2-fixtures.ts';
import { FakeClock, RecordingInvoker, RecordingMetrics, SilentLog, testConfig } from './lambda-fakes.ts';
import { type SnsHttpDelivery, startSnsHttpSink } from './sns-events.ts';

// The three functions wired to moto exactly as in production (createRuntime around SDK clients),
// with a local HTTP server standing in for the site behind the load balancer, an SNS HTTP
// subscription that collects what people would receive, and a count of ELBv2 calls by name.

export const TABLE = 'lbguard-state';
const WRITES = new Set([
  'RegisterTargets',
  'DeregisterTargets',
  'ModifyListener',
  'ModifyRule',
  'SetRulePriorities',
  'CreateRule',
  'DeleteRule',
]);

/** What people would receive: the notification topic's messages, as an HTTP subscriber sees them. */
export type SnsDelivery = SnsHttpDelivery;

/** A fault to inject into lbguard's own ELBv2 calls: return an error to throw, or undefined. */
export type Fault = (command: string, attempt: number) => Error | undefined;

export interface MotoWorld {
  readonly config: LbGuardConfig;
  readonly shop: Shop;
  readonly clock: FakeClock;
  /** Clients the "deployment" (the test) uses; lbguard's own are counted separately. */
  readonly admin: AwsClients;
  /** The environment the functions were wired with, and the adapters the test reads state through. */
  readonly runtime: {
    readonly env: LbGuardEnv;
    readonly reader: LoadBalancerReader;
    readonly store: StateStore;
  };
  readonly invoker: RecordingInvoker;
  readonly metrics: RecordingMetrics;
  readonly logger: SilentLog;
  /** ELBv2 commands lbguard sent, in order (every attempt, retries included). */
  readonly elbv2Calls: string[];
  readonly deliveries: SnsDelivery[];
  /** The site answers 500 to everything while set (a database outage, say). */
  backendFault: boolean;
  /** The target that answers a request, sent as `X-Served-By` while set: the test's data plane. */
  servedBy: ((path: string) => string) | undefined;
  /** Set to inject faults into lbguard's ELBv2 calls at the transport (retried by the SDK). */
  transportFault: Fault | undefined;
  /** Set to inject faults above the SDK's retries (a crash or network loss mid-plan). */
  callFault: Fault | undefined;
  inspectDeps(): InspectDeps;
  remediateDeps(lockOwner?: string): RemediateDeps;
  tick(advanceMs?: number): Promise<InspectOutcome>;
  promote(): Promise<void>;
  liveHash(): Promise<string>;
  lastGoodHash(): Promise<string | undefined>;
  elbv2Writes(): string[];
  notifications(min: number): Promise<SnsDelivery[]>;
  changeEvent(eventName: string, requestParameters: Record<string, unknown>): CloudTrailElbv2Event;
  modifyListener(action: ActionSpec): Promise<void>;
  modifyRule(ruleName: string, path: readonly string[], action: ActionSpec): Promise<void>;
  remediate(request: RemediateRequest, lockOwner?: string): ReturnType<typeof remediate>;
  close(): Promise<void>;
}

let functionClientsHook: (() => FunctionClients) | undefined;

/**
 * Gives each function its own SDK clients in every world created from now on (the IAM proof: each
 * under its role's credentials), instead of one set shared by the three; `undefined` restores
 * the shared set. The test's own set-up and reads keep the world's clients (`admin`, `runtime`).
 */
export function useFunctionClients(make: (() => FunctionClients) | undefined): void {
  functionClientsHook = make;
}

/** The SDK clients of each function of a spoke in discovery mode: the three, and enrol's. */
export interface SpokeClients extends FunctionClients {
  readonly enrol: EnrolClients;
}

let spokeClientsHook: (() => SpokeClients) | undefined;

/**
 * Gives each function of a discovery spoke (test/integration/enrolment.test.ts) its own SDK
 * clients from now on (the IAM proof: each under its role); `undefined` restores `shared`.
 */
export function useSpokeClients(make: (() => SpokeClients) | undefined): void {
  spokeClientsHook = make;
}

/** The spoke functions' clients: each its own under `useSpokeClients`, else `shared` by all four. */
export function spokeClients(shared: AwsClients): SpokeClients {
  return spokeClientsHook?.() ?? { probe: shared, inspect: shared, remediate: shared, enrol: shared };
}

/** Routes of the healthy shop and how many targets each reaches; fewer now means the site fails. */
type Capacity = Map<string, number>;

function routeCapacity(state: {
  snapshot: Parameters<typeof modelRouting>[0];
  health: Parameters<typeof modelRouting>[1];
}): Capacity {
  const model = modelRouting(state.snapshot, state.health);
  return new Map(
    model.routes.map((r) => [
      r.ruleArn,
      r.shares.filter((s) => s.share > 0 && s.destination.kind === 'target').length,
    ]),
  );
}

export async function createMotoWorld(
  spec: ShopSpec,
  service: (shop: Shop, siteUrl: string) => Partial<LbGuardConfigInput['services'][number]>,
): Promise<MotoWorld> {
  await resetMoto();
  const admin = createAwsClients(motoClientConfig());
  const clients = createAwsClients(motoClientConfig());
  const own: FunctionClients = functionClientsHook?.() ?? {
    probe: clients,
    inspect: clients,
    remediate: clients,
  };
  const elbv2Calls: string[] = [];
  const world = {
    transportFault: undefined as Fault | undefined,
    callFault: undefined as Fault | undefined,
    backendFault: false,
    servedBy: undefined as ((path: string) => string) | undefined,
  };
  const attempts = new Map<string, number>();
  // Every ELBv2 client lbguard's functions (and the test's reads) use, counted and faulted alike.
  for (const elbv2 of new Set([clients.elbv2, own.inspect.elbv2, own.remediate.elbv2])) {
    elbv2.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? '').replace(/Command$/, '');
        const n = (attempts.get(`call:${name}`) ?? 0) + 1;
        attempts.set(`call:${name}`, n);
        const fault = world.callFault?.(name, n);
        if (fault) throw fault;
        return next(args);
      },
      { step: 'initialize', name: 'lbguardTestCallFaults' },
    );
    elbv2.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? '').replace(/Command$/, '');
        elbv2Calls.push(name);
        const n = (attempts.get(`send:${name}`) ?? 0) + 1;
        attempts.set(`send:${name}`, n);
        const fault = world.transportFault?.(name, n);
        if (fault) throw fault;
        return next(args);
      },
      // Below the retry middleware, so the SDK sees these as responses and retries as it would.
      { step: 'deserialize', name: 'lbguardTestTransportFaults' },
    );
  }

  await createStateTable(clients.dynamodb, TABLE);
  const stateKey = await createStateKey(admin.kms, TABLE);
  const topic = await admin.sns.send(new CreateTopicCommand({ Name: 'lbguard' }));
  const topicArn = topic.TopicArn ?? '';

  const snsSink = await startSnsHttpSink();
  const deliveries = snsSink.deliveries;
  await admin.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: `${snsSink.endpoint}/sns` }),
  );

  const shop = await createShop(admin, spec);
  const clock = new FakeClock(new Date().toISOString());
  let healthy: Capacity | undefined;
  let reading: Promise<Capacity> | undefined;
  // The site: 200 while every route still reaches as many targets as when healthy, else 503 (the
  // one server left falls over), 500 while the backend is at fault.
  const site = createServer((req, res) => {
    void (async () => {
      if (world.backendFault) {
        res.writeHead(500).end('database unavailable');
        return;
      }
      reading ??= runtime.reader.readSnapshot(shop.loadBalancerArn).then(routeCapacity);
      const now = await reading;
      reading = undefined;
      const path = req.url ?? '/';
      const route = routeFor(shop, path);
      const ok = (now.get(route) ?? 0) >= (healthy?.get(route) ?? 0);
      const servedBy = world.servedBy?.(path);
      res
        .writeHead(ok ? 200 : 503, {
          'content-type': 'text/plain',
          ...(servedBy === undefined ? {} : { 'x-served-by': servedBy }),
        })
        .end(ok ? 'ok' : 'Service Unavailable');
    })();
  });
  await listen(site);

  const config = testConfig({
    services: [
      {
        name: 'shop',
        loadBalancerArn: shop.loadBalancerArn,
        probes: [{ name: 'home', url: `${url(site)}/` }],
        thresholds: { soakSeconds: 60, consecutiveBreaches: 2 },
        remediation: { mode: 'auto', verifyDeadlineSeconds: 30 },
        ...service(shop, url(site)),
      },
    ],
  });
  const env: LbGuardEnv = { config, tableName: TABLE, topicArn, stateKey };
  const metrics = new RecordingMetrics();
  const logger = new SilentLog();
  const prober = new HttpProber({ now: clock.now });
  const invoker = new RecordingInvoker();
  const applyOnce = createPowertoolsApplyOnce({ dynamodb: own.remediate.dynamodb, tableName: TABLE });
  // Wired exactly as the functions wire themselves, around the counted clients; only the clock,
  // the prober's clock, the recorders and the hand-off differ.
  const overrides = { clients, metrics, logger, now: clock.now };
  const inspectDeps = (): InspectDeps => wireInspect(env, { ...overrides, clients: own.inspect, invoker });
  const remediateDeps = (lockOwner = 'req-1'): RemediateDeps =>
    wireRemediate(env, {
      ...overrides,
      clients: own.remediate,
      prober,
      applyOnce,
      sleep: clock.sleep,
      lockOwner,
    });
  // Secrets, when a test's probes name them, are read from moto like everything else.
  const secrets = new PowertoolsSecretReader(motoClientConfig());
  const probeDeps = (): ProbeDeps =>
    wireProbe(env, { ...overrides, clients: own.probe, prober, secrets, sleep: clock.sleep });
  // The test reads state as itself (the world's clients), not as the inspect function.
  const wired = wireInspect(env, { ...overrides, invoker });
  const runtime = { env, reader: wired.reader, store: wired.store };
  healthy = routeCapacity(await runtime.reader.readSnapshot(shop.loadBalancerArn));
  const scheduled = InspectEventSchema.parse({
    version: '0',
    id: 'tick',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: '2026-11-02T14:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {},
  });

  const self: MotoWorld = {
    config,
    shop,
    clock,
    admin,
    runtime,
    invoker,
    metrics,
    logger,
    elbv2Calls,
    deliveries,
    get backendFault() {
      return world.backendFault;
    },
    set backendFault(v: boolean) {
      world.backendFault = v;
    },
    get servedBy() {
      return world.servedBy;
    },
    set servedBy(f: ((path: string) => string) | undefined) {
      world.servedBy = f;
    },
    get transportFault() {
      return world.transportFault;
    },
    set transportFault(f: Fault | undefined) {
      attempts.clear();
      world.transportFault = f;
    },
    get callFault() {
      return world.callFault;
    },
    set callFault(f: Fault | undefined) {
      attempts.clear();
      world.callFault = f;
    },
    inspectDeps,
    remediateDeps,
    async tick(advanceMs = 60_000) {
      clock.advance(advanceMs);
      await probe({ kind: 'probe', loopSeconds: 0 }, probeDeps());
      return inspect(scheduled, inspectDeps());
    },
    async promote() {
      await self.tick(0);
      await self.tick(61_000);
      if ((await self.lastGoodHash()) !== (await self.liveHash()))
        throw new Error('last known good was not promoted');
    },
    async liveHash() {
      return hashSnapshot((await runtime.reader.readSnapshot(shop.loadBalancerArn)).snapshot);
    },
    async lastGoodHash() {
      return (await runtime.store.getLastGood('shop'))?.hash;
    },
    elbv2Writes: () => elbv2Calls.filter((c) => WRITES.has(c)),
    async notifications(min) {
      for (let i = 0; i < 50 && deliveries.length < min; i++) await new Promise((r) => setTimeout(r, 100));
      return deliveries;
    },
    changeEvent(eventName, requestParameters) {
      return InspectEventSchema.parse({
        version: '0',
        id: `ct-${eventName}`,
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.elasticloadbalancing',
        account: '123456789012',
        time: clock.now().toISOString(),
        region: 'us-east-1',
        resources: [],
        detail: {
          eventSource: 'elasticloadbalancing.amazonaws.com',
          eventName,
          eventTime: clock
            .now()
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z'),
          userIdentity: {
            type: 'AssumedRole',
            arn: 'arn:aws:sts::123456789012:assumed-role/deploy-pipeline/build-42',
            sessionContext: { sessionIssuer: { userName: 'deploy-pipeline' } },
          },
          sourceIPAddress: '10.0.0.7',
          requestParameters,
        },
      }) as CloudTrailElbv2Event;
    },
    async modifyListener(action) {
      await admin.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: shop.listenerArn,
          DefaultActions: toSdkActions(action, shop.groups),
        }),
      );
    },
    async modifyRule(ruleName, path, action) {
      await admin.elbv2.send(
        new ModifyRuleCommand({
          RuleArn: shop.ruleArns[ruleName] ?? '',
          Conditions: toSdkConditions({ path }),
          Actions: toSdkActions(action, shop.groups),
        }),
      );
    },
    remediate: (request, lockOwner) => remediate(request, remediateDeps(lockOwner)),
    async close() {
      destroyAwsClients(admin);
      for (const c of new Set([clients, own.probe, own.inspect, own.remediate])) destroyAwsClients(c);
      await Promise.all([close(site), snsSink.close()]);
    },
  };
  return self;
}

/** The rule a request path would match in the shop (path rules only, as the fixtures use). */
function routeFor(shop: Shop, path: string): string {
  for (const [name, arn] of Object.entries(shop.ruleArns)) {
    if (name.startsWith('path:') && path.startsWith(name.slice('path:'.length))) return arn;
  }
  return 'default';
}

/** Registered targets per group name, sorted, as moto reports them. */
export async function registeredTargets(w: MotoWorld, group: string): Promise<string[]> {
  const arn = w.shop.groups[group]?.arn ?? '';
  const out = await w.admin.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return (out.TargetHealthDescriptions ?? [])
    .filter((d) => d.TargetHealth?.Reason !== 'Target.NotRegistered' && d.TargetHealth?.State !== 'draining')
    .map((d) => `${d.Target?.Id}:${d.Target?.Port}`)
    .sort();
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function url(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
