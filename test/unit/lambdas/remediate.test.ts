import { describe, expect, it } from 'vitest';
import { isPermanent } from '../../../lambdas/adapters/aws-call.ts';
import { remediate as run } from '../../../lambdas/flows/remediate.ts';
import type { RemediateRequest } from '../../../lambdas/runtime/events.ts';
import { AwsApiError } from '../../../lib/errors.ts';
import { renderPostmortem } from '../../../lib/postmortem.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import { outageCurrent, outageLastGood } from '../fixtures/topologies.ts';
import { confirmedOutage, tick, type World } from './outage.ts';
import { serviceConfig, world } from './world.ts';

function incidentOf(w: World, request: RemediateRequest) {
  return w.store.incidents.get(`shop|${request.incidentId}`);
}

function throttling(): AwsApiError {
  const cause = Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });
  return new AwsApiError('ModifyListener', { cause });
}

function accessDenied(op = 'ModifyListener'): AwsApiError {
  const cause = Object.assign(new Error(`not authorized to perform elasticloadbalancing:${op}`), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  });
  return new AwsApiError(op, { cause });
}

describe('remediate in auto mode', () => {
  it('restores last known good, verifies, resolves the incident and leaves a postmortem', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'resolved', planHash: request.planHash });
    expect(hashSnapshot(w.lb.snapshot)).toBe(hashSnapshot(outageLastGood()));
    expect(w.lb.writes.map((s) => s.op)).toEqual(['RegisterTargets', 'RegisterTargets', 'ModifyListener']);
    const incident = incidentOf(w, request);
    expect(incident?.state).toBe('resolved');
    expect(incident?.timeline.map((e) => e.to)).toEqual([
      'suspected',
      'confirmed',
      'mitigating',
      'verifying',
      'resolved',
    ]);
    expect(w.store.locks.size).toBe(0);
    expect(w.store.open.has('shop')).toBe(false);
    const postmortem = renderPostmortem(incident ?? (undefined as never));
    expect(postmortem).toMatch(/ModifyListener/);
    expect(w.notifier.sent.map((n) => n.state)).toEqual(['confirmed', 'mitigating', 'verifying', 'resolved']);
  });

  it('lets exactly one of two concurrent runs apply; the other reports the lock', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    // Incident writes are conditional on `updatedAt`; real time moves between the two runs' writes.
    w.clock.tickOnRead = 1;
    const [a, b] = await Promise.all([
      run(request, w.remediateDeps('req-a')),
      run(request, w.remediateDeps('req-b')),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(['lock-held', 'resolved']);
    expect(w.lb.writes).toHaveLength(3);
    const timeline = incidentOf(w, request)?.timeline ?? [];
    expect(timeline.some((e) => e.what.includes('lock held'))).toBe(true);
  });

  it('converges on a retry after a failure half way, registering nothing twice', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.lb.beforeWrite = (_step, index) => {
      if (index === 1) throw throttling();
    };
    await expect(run(request, w.remediateDeps())).rejects.toThrow(/Rate exceeded/);
    expect(w.lb.writes).toHaveLength(1);
    expect(incidentOf(w, request)?.state).toBe('mitigating');
    expect(w.store.locks.size).toBe(0);

    w.lb.beforeWrite = () => {};
    const retry = await run(request, w.remediateDeps());
    expect(retry.outcome).toBe('resolved');
    expect(hashSnapshot(w.lb.snapshot)).toBe(hashSnapshot(outageLastGood()));
    const registered = w.lb.writes.flatMap((s) =>
      s.op === 'RegisterTargets' ? s.targets.map((t) => t.id) : [],
    );
    expect(registered.sort()).toEqual(['i-0b', 'i-0c', 'i-0d']);
    const timeline = incidentOf(w, request)?.timeline ?? [];
    expect(timeline.find((e) => e.to === 'verifying')?.evidence.join('\n')).toMatch(
      /re-planned under the lock/,
    );
  });

  it('escalates on access denied with the steps already applied, and does not throw', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.lb.beforeWrite = (step) => {
      if (step.op === 'ModifyListener') throw accessDenied();
    };
    const out = await run(request, w.remediateDeps());
    expect(out.outcome).toBe('failed');
    if (out.outcome !== 'failed') return;
    expect(out.error).toMatch(/AccessDenied/);
    expect(out.error).toMatch(/applied before the failure: RegisterTargets/);
    expect(out.applied).toHaveLength(2);
    expect(incidentOf(w, request)?.state).toBe('escalated');
    expect(w.metrics.values('shop', 'RemediationFailed')).toEqual([1]);
    expect(w.metrics.values('shop', 'IncidentEscalated')).toEqual([1]);
  });

  it('escalates when probes stay red past the deadline, polling with the injected sleep', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.prober.answer = () => ({ ok: false, status: 500 });
    const started = w.clock.now().getTime();
    const out = await run(request, w.remediateDeps());
    expect(out.outcome).toBe('verification-failed');
    expect(w.clock.now().getTime() - started).toBeGreaterThanOrEqual(60_000);
    expect(w.clock.now().getTime() - started).toBeLessThan(75_000);
    expect(incidentOf(w, request)?.state).toBe('escalated');
    if (out.outcome === 'verification-failed') expect(out.evidence.join('\n')).toMatch(/probe home: failed/);
  });

  it('skips the apply but still verifies when live routing already matches last known good', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.lb.snapshot = outageLastGood();
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'resolved', applied: [] });
    expect(w.lb.writes).toHaveLength(0);
  });

  it('escalates when there is no last known good to restore', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.store.lastGood.clear();
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'failed', error: 'no last known good to restore' });
  });

  it('escalates when the plan under the lock breaks the blast-radius cap', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    // The policy tightened (a redeploy) between inspect's plan and remediate's re-plan.
    const service = w.config.services[0];
    if (service) Object.assign(service.remediation, { maxSteps: 1 });
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/exceeds-max-steps/) });
    expect(w.lb.writes).toHaveLength(0);
  });
});

