import { afterEach, describe, expect, it } from 'vitest';
import { inspect, type ServiceInspection } from '../../lambdas/flows/inspect.ts';
import type { CloudTrailElbv2Event } from '../../lambdas/runtime/events.ts';
import { InspectEventSchema } from '../../lambdas/runtime/events.ts';
import type { ShopSpec } from '../support/elbv2-fixtures.ts';
import { motoEc2 } from '../support/elbv2-fixtures.ts';
import { createMotoWorld, type MotoWorld } from '../support/moto-lambdas.ts';

// Issue 8's two integration claims against moto: a change is attributed to the principal that
// made it, from the CloudTrail event that woke inspect; and traffic concentrated on one target by
// health (not by configuration) is diagnosed as the single survivor and left alone.

const DEPLOYER = 'arn:aws:sts::123456789012:assumed-role/deploy-pipeline/session-1';
const ATTRIBUTION =
  /ModifyListener by role deploy-pipeline from 10\.0\.0\.5 at \S+ changed .*50\/50 → 100\/0/;

let w: MotoWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The EventBridge "AWS API Call via CloudTrail" event a pipeline's ModifyListener produces. */
function modifyListenerEvent(world: MotoWorld): CloudTrailElbv2Event {
  const at = world.clock.now().toISOString();
  return InspectEventSchema.parse({
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.elasticloadbalancing',
    account: '123456789012',
    time: at.replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [],
    detail: {
      eventVersion: '1.09',
      eventSource: 'elasticloadbalancing.amazonaws.com',
      eventName: 'ModifyListener',
      eventTime: at.replace(/\.\d{3}Z$/, 'Z'),
      awsRegion: 'us-east-1',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEID:session-1',
        arn: DEPLOYER,
        accountId: '123456789012',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLEID',
            arn: 'arn:aws:iam::123456789012:role/deploy-pipeline',
            accountId: '123456789012',
            userName: 'deploy-pipeline',
          },
        },
      },
      sourceIPAddress: '10.0.0.5',
      userAgent: 'aws-cli/2.15.0',
      requestParameters: {
        listenerArn: world.shop.listenerArn,
        defaultActions: [{ type: 'forward' }],
      },
      responseElements: null,
    },
  }) as CloudTrailElbv2Event;
}

/** ELBv2 calls lbguard made, counted by operation (the world's client middleware records them). */
function callsByOperation(world: MotoWorld): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of world.elbv2Calls) counts[call] = (counts[call] ?? 0) + 1;
  return counts;
}

describe('change attribution against moto', () => {
  const shop: ShopSpec = {
    name: 'shop',
    groups: [
      { name: 'web-a', instances: 2 },
      { name: 'web-b', instances: 2 },
    ],
    weights: { 'web-a': 50, 'web-b': 50 },
  };

  it('names the call, the role, the source and the weights before → after in evidence, notification and timeline', async () => {
    w = await createMotoWorld(shop, () => ({ remediation: { mode: 'dry-run' } }));
    await w.promote();
    await w.modifyListener({ forward: { 'web-a': 100, 'web-b': 0 } });

    w.clock.advance(5_000);
    const woken = await inspect(modifyListenerEvent(w), w.inspectDeps());
    if (woken.kind !== 'inspected') throw new Error(`expected an inspection, got ${woken.kind}`);
    const first = woken.services[0];
    expect(first?.diagnosis.lbFault).toBe(true);
    expect(first?.diagnosis.evidence.join('\n')).toMatch(ATTRIBUTION);
    expect(first?.diagnosis.evidence.join('\n')).not.toMatch(/no CloudTrail event seen/);

    const stored = await w.runtime.store.recentConfigChanges('shop', new Date(0).toISOString());
    expect(stored.at(-1)).toMatchObject({ eventName: 'ModifyListener', principalArn: DEPLOYER });

    // Scheduled inspections keep the attribution: the change is read back from the state table.
    let incidentState = first?.incidentState;
    for (let i = 0; i < 4 && incidentState !== 'confirmed'; i++) {
      const tick = await w.tick(10_000);
      incidentState = tick.kind === 'inspected' ? tick.services[0]?.incidentState : undefined;
    }
    expect(incidentState).toBe('confirmed');

    const incident = await w.runtime.store.getOpenIncident('shop');
    const confirmed = incident?.timeline.find((e) => e.to === 'confirmed');
    expect(confirmed?.evidence.join('\n')).toMatch(ATTRIBUTION);

    const sent = await w.notifications(1);
    const message = sent.map((d) => d.Message).join('\n');
    expect(message).toMatch(ATTRIBUTION);
    expect(message).toContain('deploy-pipeline');
  });
});

describe('the single survivor against moto', () => {
  const shop: ShopSpec = {
    name: 'shop',
    groups: [{ name: 'web', instances: 4 }],
    defaultAction: { forwardTo: 'web' },
  };

  it('is diagnosed as such when three of four instances stop, is not remediable, and makes no ELBv2 write', async () => {
    w = await createMotoWorld(shop, () => ({}));
    await w.promote();
    const routing = await w.liveHash();
    const stopped = (w.shop.instanceIds.web ?? []).slice(1);
    expect(stopped).toHaveLength(3);
    await motoEc2().stopInstances(stopped);
    w.elbv2Calls.length = 0;

    const seen: (ServiceInspection | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const tick = await w.tick(10_000);
      if (tick.kind !== 'inspected') throw new Error(`expected an inspection, got ${tick.kind}`);
      seen.push(tick.services[0]);
    }
    const last = seen.at(-1);
    expect(seen.map((s) => s?.diagnosis.cause)).toEqual(Array(4).fill('single-survivor'));
    expect(last?.diagnosis).toMatchObject({ cause: 'single-survivor', remediable: false });
    expect(last?.planHash).toBeUndefined();
    const evidence = last?.diagnosis.evidence.join('\n') ?? '';
    expect(evidence).toMatch(/concentrated by health, not by configuration/);
    expect(evidence).toMatch(/Target\.InvalidState/);
    expect(evidence).toMatch(/web health check: protocol HTTP, path \/health, .*unhealthy threshold 2/);
    expect(evidence).toMatch(/routing matches last known good/);
    expect(last?.incidentState).toBe('escalated');

    expect(w.invoker.requests).toHaveLength(0);
    const calls = callsByOperation(w);
    expect(Object.keys(calls).length).toBeGreaterThan(0);
    expect(Object.keys(calls).filter((op) => !op.startsWith('Describe'))).toEqual([]);
    expect(w.elbv2Writes()).toEqual([]);
    expect(await w.liveHash()).toBe(routing);
  });
});
