import {
  CreateRuleCommand,
  DeregisterTargetsCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../lambdas/adapters/clients.ts';
import { HttpProber } from '../lambdas/adapters/http-prober.ts';
import type { Notification, Notifier } from '../lambdas/adapters/notifier.ts';
import { createStateTable } from '../lambdas/adapters/state-store.ts';
import { type InspectDeps, type InspectOutcome, run as inspect } from '../lambdas/inspect/handler.ts';
import { run as probe } from '../lambdas/probe/handler.ts';
import { type RemediateOutcome, run as remediate } from '../lambdas/remediate/handler.ts';
import { createRuntime, type Runtime } from '../lambdas/runtime/deps.ts';
import {
  InspectEventSchema,
  type ProbeEvent,
  ProbeEventSchema,
  type RemediateRequest,
  type ScheduledEvent,
} from '../lambdas/runtime/events.ts';
import type { Log } from '../lambdas/adapters/log.ts';
import type { MetricsSink } from '../lambdas/adapters/metrics-sink.ts';
import { createPowertoolsApplyOnce } from '../lambdas/adapters/apply-once.ts';
import type { RemediationInvoker } from '../lambdas/adapters/remediation-handoff.ts';
import { type LbGuardConfig, parseConfig } from '../lib/config/index.ts';
import type { Incident } from '../lib/incident.ts';
import { ROUTING_EVENT_NAMES } from '../lib/routing-events.ts';
import { hashSnapshot } from '../lib/snapshot.ts';
import type { Diagnosis, RootCause } from '../lib/types.ts';
import { analyseRun, checkExpectations } from './analysis.ts';
import { type AnalysedRun, type ScenarioResult, toResult } from './report.ts';
import type { MarkKind, Scenario, ScenarioContext } from './scenarios/types.ts';
import {
  defaultShopSpec,
  toWorldSdkActions,
  toWorldSdkConditions,
  type WorldRuleSpec,
} from './world/aws-world.ts';
import type { LoadRun, ResponseRecord } from './world/loadgen.ts';
import { sleep } from './world/net.ts';
import { startWorld, type World } from './world/world.ts';

// Runs one scenario in a fresh world, with lbguard's real lambda handlers invoked in process on
// the drill's schedule (guarded) or not at all (unguarded), and records everything the report
// needs: every customer response, every ELBv2 write lbguard made, every inspection, remediation,
// notification and incident transition, and the moments the scenario marked.
//
// Time: one drill second is one AWS minute (DrillClock's default). The handlers get an injected
// clock reading AWS time and a sleep divided by the clock factor, so the probe loop (50 AWS
// seconds, a round every 20) runs in 0.83 s and a 300 s verification deadline in 5 s. EventBridge
// schedules become a tick every drill second; CloudTrail events reach inspect after a delivery
// delay (15 AWS seconds by default: EventBridge's CloudTrail delivery is best effort, usually
// seconds).

/** Service name in the drill's lbguard config. */
export const DRILL_SERVICE = 'shop';
const TABLE = 'lbguard-drill-state';
const ACCOUNT = '123456789012';
const DEPLOY_ROLE_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-pipeline/release-2026-11-02`;
const WRITE_OPS: ReadonlySet<string> = new Set(ROUTING_EVENT_NAMES);

export interface RunOptions {
  /** Attach to this moto_server (reset first) instead of starting one per run. */
  readonly motoUrl?: string;
  /** Invoke lbguard. False runs the same scenario with nobody watching. */
  readonly guarded: boolean;
  /** Customer requests per second unless the scenario says otherwise. Default 150. */
  readonly ratePerSecond?: number;
  /** Overrides the scenario's observation time after the fault, in drill ms. */
  readonly observeMs?: number;
  /** Drill ms of balanced traffic before the fault, after last known good. Default 2000. */
  readonly baselineMs?: number;
  /** Longest wait for the soak to promote last known good before promoting explicitly. Default 15 s. */
  readonly warmupTimeoutMs?: number;
  /** CloudTrail → EventBridge delivery delay in AWS seconds. Default 15. */
  readonly cloudTrailDelayAwsSeconds?: number;
  /** Progress lines (`drill: …`). */
  readonly progress?: (line: string) => void;
}

export interface Mark {
  /** Epoch ms (wall clock). */
  readonly at: number;
  readonly kind: MarkKind | 'load-start' | 'baseline' | 'last-good';
  readonly what: string;
}

export interface Elbv2Write {
  readonly at: number;
  readonly op: string;
  readonly detail: string;
}

export interface InspectionRecord {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly trigger: string;
  readonly kind: InspectOutcome['kind'] | 'error';
  readonly cause?: RootCause;
  readonly summary?: string;
  readonly evidence?: readonly string[];
  readonly incidentId?: string;
  readonly incidentState?: Incident['state'];
  readonly promoted?: boolean;
  readonly error?: string;
}

export interface RemediationRecord {
  readonly requestedAt: number;
  readonly endedAt: number;
  readonly request: RemediateRequest;
  readonly attempt: number;
  readonly outcome?: RemediateOutcome;
  readonly error?: string;
}

export interface NotificationRecord {
  readonly at: number;
  readonly subject: string;
  readonly severity: string;
  readonly state: string;
}

export interface LastGoodRecord {
  readonly at: number;
  readonly hash: string;
  readonly how: 'soak' | 'explicit';
  readonly reason: string;
}

/** Everything one run of one scenario left behind. Times are wall-clock epoch ms. */
export interface ScenarioRun {
  readonly scenario: string;
  readonly guarded: boolean;
  readonly clock: { readonly factor: number; readonly realStartMs: number; readonly awsStartMs: number };
  readonly loadStartedAt: number;
  readonly faultAt: number;
  readonly endedAt: number;
  readonly ratePerSecond: number;
  readonly records: readonly ResponseRecord[];
  readonly marks: readonly Mark[];
  readonly writes: readonly Elbv2Write[];
  readonly inspections: readonly InspectionRecord[];
  readonly remediations: readonly RemediationRecord[];
  readonly notifications: readonly NotificationRecord[];
  readonly lastGood: readonly LastGoodRecord[];
  /** lbguard's incidents opened during the run, oldest first. */
  readonly incidents: readonly Incident[];
  readonly lastGoodHashBeforeFault?: string;
  readonly lastGoodHashAtEnd?: string;
  readonly liveHashAtEnd?: string;
  /** Instance id → target group name, for the chart's legend. */
  readonly targets: Readonly<Record<string, string>>;
  readonly fleetEvents: readonly {
    readonly at: number;
    readonly instanceId: string;
    readonly kind: string;
  }[];
  /** Handler errors (an invocation that threw); a healthy run has none. */
  readonly errors: readonly string[];
}

/** A log that keeps the last lines for the report and drops the rest. */
class BoundedLog implements Log {
  readonly lines: string[] = [];
  readonly #max: number;

  constructor(max = 2_000) {
    this.#max = max;
  }

  #push(level: string, message: string, extra: unknown[]): void {
    if (this.lines.length >= this.#max) this.lines.shift();
    const tail = extra.length === 0 ? '' : ` ${safeJson(extra.length === 1 ? extra[0] : extra)}`;
    this.lines.push(`${new Date().toISOString()} ${level} ${message}${tail}`);
  }

  debug(message: string, ...extra: unknown[]): void {
    this.#push('debug', message, extra);
  }
  info(message: string, ...extra: unknown[]): void {
    this.#push('info', message, extra);
  }
  warn(message: string, ...extra: unknown[]): void {
    this.#push('warn', message, extra);
  }
  error(message: string, ...extra: unknown[]): void {
    this.#push('error', message, extra);
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    );
  } catch {
    return String(v);
  }
}

/** The remediate function's timeout in the stack: the verification deadline plus apply and slack. */
const REMEDIATE_TIMEOUT_AWS_MS = 900_000;

/** The slice of a Lambda context the handlers' helpers read, for in-process invocations. */
function lambdaContext(requestId: string, remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'lbguard-remediate',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:lbguard-remediate`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/lbguard-remediate',
    logStreamName: 'drill',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** EMF is for CloudWatch; in the drill the figures are in the report instead. */
const quietMetrics: MetricsSink = { emit: () => {} };

/** Publishes to the world's SNS and keeps what people would have received. */
class RecordingNotifier implements Notifier {
  readonly sent: NotificationRecord[] = [];
  readonly #inner: Notifier;

  constructor(inner: Notifier) {
    this.#inner = inner;
  }

  async notify(n: Notification): Promise<{ readonly messageId?: string }> {
    this.sent.push({ at: Date.now(), subject: n.subject, severity: n.severity, state: n.state });
    return this.#inner.notify(n);
  }
}

/**
 * Stands in for the hand-off to remediate (a publish to the remediation topic, which SNS delivers
 * as an asynchronous invoke): returns at once and runs remediate in this process, retrying a
 * thrown error twice after a pause, as Lambda does for async events.
 */
class InProcessRemediation implements RemediationInvoker {
  readonly records: RemediationRecord[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly #run: (request: RemediateRequest, lockOwner: string) => Promise<RemediateOutcome>;
  readonly #retryDelayMs: number;
  #count = 0;

  constructor(
    run: (request: RemediateRequest, lockOwner: string) => Promise<RemediateOutcome>,
    retryDelayMs: number,
  ) {
    this.#run = run;
    this.#retryDelayMs = retryDelayMs;
  }

  async invoke(request: RemediateRequest): Promise<void> {
    this.#count++;
    const lockOwner = `drill-remediate-${this.#count}`;
    const p = this.#invokeWithRetries(request, lockOwner);
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #invokeWithRetries(request: RemediateRequest, lockOwner: string): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const requestedAt = Date.now();
      try {
        const outcome = await this.#run(request, lockOwner);
        this.records.push({ requestedAt, endedAt: Date.now(), request, attempt, outcome });
        return;
      } catch (error) {
        this.records.push({
          requestedAt,
          endedAt: Date.now(),
          request,
          attempt,
          error: describeError(error),
        });
        await sleep(this.#retryDelayMs);
      }
    }
  }

  /** Waits for remediations under way, at most `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#pending]), sleep(timeoutMs)]);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.name} ${error.cause.message}` : '';
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}

/**
 * The drill's lbguard config: the shop, auto remediation, probes through the HAProxy listener.
 * Compressing time compresses lbguard's own traffic too (a served-by sample per AWS minute is one
 * per drill second), so probes are kept lean: a round every 20 AWS seconds and 30-request samples,
 * about 40 req/s on top of the customers'.
 */
export function drillConfig(world: World): LbGuardConfig {
  const base = world.listenerUrl();
  const input = {
    version: 1,
    schedule: {
      probeIntervalSeconds: 10,
      probeLoopSeconds: 50,
      inspectRateMinutes: 1,
      metricsPeriodSeconds: 60,
    },
    services: [
      {
        name: DRILL_SERVICE,
        loadBalancerArn: world.control.loadBalancerArn,
        listenerArns: [world.control.listenerArn],
        servedByHeader: 'X-Served-By',
        probes: [
          {
            name: 'home',
            url: `${base}/`,
            timeoutMs: 2_000,
            latencyBudgetMs: 1_000,
            servedBySample: { requests: 30, concurrency: 3 },
          },
          {
            name: 'checkout-journey',
            timeoutMs: 2_000,
            latencyBudgetMs: 1_500,
            steps: [
              { name: 'product', url: `${base}/products/42` },
              { name: 'cart', url: `${base}/cart` },
              { name: 'checkout', url: `${base}/checkout`, method: 'POST' },
            ],
          },
        ],
        // The shortest soak the schema allows: one AWS minute, one drill second.
        thresholds: { soakSeconds: 60, consecutiveBreaches: 2 },
        remediation: { mode: 'auto', verifyDeadlineSeconds: 300, cooldownSeconds: 600, maxPerHour: 3 },
      },
    ],
  };
  const parsed = parseConfig(JSON.stringify(input), 'drill config');
  if (!parsed.ok) {
    throw new Error(
      `drill config is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.config;
}

/** lbguard wired to the world: its own SDK clients (writes counted), handlers, the schedule. */
interface Guard {
  readonly runtime: Runtime;
  readonly config: LbGuardConfig;
  readonly writes: Elbv2Write[];
  readonly inspections: InspectionRecord[];
  readonly notifier: RecordingNotifier;
  readonly remediation: InProcessRemediation;
  readonly log: BoundedLog;
  readonly errors: string[];
  readonly lastGood: LastGoodRecord[];
  /** Feeds inspect a CloudTrail-shaped event, after the delivery delay. */
  cloudTrail(
    eventName: string,
    requestParameters: Record<string, unknown>,
    responseElements?: Record<string, unknown>,
    identity?: Identity,
  ): void;
  start(): void;
  /** Stops the schedule and lets invocations under way finish (bounded). Idempotent. */
  stop(): Promise<void>;
  /** Closes lbguard's SDK clients. */
  close(): void;
}

interface Identity {
  readonly type: string;
  readonly arn?: string;
  readonly invokedBy?: string;
  readonly sessionContext?: { readonly sessionIssuer: { readonly userName: string } };
}

const DEPLOY_PIPELINE: Identity = {
  type: 'AssumedRole',
  arn: DEPLOY_ROLE_ARN,
  sessionContext: { sessionIssuer: { userName: 'deploy-pipeline' } },
};

function eventBridgeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function startGuard(world: World, options: RunOptions): Promise<Guard> {
  const clock = world.clock;
  const clients: AwsClients = createAwsClients({
    endpoint: world.moto.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 2,
  });
  const writes: Elbv2Write[] = [];
  clients.elbv2.middlewareStack.add(
    (next, context) => async (args) => {
      const op = (context.commandName ?? '').replace(/Command$/, '');
      if (WRITE_OPS.has(op))
        writes.push({ at: Date.now(), op, detail: describeWrite(world, op, args.input) });
      return next(args);
    },
    { step: 'initialize', name: 'drillCountElbv2Writes' },
  );
  await createStateTable(clients.dynamodb, TABLE);
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: 'lbguard-drill' }));
  const topicArn = topic.TopicArn ?? `arn:aws:sns:us-east-1:${ACCOUNT}:lbguard-drill`;

  const config = drillConfig(world);
  const now = (): Date => clock.awsDate();
  const drillSleep = (ms: number): Promise<void> => sleep(Math.max(0, clock.drillMs(ms)));
  const log = new BoundedLog();
  const base = createRuntime({ config, tableName: TABLE, topicArn }, clients);
  const notifier = new RecordingNotifier(base.notifier);
  const runtime: Runtime = {
    ...base,
    prober: new HttpProber({ now, userAgent: 'lbguard-probe/drill' }),
    notifier,
    metrics: quietMetrics,
    logger: log,
  };
  const applyOnce = createPowertoolsApplyOnce({ dynamodb: clients.dynamodb, tableName: TABLE });
  const errors: string[] = [];
  const remediation = new InProcessRemediation((request, lockOwner) => {
    // Powertools Idempotency sizes its in-progress record by the invocation's remaining time.
    applyOnce.registerContext?.(lambdaContext(lockOwner, clock.drillMs(REMEDIATE_TIMEOUT_AWS_MS)));
    return remediate(request, {
      config,
      reader: runtime.reader,
      describer: runtime.describer,
      writer: runtime.writer,
      store: runtime.store,
      notifier,
      prober: runtime.prober,
      metrics: quietMetrics,
      logger: log,
      applyOnce,
      now,
      sleep: drillSleep,
      lockOwner,
    });
  }, clock.awsMinuteMs);
  const inspectDeps: InspectDeps = {
    config,
    reader: runtime.reader,
    describer: runtime.describer,
    albMetrics: runtime.albMetrics,
    store: runtime.store,
    notifier,
    invoker: remediation,
    metrics: quietMetrics,
    logger: log,
    now,
  };
  const inspections: InspectionRecord[] = [];
  const lastGood: LastGoodRecord[] = [];

  // Inspections run one at a time, in arrival order; a scheduled tick that finds one already
  // waiting is dropped (the waiting one will see the same world).
  let chain: Promise<void> = Promise.resolve();
  let scheduledWaiting = false;
  const enqueue = (trigger: string, event: unknown): void => {
    if (trigger === 'schedule') {
      if (scheduledWaiting) return;
      scheduledWaiting = true;
    }
    chain = chain.then(async () => {
      if (trigger === 'schedule') scheduledWaiting = false;
      const startedAt = Date.now();
      try {
        const outcome = await inspect(InspectEventSchema.parse(event), inspectDeps);
        inspections.push(toInspectionRecord(startedAt, trigger, outcome));
        const promoted = outcome.kind === 'inspected' ? outcome.services.find((s) => s.promoted) : undefined;
        if (promoted !== undefined) {
          const stored = await runtime.store.getLastGood(DRILL_SERVICE);
          lastGood.push({
            at: Date.now(),
            hash: promoted.snapshotHash,
            how: 'soak',
            reason: stored?.reason ?? 'promoted by inspect after the soak',
          });
        }
      } catch (error) {
        const message = describeError(error);
        errors.push(`inspect (${trigger}): ${message}`);
        inspections.push({ startedAt, endedAt: Date.now(), trigger, kind: 'error', error: message });
      }
    });
  };

  let probing: Promise<unknown> | undefined;
  const probeDeps = {
    config,
    prober: runtime.prober,
    store: runtime.store,
    metrics: quietMetrics,
    logger: log,
    now,
    sleep: drillSleep,
  };
  const tick = (): void => {
    const at = clock.awsDate();
    const scheduled: ScheduledEvent = {
      version: '0',
      id: `drill-tick-${at.getTime()}`,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: eventBridgeTime(at),
      region: 'us-east-1',
      resources: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/lbguard-schedule`],
      detail: {},
    } as ScheduledEvent;
    // A probe invocation lasts probeLoopSeconds; a tick that finds one still running skips, as a
    // Lambda with reserved concurrency 1 would.
    if (probing === undefined) {
      const event: ProbeEvent = ProbeEventSchema.parse(scheduled);
      probing = probe(event, probeDeps)
        .catch((error: unknown) => {
          errors.push(`probe: ${describeError(error)}`);
        })
        .finally(() => {
          probing = undefined;
        });
    }
    enqueue('schedule', scheduled);
  };

  let timer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const delayMs = clock.drillMs((options.cloudTrailDelayAwsSeconds ?? 15) * 1000);
  const deliveries = new Set<NodeJS.Timeout>();
  return {
    runtime,
    config,
    writes,
    inspections,
    notifier,
    remediation,
    log,
    errors,
    lastGood,
    cloudTrail(eventName, requestParameters, responseElements, identity = DEPLOY_PIPELINE) {
      const at = clock.awsDate();
      const event = {
        version: '0',
        id: `drill-ct-${eventName}-${at.getTime()}`,
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.elasticloadbalancing',
        account: ACCOUNT,
        time: eventBridgeTime(at),
        region: 'us-east-1',
        resources: [],
        detail: {
          eventVersion: '1.09',
          eventSource: 'elasticloadbalancing.amazonaws.com',
          eventName,
          eventTime: eventBridgeTime(at),
          awsRegion: 'us-east-1',
          userIdentity: identity,
          sourceIPAddress: identity.type === 'AWSService' ? identity.invokedBy : '10.0.12.7',
          requestParameters,
          ...(responseElements === undefined ? {} : { responseElements }),
        },
      };
      const t = setTimeout(() => {
        deliveries.delete(t);
        enqueue('config-change', event);
      }, delayMs);
      deliveries.add(t);
    },
    start() {
      tick();
      timer = setInterval(tick, clock.awsMinuteMs);
    },
    stop() {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        for (const t of deliveries) clearTimeout(t);
        await Promise.race([Promise.allSettled([chain, probing]), sleep(10_000)]);
        await remediation.settle(15_000);
      })();
      return stopping;
    },
    close() {
      destroyAwsClients(clients);
    },
  };
}

