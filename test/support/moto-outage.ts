// The seed outage on moto as the approval and guardrail tests start from it: one driver instead of
// a copy per test file (duplicates --change found four).
import { inspect } from '../../lambdas/flows/inspect.ts';
import type { RemediateRequest } from '../../lambdas/runtime/events.ts';
import { deregisterTargets } from './elbv2-fixtures.ts';
import type { MotoWorld } from './moto-lambdas.ts';

/**
 * Last known good promoted, the seed outage deployed (the listener forwards 100/0 and all but one
 * target is deregistered) and confirmed by the inspection its CloudTrail event wakes: the request
 * inspect handed to remediate. The ELBv2 calls made so far are forgotten.
 */
export async function confirmedSeedOutage(world: MotoWorld): Promise<RemediateRequest> {
  await world.promote();
  await world.modifyListener({ forward: { 'web-a': 100, 'web-b': 0 } });
  const { groups } = world.shop;
  await deregisterTargets(world.admin, groups['web-a']?.arn ?? '', (groups['web-a']?.targets ?? []).slice(1));
  await deregisterTargets(world.admin, groups['web-b']?.arn ?? '', groups['web-b']?.targets ?? []);
  world.clock.advance(5_000);
  await inspect(
    world.changeEvent('ModifyListener', { listenerArn: world.shop.listenerArn }),
    world.inspectDeps(),
  );
  await world.tick();
  const request = world.invoker.requests[0];
  if (!request) throw new Error('inspect did not request remediation');
  world.elbv2Calls.length = 0;
  return request;
}

/** The seed outage confirmed in approve mode and remediate asked: the plan awaiting approval. */
export async function awaitingApproval(
  world: MotoWorld,
): Promise<{ readonly request: RemediateRequest; readonly planHash: string }> {
  const request = await confirmedSeedOutage(world);
  const out = await world.remediate(request);
  if (out.outcome !== 'awaiting-approval') throw new Error(`expected awaiting-approval, got ${out.outcome}`);
  world.elbv2Calls.length = 0;
  return { request, planHash: out.planHash };
}
