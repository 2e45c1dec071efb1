import { describe, expect, it } from 'vitest';
import { readApproveEnv } from '../../../lambdas/approve/deps.ts';
import { run } from '../../../lambdas/approve/handler.ts';
import {
  ApproveEventSchema,
  type FunctionUrlEvent,
  readApproveBody,
} from '../../../lambdas/runtime/approve-events.ts';
import { askApproval } from '../../../lib/approval.ts';
import type { Incident } from '../../../lib/incident.ts';
import { MemoryStateStore, RecordingInvoker, SilentLog } from '../../support/lambda-fakes.ts';

// The approval endpoint's `run` with fakes: the body decides nothing until it is well formed, the
// service must be held for approval, and a recorded approval is handed to remediate once.

const ANA = 'arn:aws:sts::123456789012:assumed-role/oncall/ana';
const PLAN = 'a'.repeat(64);
const NOW = new Date('2026-11-24T14:20:00.000Z');
const INCIDENT_ID = 'shop#2026-11-24T14:02:11.000Z';

/** A function URL request as Lambda delivers it once it verified the caller's SigV4 signature. */
function urlEvent(body: unknown, more: { method?: string; base64?: boolean } = {}): FunctionUrlEvent {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    version: '2.0',
    rawPath: '/',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      requestId: 'req-1',
      http: { method: more.method ?? 'POST', sourceIp: '203.0.113.9' },
      authorizer: { iam: { accountId: '123456789012', userArn: ANA, callerId: 'AROA:ana' } },
    },
    body: more.base64 === true ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: more.base64 === true,
  };
}

function incident(minutesAgoAsked: number): Incident {
  const askedAt = new Date(NOW.getTime() - minutesAgoAsked * 60_000).toISOString();
  return {
    id: INCIDENT_ID,
    service: 'shop',
    state: 'confirmed',
    openedAt: '2026-11-24T14:02:11.000Z',
    updatedAt: askedAt,
    breaches: 3,
    remediations: [],
    timeline: [],
    approval: askApproval({
      service: 'shop',
      planHash: PLAN,
      snapshotHash: 'b'.repeat(64),
      steps: ['ModifyListener :80 default action → forward web-a/web-b 50/50'],
      at: askedAt,
      policy: { expiresAfterMinutes: 60 },
    }),
  };
}

async function world(pending: Incident | undefined) {
  const store = new MemoryStateStore();
  if (pending !== undefined) await store.putIncident(pending);
  const writesBefore = store.incidentWrites;
  const invoker = new RecordingInvoker();
  const deps = {
    approveServices: new Set(['shop']),
    store,
    invoker,
    logger: new SilentLog(),
    now: () => NOW,
  };
  return { store, invoker, deps, writes: () => store.incidentWrites - writesBefore };
}

const bodyOf = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;