function toInspectionRecord(startedAt: number, trigger: string, outcome: InspectOutcome): InspectionRecord {
  const endedAt = Date.now();
  switch (outcome.kind) {
    case 'inspected': {
      const s = outcome.services[0];
      if (s === undefined) return { startedAt, endedAt, trigger, kind: outcome.kind };
      const d: Diagnosis = s.diagnosis;
      return {
        startedAt,
        endedAt,
        trigger,
        kind: outcome.kind,
        cause: d.cause,
        summary: d.summary,
        evidence: d.evidence,
        ...(s.incidentId === undefined ? {} : { incidentId: s.incidentId }),
        incidentState: s.incidentState,
        promoted: s.promoted,
      };
    }
    case 'ignored':
      return { startedAt, endedAt, trigger, kind: outcome.kind, summary: outcome.reason };
    case 'verify':
      return { startedAt, endedAt, trigger, kind: outcome.kind };
  }
}

/** One readable line per write: what lbguard asked ELBv2 to do, in the world's names. */
function describeWrite(world: World, op: string, input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  const groupName = (arn: unknown): string =>
    Object.values(world.control.targetGroups).find((g) => g.arn === arn)?.name ?? String(arn);
  switch (op) {
    case 'RegisterTargets':
    case 'DeregisterTargets': {
      const targets = (i.Targets as { Id?: string; Port?: number }[] | undefined) ?? [];
      return `${groupName(i.TargetGroupArn)}: ${targets.map((t) => `${t.Id}${t.Port === undefined ? '' : `:${t.Port}`}`).join(', ')}`;
    }
    case 'ModifyListener':
    case 'ModifyRule': {
      const actions =
        ((op === 'ModifyListener' ? i.DefaultActions : i.Actions) as unknown[] | undefined) ?? [];
      return actions.map((a) => describeSdkAction(a, groupName)).join(', ');
    }
    default:
      return safeJson(input).slice(0, 200);
  }
}