describe('remediate guards', () => {
  it('reports the lock and changes nothing when another run holds it', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    await w.store.acquireLock('shop', 'someone-else', 600, w.clock.now().toISOString());
    const out = await run(request, w.remediateDeps());
    expect(out).toEqual({ outcome: 'lock-held', incidentId: request.incidentId, heldBy: 'someone-else' });
    expect(w.lb.writes).toHaveLength(0);
  });

  it('in dry-run notifies the plan and changes nothing', async () => {
    const w = world(outageLastGood(), serviceConfig({ remediation: { mode: 'dry-run' } }));
    await tick(w, 0);
    await tick(w, 121_000);
    w.lb.snapshot = outageCurrent();
    w.prober.answer = () => ({ ok: false, status: 503 });
    await tick(w);
    const second = await tick(w);
    const inspection = second.kind === 'inspected' ? second.services[0] : undefined;
    const request: RemediateRequest = {
      kind: 'remediate',
      service: 'shop',
      incidentId: inspection?.incidentId ?? '',
      planHash: inspection?.planHash ?? '',
      requestedAt: w.clock.now().toISOString(),
    };
    const sent = w.notifier.sent.length;
    const out = await run(request, w.remediateDeps());
    expect(out.outcome).toBe('dry-run');
    expect(w.lb.writes).toHaveLength(0);
    expect(w.notifier.sent.slice(sent)[0]?.plan?.length).toBe(3);
    expect(incidentOf(w, request)?.state).toBe('confirmed');
  });

  it.each([
    ['an unknown service', { service: 'nope' }],
    ['an unknown incident', { incidentId: 'shop#2020-01-01T00:00:00.000Z' }],
  ])('treats a request for %s as stale', async (_what, patch) => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    const out = await run({ ...request, ...patch }, w.remediateDeps());
    expect(out.outcome).toBe('stale');
    expect(w.lb.writes).toHaveLength(0);
  });

  it('does not act on an incident that is already over', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    await run(request, w.remediateDeps());
    const again = await run(request, w.remediateDeps('req-2'));
    expect(again).toMatchObject({ outcome: 'stale', reason: 'incident is already resolved' });
  });

  it('does nothing when remediation is off', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    const service = w.config.services[0];
    if (service) Object.assign(service.remediation, { mode: 'off' });
    expect((await run(request, w.remediateDeps())).outcome).toBe('disabled');
    expect(w.lb.writes).toHaveLength(0);
  });

  it('never lets a failed lock release mask the outcome', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.store.releaseLock = async () => {
      throw new Error('DynamoDB down');
    };
    expect((await run(request, w.remediateDeps())).outcome).toBe('resolved');
    expect(w.logger.lines.some((l) => l.message.includes('could not release'))).toBe(true);
  });
});

describe('isPermanent', () => {
  const aws = (name: string, status?: number) =>
    new AwsApiError('RegisterTargets', {
      cause: Object.assign(new Error(name), {
        name,
        ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
      }),
    });
  it.each([
    [aws('AccessDenied', 403), true],
    [aws('AccessDeniedException'), true],
    [aws('ValidationError', 400), true],
    [aws('ThrottlingException', 400), false],
    [aws('TooManyRequestsException', 429), false],
    [aws('InternalFailure', 500), false],
    [aws('TimeoutError'), false],
    [new Error('socket hang up'), false],
  ])('classifies %s as permanent: %s', (error, expected) => {
    expect(isPermanent(error)).toBe(expected);
  });
});

describe('remediate checks the guardrails itself', () => {
  it('refuses a request for a confirmed incident that records no remediation decision, and writes nothing', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    const stored = incidentOf(w, request);
    if (stored === undefined) throw new Error('no incident');
    // As if the message had been published by someone other than inspect's decision.
    w.store.incidents.set(`shop|${request.incidentId}`, { ...stored, remediations: [] });
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/no remediation was decided/),
    });
    expect(w.lb.writes).toEqual([]);
    expect(incidentOf(w, request)?.state).toBe('confirmed');
    expect(w.store.locks.size).toBe(0);
  });

  it('refuses a request whose recorded attempt falls inside the cooldown of the service’s previous one', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    const stored = incidentOf(w, request);
    const attempt = stored?.remediations.at(-1);
    if (stored === undefined || attempt === undefined) throw new Error('no recorded attempt');
    // An earlier incident of the service remediated two minutes before this attempt.
    const earlier = new Date(Date.parse(attempt) - 120_000).toISOString();
    w.store.incidents.set('shop|earlier', {
      ...stored,
      id: 'earlier',
      state: 'resolved',
      openedAt: earlier,
      closedAt: earlier,
      remediations: [earlier],
    });
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/cooldown/) });
    expect(w.lb.writes).toEqual([]);
  });
});
