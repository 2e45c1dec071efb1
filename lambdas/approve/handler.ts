import { recordApproval } from '../flows/approval.ts';
import { ApproveEventSchema, type FunctionUrlEvent, readApproveBody } from '../runtime/approve-events.ts';
import { atColdStart } from '../runtime/cold-start.ts';
import { createHandler } from '../runtime/middleware.ts';
import { type ApproveDeps, approveDeps, readApproveEnv } from './deps.ts';
import { type ApproveOutcome, type FunctionUrlResult, respond } from './responses.ts';

// The HTTPS approval endpoint (a function URL, AuthType AWS_IAM): what `lbguard approve` does, for
// chat tools. The approver is the IAM identity Lambda verified from the request's signature, never
// anything the body says; the approval is recorded by the CLI's own flow, then handed to remediate.
const deps = atColdStart(() => approveDeps(readApproveEnv(process.env)));

/** One request: read, record, hand off, answer. An error (a hand-off that failed) answers 500. */
export async function run(event: FunctionUrlEvent, deps: ApproveDeps): Promise<FunctionUrlResult> {
  const outcome = await approve(event, deps);
  const { requestId } = event.requestContext;
  const approver = event.requestContext.authorizer.iam.userArn;
  switch (outcome.kind) {
    case 'recorded':
      deps.logger.info('approval recorded and handed to remediate', { requestId, ...outcome });
      break;
    case 'refused':
    case 'not-approve-mode':
    case 'malformed':
    case 'method-not-allowed':
      deps.logger.warn('approval refused', { requestId, approver, outcome });
      break;
  }
  return respond(outcome);
}

async function approve(event: FunctionUrlEvent, deps: ApproveDeps): Promise<ApproveOutcome> {
  const method = event.requestContext.http.method;
  if (method !== 'POST') return { kind: 'method-not-allowed', method };
  const read = readApproveBody(event);
  if (!read.ok) return { kind: 'malformed', problems: read.problems };
  const { service, planHash } = read.body;
  if (!deps.approveServices.has(service)) return { kind: 'not-approve-mode', service };
  const approver = event.requestContext.authorizer.iam.userArn;
  const at = deps.now().toISOString();
  const recorded = await recordApproval({ service, given: planHash, approver, at }, deps.store);
  if (recorded.kind === 'refused') return recorded;
  // Repeated when someone approved already: a lost hand-off is cured by approving again.
  await deps.invoker.invoke(recorded.request);
  return {
    kind: 'recorded',
    service,
    planHash: recorded.request.planHash,
    incidentId: recorded.incident.id,
    approvedBy: approver,
    ...(recorded.alreadyBy === undefined ? {} : { alreadyBy: recorded.alreadyBy }),
  };
}

export const handler = createHandler(ApproveEventSchema, (event) => run(event, deps()));
