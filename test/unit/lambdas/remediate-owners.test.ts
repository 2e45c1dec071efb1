import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { remediate as run } from '../../../lambdas/flows/remediate.ts';
import type { RemediateRequest } from '../../../lambdas/runtime/events.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import {
  type AwsStandIn,
  codeDeployOk,
  notInAStack,
  stackResources,
  stackStatus,
  startAwsStandIn,
} from '../../support/aws-stand-in.ts';
import { listenerArn, outageLastGood, tgArn } from '../fixtures/topologies.ts';
import { confirmedOutage, tick, type World } from './outage.ts';
import { world } from './world.ts';

// Issue 15, deployment-aware arbitration: before any ELBv2 write, remediate looks for an owner in
// flight (a stack, a CodeDeploy deployment, a deployment service's recent change) and defers.

const LISTENER = listenerArn(80);
const stackInFlight = {
  kind: 'stack' as const,
  stackName: 'shop-edge',
  status: 'UPDATE_IN_PROGRESS',
  resources: [LISTENER],
};

function incidentOf(w: World, request: RemediateRequest) {
  return w.store.incidents.get(`shop|${request.incidentId}`);
}

describe('remediate with an owner in flight', () => {
  it('defers a stack update: no ELBv2 write, the deferral on the incident, the stack and the command in the message', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.owners.answer = { kind: 'looked', inFlight: [stackInFlight], stacks: [stackInFlight] };
    const out = await run(request, w.remediateDeps());
    expect(out).toEqual({ outcome: 'deferred', incidentId: request.incidentId, owners: ['stack shop-edge'] });
    expect(w.lb.writes).toEqual([]);
    // It asked about exactly what the plan writes.
    expect(w.owners.asked[0]?.listeners).toEqual([LISTENER]);
    expect([...(w.owners.asked[0]?.targetGroups ?? [])].sort()).toEqual(
      [tgArn('web-a'), tgArn('web-b')].sort(),
    );
    const incident = incidentOf(w, request);
    expect(incident?.state).toBe('confirmed');
    expect(incident?.deferral?.owners).toEqual(['stack shop-edge']);
    const message = w.notifier.sent.at(-1);
    expect(message?.subject).toMatch(/Remediation deferred: stack shop-edge in flight/);
    expect(message?.evidence?.join('\n')).toMatch(
      /aws cloudformation cancel-update-stack --stack-name shop-edge/,
    );
    expect(w.store.locks.size).toBe(0);
  });

  it('spends neither budget nor cooldown: the next inspection hands off again, and remediate acts once the owner settled', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.owners.answer = { kind: 'looked', inFlight: [stackInFlight], stacks: [stackInFlight] };
    await run(request, w.remediateDeps());
    expect(incidentOf(w, request)?.remediations).toEqual([]);

    // Still in flight a minute later: handed off again, deferred again, told only once.
    expect(w.notifier.sent.filter((n) => /deferred/.test(n.subject))).toHaveLength(1);
    const sentBefore = w.notifier.sent.length;
    await tick(w);
    const second = w.invoker.requests.at(-1);
    expect(w.invoker.requests).toHaveLength(2);
    expect((await run(second as RemediateRequest, w.remediateDeps())).outcome).toBe('deferred');
    expect(w.notifier.sent.slice(sentBefore).filter((n) => /deferred/.test(n.subject))).toEqual([]);
    expect(w.lb.writes).toEqual([]);

    // The stack completed, and its end state is still the fault: now remediate restores.
    const settled = { ...stackInFlight, status: 'UPDATE_COMPLETE' };
    w.owners.answer = { kind: 'looked', inFlight: [], stacks: [settled] };
    await tick(w);
    expect(w.invoker.requests).toHaveLength(3);
    const out = await run(w.invoker.requests.at(-1) as RemediateRequest, w.remediateDeps());
    expect(out.outcome).toBe('resolved');
    expect(hashSnapshot(w.lb.snapshot)).toBe(hashSnapshot(outageLastGood()));
  });

  it('after restoring what a stack holds, says the stack has drifted and how to reconcile it', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    const settled = { ...stackInFlight, status: 'UPDATE_COMPLETE' };
    w.owners.answer = { kind: 'looked', inFlight: [], stacks: [settled] };
    expect((await run(request, w.remediateDeps())).outcome).toBe('resolved');
    const resolved = incidentOf(w, request)?.timeline.at(-1);
    expect(resolved?.to).toBe('resolved');
    const drift =
      /Stack shop-edge holds .*listener.*the stack has drifted .*next update would undo this fix\. Run aws cloudformation detect-stack-drift --stack-name shop-edge/;
    expect(resolved?.evidence.join('\n')).toMatch(drift);
    expect(w.notifier.sent.at(-1)?.evidence?.join('\n')).toMatch(drift);
  });

  it('says nothing of drift when no stack holds what it restored', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    expect((await run(request, w.remediateDeps())).outcome).toBe('resolved');
    expect(incidentOf(w, request)?.timeline.at(-1)?.evidence.join('\n')).not.toMatch(/drifted/);
  });

  it('defers when a lookup fails for a reason a retry may cure: never "no owner"', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.owners.answer = { kind: 'failed', error: 'AWS DescribeStacks failed: Rate exceeded', permanent: false };
    const out = await run(request, w.remediateDeps());
    expect(out.outcome).toBe('deferred');
    expect(w.lb.writes).toEqual([]);
    expect(w.notifier.sent.at(-1)?.evidence?.join('\n')).toMatch(
      /Could not tell whether a deployment owns this routing \(AWS DescribeStacks failed: Rate exceeded\)/,
    );
  });

  it('escalates when a lookup is refused (access denied): deferring would wait forever', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    w.owners.answer = {
      kind: 'failed',
      error: 'AWS ListApplications failed: AccessDeniedException',
      permanent: true,
    };
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({
      outcome: 'failed',
      error: 'could not check for a deployment in flight: AWS ListApplications failed: AccessDeniedException',
    });
    expect(w.lb.writes).toEqual([]);
    expect(incidentOf(w, request)?.state).toBe('escalated');
  });

  it("defers on a deployment service's recent change to what the plan writes, and not once it is older than deploymentQuietSeconds", async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    const at = w.clock.now();
    await w.store.putConfigChange('shop', {
      eventName: 'ModifyListener',
      principal: 'role cfn-deployer',
      invokedBy: 'cloudformation.amazonaws.com',
      at: new Date(at.getTime() - 120_000).toISOString(),
      resources: [LISTENER],
    });
    const out = await run(request, w.remediateDeps());
    expect(out).toMatchObject({ outcome: 'deferred' });
    expect(w.notifier.sent.at(-1)?.evidence?.join('\n')).toMatch(
      /ModifyListener by role cfn-deployer via cloudformation.amazonaws.com .* waits until 300 s pass/,
    );
    // Four minutes later the change is six minutes old: past the default 300 s.
    await tick(w, 240_000);
    const out2 = await run(w.invoker.requests.at(-1) as RemediateRequest, w.remediateDeps());
    expect(out2.outcome).toBe('resolved');
  });
});

