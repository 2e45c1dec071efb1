import {
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import { afterEach, describe, expect, it } from 'vitest';
import { inspect } from '../../lambdas/flows/inspect.ts';
import type { RemediateRequest } from '../../lambdas/runtime/events.ts';
import { targetGroupName } from '../../lib/owners.ts';
import { motoClientConfig } from '../support/aws-env.ts';
import { deregisterTargets, outageShop } from '../support/elbv2-fixtures.ts';
import { createMotoWorld, type MotoWorld } from '../support/moto-lambdas.ts';

// Issue 15, deployment-aware arbitration, through the real remediate flow and its real owner
// lookup against moto: a CodeDeploy deployment moto keeps in progress on a deployment group that
// balances a target group the plan writes means 0 ELBv2 writes. moto 5.2.1 cannot end a deployment
// (no StopDeployment, no UpdateDeploymentGroup) nor hold a stack in *_IN_PROGRESS or look one up
// by physical id, so "acts once it settled" and the stack path are unit-tested through the port
// (test/unit/lambdas/remediate-owners.test.ts).

let w: MotoWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Last known good promoted, the outage deployed and confirmed: the request inspect handed over. */
async function confirmedOutage(world: MotoWorld): Promise<RemediateRequest> {
  await world.promote();
  await world.modifyListener({ forward: { 'web-a': 100, 'web-b': 0 } });
  const { groups } = world.shop;
  await deregisterTargets(world.admin, groups['web-b']?.arn ?? '', groups['web-b']?.targets ?? []);
  world.clock.advance(5_000);
  await inspect(
    world.changeEvent('ModifyListener', { listenerArn: world.shop.listenerArn }),
    world.inspectDeps(),
  );
  await world.tick();
  const request = world.invoker.requests.at(-1);
  if (!request) throw new Error('inspect did not request remediation');
  world.elbv2Calls.length = 0;
  return request;
}

/**
 * A CodeDeploy application whose one deployment group balances `targetGroup`, with a deployment
 * moto leaves in progress. The deployment is the test's, made with the SDK client (a
 * devDependency); lbguard reads CodeDeploy with its own signed calls (owner-apis.ts).
 */
async function deploymentInProgress(targetGroup: string): Promise<string> {
  const codedeploy = new CodeDeployClient(motoClientConfig());
  await codedeploy.send(
    new CreateApplicationCommand({ applicationName: 'shop-web', computePlatform: 'Server' }),
  );
  await codedeploy.send(
    new CreateDeploymentGroupCommand({
      applicationName: 'shop-web',
      deploymentGroupName: 'web',
      serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy',
      loadBalancerInfo: { targetGroupInfoList: [{ name: targetGroup }] },
    }),
  );
  const out = await codedeploy.send(
    new CreateDeploymentCommand({
      applicationName: 'shop-web',
      deploymentGroupName: 'web',
      revision: { revisionType: 'S3', s3Location: { bucket: 'builds', key: 'web.zip', bundleType: 'zip' } },
    }),
  );
  codedeploy.destroy();
  if (out.deploymentId === undefined) throw new Error('moto made no deployment');
  return out.deploymentId;
}

describe('remediation with a CodeDeploy deployment in progress, against moto', () => {
  it('writes nothing while a deployment is in progress on a group that balances a target group the plan writes', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    const request = await confirmedOutage(w);
    const webB = targetGroupName(w.shop.groups['web-b']?.arn ?? '');
    const deploymentId = await deploymentInProgress(webB);
    const lastGood = await w.lastGoodHash();

    const out = await w.remediate(request);
    expect(out).toEqual({
      outcome: 'deferred',
      incidentId: request.incidentId,
      owners: [`deployment ${deploymentId}`],
    });
    expect(w.elbv2Writes()).toEqual([]);
    expect(await w.liveHash()).not.toBe(lastGood);
    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.state).toBe('confirmed');
    expect(incident?.deferral?.owners).toEqual([`deployment ${deploymentId}`]);
    // The attempt is handed back, so the next inspection hands off again and remediate looks again.
    expect(incident?.remediations).toEqual([]);
    const sent = await w.notifications(1);
    const deferral = sent.find((d) => d.Message.includes('Remediation deferred'));
    expect(deferral?.Message).toContain(`aws deploy stop-deployment --deployment-id ${deploymentId}`);

    await w.tick();
    const again = w.invoker.requests.at(-1);
    expect(again?.incidentId).toBe(request.incidentId);
    expect(again).not.toBe(request);
    expect((await w.remediate(again as RemediateRequest)).outcome).toBe('deferred');
    expect(w.elbv2Writes()).toEqual([]);
  });

  it('acts when the deployment in progress balances a target group the plan does not touch', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    const request = await confirmedOutage(w);
    await deploymentInProgress('checkout');
    const lastGood = await w.lastGoodHash();
    expect((await w.remediate(request)).outcome).toBe('resolved');
    expect(w.elbv2Writes().length).toBeGreaterThan(0);
    expect(await w.liveHash()).toBe(lastGood);
  });
});
