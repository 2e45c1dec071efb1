import { createPowertoolsApplyOnce } from '../adapters/apply-once.ts';
import { HttpProber } from '../adapters/http-prober.ts';
import { remediate } from '../flows/remediate.ts';
import { atColdStart } from '../runtime/cold-start.ts';
import { readEnv, requireTopic } from '../runtime/env.ts';
import { createHandler } from '../runtime/middleware.ts';
import { RemediateEventSchema, requestOf } from '../runtime/remediate-events.ts';
import { remediateClients, remediateDeps } from './deps.ts';

// Remediate: one incident's plan, under the lock, applied once, verified. The lock owner is the
// invocation's request id (Lambda keeps it across async retries), so deps are wired per invocation
// around what must outlive it, built once: the clients, the apply-once record and the prober
// (whose keep-alive agents a verification's polls reuse).
const cold = atColdStart(() => {
  const env = readEnv(process.env);
  const clients = remediateClients();
  return {
    env,
    clients,
    remediationTopicArn: requireTopic(env, 'remediationTopicArn'),
    applyOnce: createPowertoolsApplyOnce({ dynamodb: clients.dynamodb, tableName: env.tableName }),
    prober: new HttpProber(),
  };
});

export const handler = createHandler(RemediateEventSchema, (event, context) => {
  const { env, clients, remediationTopicArn, applyOnce, prober } = cold();
  const request = requestOf(event, remediationTopicArn);
  applyOnce.registerContext?.(context);
  return remediate(
    request,
    remediateDeps(env, { clients, applyOnce, prober, lockOwner: context.awsRequestId }),
  );
});