function describeSdkAction(a: unknown, groupName: (arn: unknown) => string): string {
  const action = a as {
    Type?: string;
    TargetGroupArn?: string;
    ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[] };
    FixedResponseConfig?: { StatusCode?: string };
  };
  if (action.Type === 'forward') {
    const groups = action.ForwardConfig?.TargetGroups ?? [
      { TargetGroupArn: action.TargetGroupArn, Weight: 1 },
    ];
    return `forward ${groups.map((g) => `${groupName(g.TargetGroupArn)}=${g.Weight ?? 1}`).join('/')}`;
  }
  if (action.Type === 'fixed-response')
    return `fixed-response ${action.FixedResponseConfig?.StatusCode ?? ''}`;
  return action.Type ?? 'action';
}

/** The scenario's handle on the world: deployments through the API, fed to lbguard when guarded. */
function scenarioContext(
  world: World,
  guard: Guard | undefined,
  marks: Mark[],
  load: () => LoadRun | undefined,
): ScenarioContext {
  const elbv2 = world.clients.elbv2;
  const control = world.control;
  const ruleArns: Record<string, string> = { ...control.ruleArns };
  const ruleSpecs = new Map<string, WorldRuleSpec>();
  const groupArn = (name: string): string => {
    const g = control.targetGroups[name];
    if (g === undefined) throw new Error(`the drill shop has no target group ${name}`);
    return g.arn;
  };
  const changed = (what: string): void => {
    marks.push({ at: Date.now(), kind: 'change', what });
  };
  return {
    world,
    instances: (group) => control.instances.filter((i) => i.groupName === group),
    mark: (kind, what) => marks.push({ at: Date.now(), kind, what }),
    sleep: (ms) => sleep(ms),
    setRate: (rate) => load()?.setRate(rate),
    deploy: {
      async forward(weights) {
        await this.setDefaultAction({ forward: weights });
      },
      async setDefaultAction(action) {
        const actions = toWorldSdkActions(action, control.targetGroups);
        await elbv2.send(
          new ModifyListenerCommand({ ListenerArn: control.listenerArn, DefaultActions: actions }),
        );
        changed(
          `ModifyListener: default action ${describeSdkAction(actions[0], (arn) => nameOf(world, arn))}`,
        );
        guard?.cloudTrail('ModifyListener', { listenerArn: control.listenerArn, defaultActions: actions });
      },
      async deregister(group, ids) {
        const arn = groupArn(group);
        const targets = ids.map((id) => ({ Id: id, Port: 80 }));
        await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }));
        changed(`DeregisterTargets: ${group} − ${ids.join(', ')}`);
        guard?.cloudTrail('DeregisterTargets', {
          targetGroupArn: arn,
          targets: ids.map((id) => ({ id, port: 80 })),
        });
      },
      async register(group, ids) {
        const arn = groupArn(group);
        await elbv2.send(
          new RegisterTargetsCommand({
            TargetGroupArn: arn,
            Targets: ids.map((id) => ({ Id: id, Port: 80 })),
          }),
        );
        changed(`RegisterTargets: ${group} + ${ids.join(', ')}`);
        guard?.cloudTrail('RegisterTargets', {
          targetGroupArn: arn,
          targets: ids.map((id) => ({ id, port: 80 })),
        });
      },
      async createRule(rule) {
        const out = await elbv2.send(
          new CreateRuleCommand({
            ListenerArn: control.listenerArn,
            Priority: rule.priority,
            Conditions: toWorldSdkConditions(rule.conditions),
            Actions: toWorldSdkActions(rule.action, control.targetGroups),
          }),
        );
        const arn = out.Rules?.[0]?.RuleArn;
        if (arn === undefined) throw new Error(`CreateRule returned no ARN for ${rule.name}`);
        ruleArns[rule.name] = arn;
        ruleSpecs.set(rule.name, rule);
        changed(`CreateRule: ${rule.name} (priority ${rule.priority})`);
        guard?.cloudTrail(
          'CreateRule',
          { listenerArn: control.listenerArn, priority: rule.priority },
          { rules: [{ ruleArn: arn }] },
        );
        return arn;
      },
      async modifyRule(ruleName, action) {
        const arn = ruleArns[ruleName];
        if (arn === undefined) throw new Error(`the drill shop has no rule ${ruleName}`);
        const actions = toWorldSdkActions(action, control.targetGroups);
        await elbv2.send(new ModifyRuleCommand({ RuleArn: arn, Actions: actions }));
        changed(`ModifyRule: ${ruleName} → ${describeSdkAction(actions[0], (a) => nameOf(world, a))}`);
        guard?.cloudTrail('ModifyRule', { ruleArn: arn, actions });
      },
    },
    autoscaling: {
      async scaleIn(group, instanceId) {
        const arn = groupArn(group);
        await elbv2.send(
          new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: instanceId, Port: 80 }] }),
        );
        guard?.cloudTrail(
          'DeregisterTargets',
          { targetGroupArn: arn, targets: [{ id: instanceId, port: 80 }] },
          undefined,
          { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' },
        );
        await world.ec2.terminateInstances([instanceId]);
        changed(`auto scaling: ${instanceId} deregistered from ${group} and terminated`);
      },
    },
  };
}

