import type { ApplyKey, ApplyOnce, ApplyRecord } from '../../lambdas/adapters/apply-once.ts';
import type { AlbMetricsReader } from '../../lambdas/adapters/cloudwatch.ts';
import type { DeploymentOwners } from '../../lambdas/adapters/deployment-owners.ts';
import type {
  AppliedStep,
  LoadBalancerReader,
  LoadBalancerState,
  LoadBalancerWriter,
} from '../../lambdas/adapters/elbv2/ports.ts';
import type { Prober, ServedBySampleRun } from '../../lambdas/adapters/http-prober.ts';
import type { Log } from '../../lambdas/adapters/log.ts';
import type { MetricsSink, MetricValue } from '../../lambdas/adapters/metrics-sink.ts';
import type { Notification, Notifier } from '../../lambdas/adapters/notifier.ts';
import type { RemediationInvoker } from '../../lambdas/adapters/remediation-handoff.ts';
import { type SecretReader, SecretUnreadableError } from '../../lambdas/adapters/secrets.ts';
import type { PlannedSnapshotStore } from '../../lambdas/adapters/state-store/planned-snapshots.ts';
import type {
  LockResult,
  PutIncidentResult,
  ReleaseResult,
  StateStore,
  StoredProbeHysteresis,
} from '../../lambdas/adapters/state-store/ports.ts';
import type { ZonalShifts } from '../../lambdas/adapters/zonal-shifts.ts';
import type { RemediateRequest } from '../../lambdas/runtime/events.ts';
import {
  type LbGuardConfig,
  type LbGuardConfigInput,
  type PlainProbe,
  parseConfig,
  referenceKey,
  type SecretReference,
} from '../../lib/config/index.ts';
import { AwsApiError } from '../../lib/errors.ts';
import type { ProbeHysteresisStates } from '../../lib/hysteresis.ts';
import type { Incident } from '../../lib/incident.ts';
import type { LastGood, SoakMarker } from '../../lib/last-good.ts';
import type { OwnerLookup, WrittenResources } from '../../lib/owners.ts';
import { applyPlan } from '../../lib/simulate.ts';
import { normaliseSnapshot } from '../../lib/snapshot.ts';
import type {
  ConfigChange,
  LbSnapshot,
  PlanStep,
  ProbeResult,
  ServedBySample,
  StoredSnapshot,
  TargetHealth,
  TargetHealthState,
  ZonalShift,
} from '../../lib/types.ts';

// In-memory stand-ins for every port the lambdas use, for unit tests of `run`. They follow the
// real adapters' contracts (conditional incident writes, lock expiry, newest-first lists).

/** Parses a config the way the functions do; throws on a bad one so tests fail loudly. */
export function testConfig(input: LbGuardConfigInput): LbGuardConfig {
  // Test sites listen on 127.0.0.1, which a probe reaches only with allowLoopback.
  const local = {
    ...input,
    services: input.services.map((s) => ({
      ...s,
      probes: s.probes.map((p) => ({ allowLoopback: true, ...p })),
    })),
  };
  const parsed = parseConfig(JSON.stringify(local), 'test config');
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return parsed.config;
}

/** A clock that only moves when told to (or when the fake sleep is awaited). */
export class FakeClock {
  #ms: number;

  constructor(start = '2026-11-02T14:00:00.000Z') {
    this.#ms = Date.parse(start);
  }

  /** Milliseconds each read moves the clock on, as real time does between two calls. */
  tickOnRead = 0;

  now = (): Date => {
    const at = new Date(this.#ms);
    this.#ms += this.tickOnRead;
    return at;
  };

  advance(ms: number): void {
    this.#ms += ms;
  }

  sleep = async (ms: number): Promise<void> => {
    this.#ms += ms;
  };
}

/** Answers each lookup with `answer` (no owner by default) and records what it was asked. */
export class FakeDeploymentOwners implements DeploymentOwners {
  answer: OwnerLookup = { kind: 'looked', inFlight: [], stacks: [] };
  readonly asked: WrittenResources[] = [];

  async lookUp(written: WrittenResources): Promise<OwnerLookup> {
    this.asked.push(written);
    return this.answer;
  }
}

export class SilentLog implements Log {
  readonly lines: { level: string; message: string; extra: unknown[] }[] = [];
  debug(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'debug', message, extra });
  }
  info(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'error', message, extra });
  }
}