describe('the approval endpoint', () => {
  it('records the IAM caller as approver and hands the incident to remediate once (200)', async () => {
    const w = await world(incident(5));
    const answer = await run(urlEvent({ service: 'shop', planHash: PLAN.slice(0, 12) }), w.deps);
    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer)).toMatchObject({
      outcome: 'recorded',
      service: 'shop',
      planHash: PLAN,
      incidentId: INCIDENT_ID,
      approvedBy: ANA,
    });
    expect(w.invoker.requests).toEqual([
      {
        kind: 'remediate',
        service: 'shop',
        incidentId: INCIDENT_ID,
        planHash: PLAN,
        requestedAt: NOW.toISOString(),
      },
    ]);
    const stored = await w.store.getIncident('shop', INCIDENT_ID);
    expect(stored?.approval?.approvedBy).toBe(ANA);
    expect(stored?.timeline.at(-1)?.what).toBe(`Plan ${PLAN} approved by ${ANA}`);
  });

  it('answers already-approved for a second approval, keeps the first approver and hands off again', async () => {
    const w = await world(incident(5));
    await run(urlEvent({ service: 'shop', planHash: PLAN }), w.deps);
    const again = await run(urlEvent({ service: 'shop', planHash: PLAN }), w.deps);
    expect(again.statusCode).toBe(200);
    expect(bodyOf(again)).toMatchObject({ outcome: 'already-approved', alreadyApprovedBy: ANA });
    expect(w.invoker.requests).toHaveLength(2);
    expect(w.writes()).toBe(1);
  });

  it('reads a base64-encoded body as Lambda delivers a non-text content type', async () => {
    const w = await world(incident(5));
    const answer = await run(urlEvent({ service: 'shop', planHash: PLAN }, { base64: true }), w.deps);
    expect(answer.statusCode).toBe(200);
  });

  it.each([
    { name: 'an empty body', body: '', field: 'body' },
    { name: 'a body that is not JSON', body: '{service: shop', field: 'body' },
    { name: 'a JSON array', body: [], field: 'body' },
    { name: 'no planHash', body: { service: 'shop' }, field: 'planHash' },
    {
      name: 'a planHash that is not hex',
      body: { service: 'shop', planHash: 'z'.repeat(64) },
      field: 'planHash',
    },
    {
      name: 'a planHash shorter than 12',
      body: { service: 'shop', planHash: 'a'.repeat(11) },
      field: 'planHash',
    },
    { name: 'no service', body: { planHash: PLAN }, field: 'service' },
    { name: 'a service that is not a string', body: { service: 7, planHash: PLAN }, field: 'service' },
    {
      name: 'an unknown field',
      body: { service: 'shop', planHash: PLAN, approver: 'root' },
      field: 'approver',
    },
    {
      name: 'a body over 1 KB',
      body: { service: 'shop', planHash: PLAN, pad: 'x'.repeat(2000) },
      field: 'body',
    },
  ])('answers 400 naming $field for $name, and records nothing', async ({ body, field }) => {
    const w = await world(incident(5));
    const answer = await run(urlEvent(body), w.deps);
    expect(answer.statusCode).toBe(400);
    const problems = bodyOf(answer).problems as string[];
    expect(
      problems.some((p) => p.startsWith(`${field}:`)),
      problems.join('\n'),
    ).toBe(true);
    expect(w.writes()).toBe(0);
    expect(w.invoker.requests).toEqual([]);
  });

  it('never quotes the body it refuses', async () => {
    const w = await world(incident(5));
    const answer = await run(urlEvent({ service: 'shop', planHash: 'secret-token-123' }), w.deps);
    expect(answer.statusCode).toBe(400);
    expect(answer.body).not.toContain('secret-token-123');
  });

  it.each(['api', 'unknown'])(
    'answers 403 for %s, which is not held for approval, and records nothing',
    async (service) => {
      const w = await world(incident(5));
      const answer = await run(urlEvent({ service, planHash: PLAN }), w.deps);
      expect(answer.statusCode).toBe(403);
      expect(bodyOf(answer).reason).toContain('remediation.mode approve');
      expect(w.writes()).toBe(0);
      expect(w.invoker.requests).toEqual([]);
    },
  );

  it.each([
    { name: 'nothing awaits approval', pending: undefined, planHash: PLAN, cause: 'nothing-pending' },
    {
      name: 'the hash names another plan',
      pending: incident(5),
      planHash: 'f'.repeat(64),
      cause: 'other-plan',
    },
    { name: 'the request expired', pending: incident(61), planHash: PLAN, cause: 'expired' },
  ])('answers 409 when $name, saying why, and hands nothing off', async ({ pending, planHash, cause }) => {
    const w = await world(pending);
    const answer = await run(urlEvent({ service: 'shop', planHash }), w.deps);
    expect(answer.statusCode).toBe(409);
    expect(bodyOf(answer)).toMatchObject({ outcome: 'refused', cause });
    expect(w.writes()).toBe(0);
    expect(w.invoker.requests).toEqual([]);
  });

  it('answers 405 to anything but POST', async () => {
    const w = await world(incident(5));
    const answer = await run(urlEvent({ service: 'shop', planHash: PLAN }, { method: 'GET' }), w.deps);
    expect(answer.statusCode).toBe(405);
    expect(answer.headers.allow).toBe('POST');
    expect(w.writes()).toBe(0);
  });

  it('fails the invocation (500) when the hand-off fails, with the approval recorded for a retry', async () => {
    const w = await world(incident(5));
    const failing = { invoke: async () => Promise.reject(new Error('Lambda throttled')) };
    await expect(
      run(urlEvent({ service: 'shop', planHash: PLAN }), { ...w.deps, invoker: failing }),
    ).rejects.toThrow(/throttled/);
    const retried = await run(urlEvent({ service: 'shop', planHash: PLAN }), w.deps);
    expect(bodyOf(retried)).toMatchObject({ outcome: 'already-approved' });
    expect(w.invoker.requests).toHaveLength(1);
  });
});

describe('the approval endpoint event', () => {
  it('accepts a function URL request carrying the verified IAM caller', () => {
    expect(ApproveEventSchema.safeParse(urlEvent({})).success).toBe(true);
  });

  it('rejects an event with no IAM identity (a URL with AuthType NONE, or a direct invoke)', () => {
    const { authorizer: _, ...context } = urlEvent({}).requestContext;
    expect(ApproveEventSchema.safeParse({ ...urlEvent({}), requestContext: context }).success).toBe(false);
    expect(ApproveEventSchema.safeParse({ service: 'shop', planHash: PLAN }).success).toBe(false);
  });
});

describe('the approval endpoint environment', () => {
  const good = {
    LBGUARD_TABLE: 'lbguard-state',
    LBGUARD_REMEDIATE_FUNCTION: 'LbGuard-Remediate',
    LBGUARD_APPROVE_SERVICES: 'shop,api',
  };

  it('lists the services held for approval', () => {
    expect(readApproveEnv(good)).toEqual({
      tableName: 'lbguard-state',
      remediateFunction: 'LbGuard-Remediate',
      approveServices: ['shop', 'api'],
    });
  });

  it('fails at cold start naming each missing variable', () => {
    expect(() => readApproveEnv({ LBGUARD_TABLE: 'lbguard-state' })).toThrow(
      /LBGUARD_REMEDIATE_FUNCTION: is required\nLBGUARD_APPROVE_SERVICES: is required/,
    );
  });
});

describe('the approval body', () => {
  it.each([
    [{ planHash: PLAN }, 'service: is required'],
    [{ service: 7, planHash: PLAN }, 'service: must be a string'],
    [[], 'body: must be a JSON object {"service": "…", "planHash": "…"}'],
  ])('explains %j as %s', (body, problem) => {
    expect(readApproveBody({ body: JSON.stringify(body), isBase64Encoded: false })).toEqual({
      ok: false,
      problems: [problem],
    });
  });
});