function nameOf(world: World, arn: unknown): string {
  return Object.values(world.control.targetGroups).find((g) => g.arn === arn)?.name ?? String(arn);
}

/**
 * Runs one scenario end to end in a fresh world and returns what happened. Never leaves a
 * process behind: the world is stopped whatever happens.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioRun> {
  const say = options.progress ?? (() => {});
  const rate = scenario.ratePerSecond ?? options.ratePerSecond ?? 150;
  const observeMs = options.observeMs ?? scenario.observeMs;
  const world = await startWorld({
    ...(options.motoUrl === undefined ? {} : { motoUrl: options.motoUrl }),
    shop: scenario.shop ?? defaultShopSpec,
    ...(scenario.world?.restartDelayMs === undefined
      ? {}
      : { restartDelayMs: scenario.world.restartDelayMs }),
    ...(scenario.world?.backend === undefined ? {} : { backend: scenario.world.backend }),
  });
  const marks: Mark[] = [];
  let guard: Guard | undefined;
  let load: LoadRun | undefined;
  try {
    if (options.guarded) guard = await startGuard(world, options);
    const ctx = scenarioContext(world, guard, marks, () => load);
    if (scenario.prepare !== undefined) {
      await scenario.prepare(ctx);
      await world.sync.waitUntilServing();
    }
    const totalMs = 120_000 + observeMs;
    load = world.load({
      ratePerSecond: rate,
      durationMs: totalMs,
      servedByHeader: 'x-served-by',
      ...(scenario.pathMix === undefined ? {} : { pathMix: scenario.pathMix }),
    });
    const loadStartedAt = Date.now();
    marks.push({ at: loadStartedAt, kind: 'load-start', what: `customers arrive at ${rate} req/s` });

    let lastGoodHashBeforeFault: string | undefined;
    if (guard !== undefined) {
      guard.start();
      lastGoodHashBeforeFault = await establishLastGood(
        world,
        guard,
        marks,
        options.warmupTimeoutMs ?? 15_000,
        say,
      );
    } else {
      // Same traffic history as a guarded run before the fault: a couple of seconds of warm-up.
      await sleep(2_000);
    }
    await sleep(options.baselineMs ?? 2_000);
    marks.push({ at: Date.now(), kind: 'baseline', what: 'baseline measured' });

    const injectedAt = Date.now();
    say(`${scenario.name}${options.guarded ? '' : ' (unguarded)'}: injecting the fault`);
    await scenario.inject(ctx);
    // A scenario that sets the stage first (a scale-in, say) marks the fault itself; the clock
    // of MTTD and MTTR starts there.
    const marked = marks.find((m) => m.kind === 'fault' && m.at >= injectedAt);
    const faultAt = marked?.at ?? injectedAt;
    if (marked === undefined) marks.push({ at: faultAt, kind: 'fault', what: scenario.title });
    await sleep(observeMs);
    load.stop();
    const endedAt = Date.now();
    const result = await load.done;
    if (guard !== undefined) await guard.stop();

    const state = guard === undefined ? undefined : await finalState(world, guard, loadStartedAt);
    const run: ScenarioRun = {
      scenario: scenario.name,
      guarded: options.guarded,
      clock: {
        factor: world.clock.factor,
        realStartMs: world.clock.realStartMs,
        awsStartMs: world.clock.awsStartMs,
      },
      loadStartedAt,
      faultAt,
      endedAt,
      ratePerSecond: rate,
      records: result.records.map((r) => r),
      marks,
      writes: guard?.writes ?? [],
      inspections: guard?.inspections ?? [],
      remediations: guard?.remediation.records ?? [],
      notifications: guard?.notifier.sent ?? [],
      lastGood: guard?.lastGood ?? [],
      incidents: state?.incidents ?? [],
      ...(lastGoodHashBeforeFault === undefined ? {} : { lastGoodHashBeforeFault }),
      ...(state?.lastGoodHash === undefined ? {} : { lastGoodHashAtEnd: state.lastGoodHash }),
      ...(state?.liveHash === undefined ? {} : { liveHashAtEnd: state.liveHash }),
      targets: Object.fromEntries(world.control.instances.map((i) => [i.instanceId, i.groupName])),
      fleetEvents: world.fleet.events.map((e) => ({ at: e.at, instanceId: e.instanceId, kind: e.kind })),
      errors: guard?.errors ?? [],
    };
    return run;
  } finally {
    load?.stop();
    if (guard !== undefined) {
      await guard.stop().catch(() => {});
      guard.close();
    }
    await world.stop();
  }
}

/**
 * Runs balanced traffic until inspect's own soak promotes last known good. If the soak has not
 * promoted within the timeout, promotes the live snapshot explicitly with the reason recorded,
 * so the scenario still has something to restore (and the report says which way it went).
 */