export class RecordingMetrics implements MetricsSink {
  readonly records: { service: string; values: readonly MetricValue[] }[] = [];
  emit(service: string, values: readonly MetricValue[]): void {
    this.records.push({ service, values });
  }
  values(service: string, name: MetricValue['name']): number[] {
    return this.records
      .filter((r) => r.service === service)
      .flatMap((r) => r.values.filter((v) => v.name === name).map((v) => v.value));
  }
}

export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  failNext = false;
  async notify(n: Notification): Promise<{ readonly messageId?: string }> {
    if (this.failNext) {
      this.failNext = false;
      throw new AwsApiError('Publish', { cause: new Error('SNS down') });
    }
    this.sent.push(n);
    return { messageId: `m-${this.sent.length}` };
  }
}

export class RecordingInvoker implements RemediationInvoker {
  readonly requests: RemediateRequest[] = [];
  async invoke(request: RemediateRequest): Promise<void> {
    this.requests.push(request);
  }
}

/** Remembers completed applies by key, like Powertools Idempotency; a failed apply leaves nothing. */
export class MemoryApplyOnce implements ApplyOnce {
  readonly done = new Map<string, ApplyRecord>();
  runs = 0;
  async run(key: ApplyKey, apply: () => Promise<ApplyRecord>): Promise<ApplyRecord> {
    const k = `${key.incidentId}|${key.planHash}`;
    const known = this.done.get(k);
    if (known) return known;
    this.runs++;
    const record = await apply();
    this.done.set(k, record);
    return record;
  }
}

/**
 * A load balancer in memory: the reader returns its snapshot, the writer applies steps with
 * `lib/simulate`. Targets are healthy unless marked; `stopped` ids answer `unused` /
 * `Target.InvalidState` as moto does for a stopped instance.
 */
export class FakeLoadBalancer implements LoadBalancerReader, LoadBalancerWriter {
  snapshot: LbSnapshot;
  readonly states = new Map<string, TargetHealthState>();
  readonly stopped = new Set<string>();
  readonly writes: PlanStep[] = [];
  /** Called before each write; throw from it to inject a fault. */
  beforeWrite: (step: PlanStep, index: number) => void = () => {};
  /** Groups detached from every listener but still existing (describe-by-ARN finds them). */
  readonly detached = new Map<string, LbSnapshot['targetGroups'][number]>();
  /** Other load balancers using a group, by group ARN (the fake's own groups are its own). */
  readonly usedElsewhere = new Map<string, readonly string[]>();

  constructor(snapshot: LbSnapshot) {
    this.snapshot = normaliseSnapshot(snapshot);
  }

  async readSnapshot(): Promise<LoadBalancerState> {
    const groups = this.snapshot.targetGroups;
    return {
      snapshot: this.snapshot,
      health: this.health(groups),
      attachments: this.attachments(groups, true),
    };
  }

  async describeTargetGroups(arns: readonly string[]) {
    const groups = arns.flatMap((a) => {
      const g = this.detached.get(a);
      return g ? [g] : [];
    });
    return { groups, health: this.health(groups), attachments: this.attachments(groups, false) };
  }

  attachments(groups: LbSnapshot['targetGroups'], ours: boolean): Map<string, readonly string[]> {
    const own = ours ? [this.snapshot.loadBalancerArn] : [];
    return new Map(groups.map((g) => [g.arn, [...own, ...(this.usedElsewhere.get(g.arn) ?? [])]]));
  }

  async apply(step: PlanStep): Promise<AppliedStep> {
    this.beforeWrite(step, this.writes.length);
    this.writes.push(step);
    this.snapshot = normaliseSnapshot(applyPlan(this.snapshot, [step]));
    return { op: step.op };
  }

  health(groups: LbSnapshot['targetGroups']): TargetHealth[] {
    return groups.flatMap((g) =>
      g.targets.map((t): TargetHealth => {
        const stopped = this.stopped.has(t.id);
        const state = stopped ? 'unused' : (this.states.get(t.id) ?? 'healthy');
        return {
          targetGroupArn: g.arn,
          targetId: t.id,
          ...(t.port === undefined ? {} : { port: t.port }),
          state,
          ...(stopped ? { reason: 'Target.InvalidState' } : {}),
        };
      }),
    );
  }
}

/** Secrets from a map (by `referenceKey`); a missing one is unreadable, as a denied read would be. */
export class FakeSecretReader implements SecretReader {
  readonly values = new Map<string, string>();
  reads = 0;

