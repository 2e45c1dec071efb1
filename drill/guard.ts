import { CreateTopicCommand } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { createPowertoolsApplyOnce } from '../lambdas/adapters/apply-once.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../lambdas/adapters/clients.ts';
import type { LoadBalancerReader } from '../lambdas/adapters/elbv2/ports.ts';
import { HttpProber } from '../lambdas/adapters/http-prober.ts';
import type { MetricsSink } from '../lambdas/adapters/metrics-sink.ts';
import { SnsNotifier } from '../lambdas/adapters/notifier.ts';
import { CloudFormationApi, CodeDeployApi } from '../lambdas/adapters/owner-apis.ts';
import { NO_SECRETS } from '../lambdas/adapters/secrets.ts';
import type { StateStore } from '../lambdas/adapters/state-store/ports.ts';
import { createStateKey, createStateTable } from '../lambdas/adapters/state-store/table.ts';
import { type InspectDeps, type InspectOutcome, inspect } from '../lambdas/flows/inspect.ts';
import { probe } from '../lambdas/flows/probe.ts';
import { remediate } from '../lambdas/flows/remediate.ts';
import { inspectDeps as wireInspect } from '../lambdas/inspect/deps.ts';
import { probeDeps as wireProbe } from '../lambdas/probe/deps.ts';
import { remediateDeps } from '../lambdas/remediate/deps.ts';
import {
  InspectEventSchema,
  type ProbeEvent,
  ProbeEventSchema,
  type ScheduledEvent,
} from '../lambdas/runtime/events.ts';
import type { LbGuardConfig } from '../lib/config/index.ts';
import { ROUTING_EVENT_NAMES } from '../lib/routing-events.ts';
import type { Diagnosis } from '../lib/types.ts';
import { describeError, describeWrite } from './describe.ts';
import { DRILL_SERVICE, drillConfig } from './lbguard-config.ts';
import type {
  Elbv2Write,
  FunctionClients,
  InspectionRecord,
  LastGoodRecord,
  RunOptions,
} from './run-types.ts';
import { BoundedLog, InProcessRemediation, RecordingNotifier } from './stand-ins.ts';
import { sleep } from './world/net.ts';
import type { World } from './world/world.ts';

// lbguard's real flows, wired by the functions' own wiring, connected to the world and invoked in process on the drill's
// schedule: its own SDK clients (ELBv2 writes counted), inspect on every tick and on every
// CloudTrail event, probe on every tick, remediate when inspect hands off.
//
// Time: one drill second is one AWS minute (DrillClock's default). The handlers get an injected
// clock reading AWS time and a sleep divided by the clock factor, so the probe loop (50 AWS
// seconds, a round every 20) runs in 0.83 s and a 300 s verification deadline in 5 s. EventBridge
// schedules become a tick every drill second; CloudTrail events reach inspect after a delivery
// delay (15 AWS seconds by default: EventBridge's CloudTrail delivery is best effort, usually
// seconds).

/** CloudTrail → EventBridge delivery delay the drill models unless a run says otherwise (AWS seconds). */
export const CLOUDTRAIL_DELAY_AWS_SECONDS = 15;