async function establishLastGood(
  world: World,
  guard: Guard,
  marks: Mark[],
  timeoutMs: number,
  say: (line: string) => void,
): Promise<string> {
  const store = guard.runtime.store;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const [lastGood, live] = await Promise.all([
      store.getLastGood(DRILL_SERVICE),
      guard.runtime.reader.readSnapshot(world.control.loadBalancerArn, [world.control.listenerArn]),
    ]);
    if (lastGood !== undefined && lastGood.hash === hashSnapshot(live.snapshot)) {
      marks.push({
        at: Date.now(),
        kind: 'last-good',
        what: `last known good promoted by the soak (${lastGood.hash.slice(0, 12)})`,
      });
      return lastGood.hash;
    }
    await sleep(200);
  }
  const live = await guard.runtime.reader.readSnapshot(world.control.loadBalancerArn, [
    world.control.listenerArn,
  ]);
  const hash = hashSnapshot(live.snapshot);
  const at = world.clock.awsIso();
  const reason = `drill warm-up: the soak did not promote within ${timeoutMs / 1000} s; promoted explicitly before injecting the fault`;
  await store.promoteLastGood(DRILL_SERVICE, { hash, takenAt: at, snapshot: live.snapshot }, reason, at);
  guard.lastGood.push({ at: Date.now(), hash, how: 'explicit', reason });
  marks.push({
    at: Date.now(),
    kind: 'last-good',
    what: `last known good promoted explicitly (${hash.slice(0, 12)})`,
  });
  say(`warning: ${reason}`);
  return hash;
}