  async read(refs: readonly SecretReference[]): Promise<ReadonlyMap<string, string>> {
    this.reads++;
    const out = new Map<string, string>();
    for (const ref of refs) {
      const value = this.values.get(referenceKey(ref));
      if (value === undefined) throw new SecretUnreadableError(ref, 'AccessDeniedException (fake)');
      out.set(referenceKey(ref), value);
    }
    return out;
  }
}

/** Probes answer from a function of the probe (default: all green). */
export class FakeProber implements Prober {
  readonly runs: { service: string; probe: string }[] = [];
  answer: (probe: PlainProbe) => { ok: boolean; status: number } = () => ({ ok: true, status: 200 });
  servedBy: Record<string, number> = { 'web-1': 10, 'web-2': 10 };
  constructor(private readonly now: () => Date) {}

  async run(service: string, probe: PlainProbe): Promise<ProbeResult> {
    this.runs.push({ service, probe: probe.name });
    const a = this.answer(probe);
    const step = probe.steps[0];
    return {
      service,
      probe: probe.name,
      at: this.now().toISOString(),
      ok: a.ok,
      totalMs: 42,
      steps: [
        {
          name: step?.name ?? probe.name,
          url: step?.url ?? 'http://127.0.0.1/',
          method: 'GET',
          ok: a.ok,
          status: a.status,
          latencyMs: 42,
          failures: a.ok ? [] : [`status ${a.status} not in [200]`],
        },
      ],
    };
  }

  async sampleServedBy(service: string): Promise<ServedBySampleRun> {
    const sent = Object.values(this.servedBy).reduce((a, b) => a + b, 0);
    return {
      service,
      at: this.now().toISOString(),
      counts: { ...this.servedBy },
      sent,
      failed: 0,
      withoutHeader: 0,
    };
  }
}

/** ARC zonal shift stand-in (moto has none): the shifts set, or a failure to read them. */
export class FakeZonalShifts implements ZonalShifts {
  shifts: readonly ZonalShift[] = [];
  failure: Error | undefined;
  readonly asked: string[] = [];

  async activeFor(loadBalancerArn: string): Promise<readonly ZonalShift[]> {
    this.asked.push(loadBalancerArn);
    if (this.failure !== undefined) throw this.failure;
    return this.shifts;
  }
}

export class FakeAlbMetrics implements AlbMetricsReader {
  reads = 0;
  async read(request: Parameters<AlbMetricsReader['read']>[0]) {
    this.reads++;
    return {
      windowStart: request.start,
      windowEnd: request.end,
      requestCount: 0,
      requestCountByTargetGroup: {},
      requestCountByAvailabilityZone: {},
      elb5xx: 0,
      elb503: 0,
      target5xx: 0,
    };
  }
}

/** The state store in memory, with the DynamoDB adapter's semantics (and approve mode's planned snapshots). */
export class MemoryStateStore implements StateStore, PlannedSnapshotStore {
  readonly snapshots = new Map<string, StoredSnapshot[]>();
  readonly lastGood = new Map<string, LastGood>();
  readonly promotions = new Map<string, Omit<LastGood, 'snapshot'>[]>();
  readonly incidents = new Map<string, Incident>();
  readonly open = new Map<string, string>();
  readonly locks = new Map<string, { owner: string; expiresAt: number }>();
  readonly probes = new Map<string, ProbeResult[]>();
  readonly samples = new Map<string, ServedBySample[]>();
  readonly changes = new Map<string, ConfigChange[]>();
  readonly soaks = new Map<string, SoakMarker>();
  readonly hysteresis = new Map<string, StoredProbeHysteresis>();
  incidentWrites = 0;