const TABLE = 'lbguard-drill-state';
const ACCOUNT = '123456789012';
const DEPLOY_ROLE_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-pipeline/release-2026-11-02`;
const WRITE_OPS: ReadonlySet<string> = new Set(ROUTING_EVENT_NAMES);

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

/** lbguard wired to the world: its own SDK clients (writes counted), handlers, the schedule. */
export interface Guard {
  /** The adapters the runner reads lbguard's state and the live load balancer through. */
  readonly runtime: { readonly reader: LoadBalancerReader; readonly store: StateStore };
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

export async function startGuard(world: World, options: RunOptions): Promise<Guard> {
  const clock = world.clock;
  const clients: AwsClients = createAwsClients({
    endpoint: world.awsUrl,
    region: 'us-east-1',
    credentials: options.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 2,
  });
  // Each function's own clients: by default the guard's; the IAM proof gives each its role's.
  const own: FunctionClients = options.functionClients?.() ?? {
    probe: clients,
    inspect: clients,
    remediate: clients,
  };
  const writes: Elbv2Write[] = [];
  own.remediate.elbv2.middlewareStack.add(
    (next, context) => async (args) => {
      const op = (context.commandName ?? '').replace(/Command$/, '');
      if (WRITE_OPS.has(op))
        writes.push({ at: Date.now(), op, detail: describeWrite(world, op, args.input) });
      return next(args);
    },
    { step: 'initialize', name: 'drillCountElbv2Writes' },
  );
  await createStateTable(clients.dynamodb, TABLE);
  const stateKey = await createStateKey(clients.kms, TABLE);
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: 'lbguard-drill' }));
  const topicArn = topic.TopicArn ?? `arn:aws:sns:us-east-1:${ACCOUNT}:lbguard-drill`;

  // moto loads a service's backend on its first request: ~1 s of a busy machine's CPU, during
  // which every other call waits. AWS has no such cost. Remediate's deployment-owner check is the
  // only reader of CloudFormation and CodeDeploy, so without this its first lookup, mid-incident,
  // would charge the drill a minute of AWS-equivalent time that lbguard never spends.
  // Through the owner lookup's own signed calls; a stack that does not exist is the answer expected.
  await Promise.all([
    new CodeDeployApi(clients.elbv2.config).call('ListApplications', {}),
    new CloudFormationApi(clients.elbv2.config).describeStack('lbguard-drill-warm-up').catch(() => undefined),
  ]);
  const config = drillConfig(world, options.remediation);
  const now = (): Date => clock.awsDate();
  const drillSleep = (ms: number): Promise<void> => sleep(Math.max(0, clock.drillMs(ms)));
  const log = new BoundedLog();
  const env = { config, tableName: TABLE, topicArn, stateKey };
  const notifier = new RecordingNotifier(new SnsNotifier(own.inspect.sns, topicArn));
  const remediateNotifier = new RecordingNotifier(
    new SnsNotifier(own.remediate.sns, topicArn),
    notifier.sent,
  );
  const prober = new HttpProber({ now, userAgent: 'lbguard-probe/drill' });
  // Wired by the functions' own wiring around the drill's clients; the drill brings its clock,
  // its log, a notifier that records, and an in-process hand-off to remediate.
  const overrides = { clients, notifier, metrics: quietMetrics, logger: log, now };
  const applyOnce = createPowertoolsApplyOnce({ dynamodb: own.remediate.dynamodb, tableName: TABLE });
  const errors: string[] = [];
  const remediation = new InProcessRemediation((request, lockOwner) => {
    // Powertools Idempotency sizes its in-progress record by the invocation's remaining time.
    applyOnce.registerContext?.(lambdaContext(lockOwner, clock.drillMs(REMEDIATE_TIMEOUT_AWS_MS)));
    return remediate(
      request,
      remediateDeps(env, {
        ...overrides,
        clients: own.remediate,
        notifier: remediateNotifier,
        prober,
        applyOnce,
        sleep: drillSleep,
        lockOwner,
      }),
    );
  }, clock.awsMinuteMs);
  const inspectDeps: InspectDeps = wireInspect(env, {
    ...overrides,
    clients: own.inspect,
    invoker: remediation,
  });
  // The runner reads (and may promote) through the guard's clients, not as the inspect function.
  const observer = wireInspect(env, { ...overrides, invoker: remediation });
  const runtime = { reader: observer.reader, store: observer.store };
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
  // The drill's probes send no secret; any reference would be refused, never read from AWS.
  const probeDeps = wireProbe(env, {
    ...overrides,
    clients: own.probe,
    prober,
    secrets: NO_SECRETS,
    sleep: drillSleep,
  });
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
  const delayMs = clock.drillMs((options.cloudTrailDelayAwsSeconds ?? CLOUDTRAIL_DELAY_AWS_SECONDS) * 1000);
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
      for (const c of new Set([clients, own.probe, own.inspect, own.remediate])) destroyAwsClients(c);
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