async function finalState(
  world: World,
  guard: Guard,
  since: number,
): Promise<{ incidents: Incident[]; lastGoodHash?: string; liveHash?: string }> {
  const store = guard.runtime.store;
  const [incidents, lastGood] = await Promise.all([
    store.listIncidents(DRILL_SERVICE, 50),
    store.getLastGood(DRILL_SERVICE),
  ]);
  let liveHash: string | undefined;
  try {
    const reader = guard.runtime.reader;
    liveHash = hashSnapshot(
      (await reader.readSnapshot(world.control.loadBalancerArn, [world.control.listenerArn])).snapshot,
    );
  } catch {
    // moto unreachable at the very end: the report then omits the live hash.
  }
  const sinceAws = world.clock.awsMs(since);
  return {
    incidents: incidents.filter((i) => Date.parse(i.openedAt) >= sinceAws).reverse(),
    ...(lastGood === undefined ? {} : { lastGoodHash: lastGood.hash }),
    ...(liveHash === undefined ? {} : { liveHash }),
  };
}

export interface DrillOptions extends Omit<RunOptions, 'guarded'> {
  /** Also run each scenario unguarded: true, false, or only where the scenario asks (default). */
  readonly compareUnguarded?: boolean | 'scenario-default';
}

/**
 * Runs scenarios one after another (each in a fresh world), the unguarded comparison right after
 * its guarded run, and judges each against its expectations.
 */
export async function runDrill(
  scenarios: readonly Scenario[],
  options: DrillOptions,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const say = options.progress ?? (() => {});
  for (const scenario of scenarios) {
    say(`${scenario.name}: ${scenario.title}`);
    const run = await runScenario(scenario, { ...options, guarded: true });
    const guarded = { run, analysis: analyseRun(run) };
    const compare =
      options.compareUnguarded === undefined || options.compareUnguarded === 'scenario-default'
        ? scenario.compareUnguardedByDefault === true
        : options.compareUnguarded;
    let unguarded: AnalysedRun | undefined;
    if (compare) {
      say(`${scenario.name}: the same scenario without lbguard`);
      const bare = await runScenario(scenario, { ...options, guarded: false });
      unguarded = { run: bare, analysis: analyseRun(bare) };
    }
    const result = toResult(
      scenario,
      guarded,
      unguarded,
      checkExpectations(run, guarded.analysis, scenario.expect),
    );
    say(`${scenario.name}: ${result.ok ? 'PASS' : 'FAIL'}`);
    results.push(result);
  }
  return results;
}