  async putSnapshot(service: string, stored: StoredSnapshot): Promise<void> {
    this.snapshots.set(service, [...(this.snapshots.get(service) ?? []), stored]);
  }
  async getLatestSnapshot(service: string) {
    return this.snapshots.get(service)?.at(-1);
  }
  async listSnapshots(service: string, limit = 20) {
    return [...(this.snapshots.get(service) ?? [])].reverse().slice(0, limit);
  }
  async getLastGood(service: string) {
    return this.lastGood.get(service);
  }
  async promoteLastGood(service: string, stored: StoredSnapshot, reason: string, at: string) {
    const record = { hash: stored.hash, takenAt: stored.takenAt, promotedAt: at, reason };
    this.lastGood.set(service, { ...record, snapshot: stored.snapshot });
    this.promotions.set(service, [record, ...(this.promotions.get(service) ?? [])]);
  }
  async listPromotions(service: string, limit = 20) {
    return (this.promotions.get(service) ?? []).slice(0, limit);
  }
  async putIncident(
    incident: Incident,
    options: { readonly expectUpdatedAt?: string } = {},
  ): Promise<PutIncidentResult> {
    const key = `${incident.service}|${incident.id}`;
    const existing = this.incidents.get(key);
    if (existing && options.expectUpdatedAt !== undefined && existing.updatedAt !== options.expectUpdatedAt) {
      return { written: false, current: existing };
    }
    this.incidentWrites++;
    this.incidents.set(key, structuredClone(incident));
    if (incident.closedAt === undefined) this.open.set(incident.service, incident.id);
    else if (this.open.get(incident.service) === incident.id) this.open.delete(incident.service);
    return { written: true };
  }
  async getIncident(service: string, id: string) {
    const found = this.incidents.get(`${service}|${id}`);
    return found === undefined ? undefined : structuredClone(found);
  }
  async getOpenIncident(service: string) {
    const id = this.open.get(service);
    return id === undefined ? undefined : this.getIncident(service, id);
  }
  async listIncidents(service: string, limit = 20) {
    return [...this.incidents.values()]
      .filter((i) => i.service === service)
      .sort((a, b) => b.openedAt.localeCompare(a.openedAt))
      .slice(0, limit);
  }
  async acquireLock(service: string, owner: string, ttlSeconds: number, now: string): Promise<LockResult> {
    const nowS = Math.floor(Date.parse(now) / 1000);
    const held = this.locks.get(service);
    if (held && held.expiresAt >= nowS && held.owner !== owner) {
      return {
        acquired: false,
        heldBy: held.owner,
        expiresAt: new Date(held.expiresAt * 1000).toISOString(),
      };
    }
    this.locks.set(service, { owner, expiresAt: nowS + ttlSeconds });
    return { acquired: true, expiresAt: new Date((nowS + ttlSeconds) * 1000).toISOString() };
  }
  async releaseLock(service: string, owner: string): Promise<ReleaseResult> {
    const held = this.locks.get(service);
    if (held?.owner !== owner) return held ? { released: false, heldBy: held.owner } : { released: false };
    this.locks.delete(service);
    return { released: true };
  }
  readonly planned = new Map<string, LbSnapshot>();
  async putPlannedSnapshot(service: string, incidentId: string, snapshot: LbSnapshot) {
    this.planned.set(`${service}|${incidentId}`, structuredClone(snapshot));
  }
  async getPlannedSnapshot(service: string, incidentId: string) {
    return this.planned.get(`${service}|${incidentId}`);
  }
  async putProbeResults(service: string, results: readonly ProbeResult[]) {
    this.probes.set(service, [...(this.probes.get(service) ?? []), ...results]);
  }
  async recentProbeResults(service: string, since: string) {
    return (this.probes.get(service) ?? []).filter((r) => r.at >= since);
  }
  async putServedBySample(sample: ServedBySample) {
    this.samples.set(sample.service, [...(this.samples.get(sample.service) ?? []), sample]);
  }
  async recentServedBySamples(service: string, since: string) {
    return (this.samples.get(service) ?? []).filter((s) => s.at >= since);
  }
  async putConfigChange(service: string, change: ConfigChange) {
    this.changes.set(service, [...(this.changes.get(service) ?? []), change]);
  }
  async recentConfigChanges(service: string, since: string) {
    return (this.changes.get(service) ?? []).filter((c) => c.at >= since);
  }
  async getSoak(service: string) {
    return this.soaks.get(service);
  }
  async setSoak(service: string, marker: SoakMarker) {
    this.soaks.set(service, marker);
  }
  async getProbeHysteresis(service: string) {
    return this.hysteresis.get(service);
  }
  async putProbeHysteresis(
    service: string,
    states: ProbeHysteresisStates,
    expectVersion: number | undefined,
  ) {
    const current = this.hysteresis.get(service);
    if (current?.version !== expectVersion) return { written: false };
    this.hysteresis.set(service, { states: structuredClone(states), version: (expectVersion ?? 0) + 1 });
    return { written: true };
  }
  async clearSoak(service: string) {
    this.soaks.delete(service);
  }
}