describe('remediate with the AWS owner lookup (signed calls to a stand-in for CloudFormation and CodeDeploy)', () => {
  let aws: AwsStandIn;
  beforeAll(async () => {
    aws = await startAwsStandIn();
  });
  afterAll(() => aws.close());
  beforeEach(() => {
    aws.reset();
    aws.on('DescribeStackResources', notInAStack());
  });

  function deploymentGroupBalancing(name: string, deployments: string[]) {
    aws.on('ListApplications', codeDeployOk({ applications: ['shop'] }));
    aws.on('ListDeploymentGroups', codeDeployOk({ deploymentGroups: ['web'] }));
    aws.on(
      'GetDeploymentGroup',
      codeDeployOk({ deploymentGroupInfo: { loadBalancerInfo: { targetGroupInfoList: [{ name }] } } }),
    );
    aws.on('ListDeployments', codeDeployOk({ deployments }));
  }

  function wired(w: World) {
    return { ...w.remediateDeps(), owners: aws.owners() };
  }

  it('defers while a CodeDeploy deployment is in progress on a group that balances a written target group', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    deploymentGroupBalancing('web-b', ['d-ABCDEF123']);
    const out = await run(request, wired(w));
    expect(out).toMatchObject({ outcome: 'deferred', owners: ['deployment d-ABCDEF123'] });
    expect(w.lb.writes).toEqual([]);
    expect(w.notifier.sent.at(-1)?.evidence?.join('\n')).toMatch(
      /aws deploy stop-deployment --deployment-id d-ABCDEF123 --auto-rollback-enabled/,
    );
    expect(aws.callsOf('ListDeployments')[0]?.input).toMatchObject({
      applicationName: 'shop',
      deploymentGroupName: 'web',
      includeOnlyStatuses: expect.arrayContaining(['InProgress', 'Created']),
    });
  });

  it('acts when the deployment in progress is on a group that balances an unrelated target group', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    deploymentGroupBalancing('checkout', ['d-OTHER']);
    const out = await run(request, wired(w));
    expect(out.outcome).toBe('resolved');
    // An unrelated group's deployments are not even listed.
    expect(aws.callsOf('ListDeployments')).toHaveLength(0);
  });

  it('finds the stack of a listener by its physical id and defers while the stack updates', async () => {
    const w = world(outageLastGood());
    const request = await confirmedOutage(w);
    aws.on('DescribeStackResources', stackResources('shop-edge', [LISTENER]), (c) =>
      Object.is(c.input.PhysicalResourceId, LISTENER),
    );
    aws.on('DescribeStacks', stackStatus('shop-edge', 'UPDATE_ROLLBACK_IN_PROGRESS'));
    aws.on('ListApplications', codeDeployOk({ applications: [] }));
    const out = await run(request, wired(w));
    expect(out).toMatchObject({ outcome: 'deferred', owners: ['stack shop-edge'] });
    expect(w.lb.writes).toEqual([]);
    expect(aws.callsOf('DescribeStacks')[0]?.input).toEqual({
      Version: '2010-05-15',
      StackName: 'shop-edge',
    });
  });
});
