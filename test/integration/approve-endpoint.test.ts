import { afterEach, describe, expect, it } from 'vitest';
import type { RemediationInvoker } from '../../lambdas/adapters/remediation-handoff.ts';
import { approveDeps } from '../../lambdas/approve/deps.ts';
import { run } from '../../lambdas/approve/handler.ts';
import type { RemediateOutcome } from '../../lambdas/flows/remediate.ts';
import type { FunctionUrlEvent } from '../../lambdas/runtime/approve-events.ts';
import { motoClientConfig } from '../support/aws-env.ts';
import { outageShop } from '../support/elbv2-fixtures.ts';
import { SilentLog } from '../support/lambda-fakes.ts';
import { createMotoWorld, type MotoWorld } from '../support/moto-lambdas.ts';
import { awaitingApproval } from '../support/moto-outage.ts';

// The approval endpoint as Lambda runs it, against moto: a function URL request (the IAM caller
// Lambda verified in its request context) records the approval in the real state table through
// the endpoint's own wiring, and the hand-off runs remediate's flow in process, as the CLI does
// without a deployed function: the plan is applied and verified, or nothing is written.

const ANA = 'arn:aws:sts::123456789012:assumed-role/oncall/ana';

let w: MotoWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function urlEvent(body: unknown): FunctionUrlEvent {
  return {
    version: '2.0',
    rawPath: '/',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      requestId: 'req-1',
      http: { method: 'POST' },
      authorizer: { iam: { accountId: '123456789012', userArn: ANA, callerId: 'AROA:ana' } },
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** The endpoint wired as in Lambda (its own DynamoDB client on the table), handing off in process. */
function endpoint(world: MotoWorld) {
  const ran: RemediateOutcome[] = [];
  const invoker: RemediationInvoker = {
    invoke: async (request) => {
      ran.push(await world.remediate(request));
    },
  };
  const deps = approveDeps(
    { tableName: world.runtime.env.tableName, remediateFunction: 'unused', approveServices: ['shop'] },
    { clientOptions: motoClientConfig(), invoker, logger: new SilentLog(), now: () => world.clock.now() },
  );
  return { deps, ran };
}

describe('the approval endpoint against moto', () => {
  it('records the IAM caller on the incident and hands it to remediate, which applies and verifies', async () => {
    w = await createMotoWorld(outageShop, () => ({
      remediation: { mode: 'approve', verifyDeadlineSeconds: 30 },
    }));
    const { request, planHash } = await awaitingApproval(w);
    const lastGood = await w.lastGoodHash();
    const { deps, ran } = endpoint(w);

    const answer = await run(urlEvent({ service: 'shop', planHash: planHash.slice(0, 12) }), deps);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'recorded', approvedBy: ANA, planHash });
    expect(ran.map((r) => r.outcome)).toEqual(['resolved']);
    expect(await w.liveHash()).toBe(lastGood);
    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.state).toBe('resolved');
    expect(incident?.timeline.some((e) => e.what === `Plan ${planHash} approved by ${ANA}`)).toBe(true);
  });

  it('answers 409 for a hash that is not the plan awaiting approval, recording and applying nothing', async () => {
    w = await createMotoWorld(outageShop, () => ({
      remediation: { mode: 'approve', verifyDeadlineSeconds: 30 },
    }));
    const { request, planHash } = await awaitingApproval(w);
    const before = await w.runtime.store.getIncident('shop', request.incidentId);
    const { deps, ran } = endpoint(w);

    const answer = await run(urlEvent({ service: 'shop', planHash: 'f'.repeat(64) }), deps);
    expect(answer.statusCode).toBe(409);
    expect(JSON.parse(answer.body)).toMatchObject({ outcome: 'refused', cause: 'other-plan' });
    expect(JSON.parse(answer.body).reason).toContain(`waits for plan ${planHash}`);
    expect(ran).toEqual([]);
    expect(w.elbv2Writes()).toEqual([]);
    expect(await w.runtime.store.getIncident('shop', request.incidentId)).toEqual(before);
  });
});
