import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { Elbv2LoadBalancerReader } from '../../../lambdas/adapters/elbv2/reader.ts';
import { inspect } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { remediate } from '../../../lambdas/flows/remediate.ts';
import { InspectEventSchema } from '../../../lambdas/runtime/events.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import type { LbSnapshot, Listener } from '../../../lib/types.ts';
import {
  forward,
  LB_ARN,
  listener,
  outageCurrent,
  outageLastGood,
  path,
  rule,
  snapshot,
  targetGroup,
} from '../fixtures/topologies.ts';
import { scheduled, world } from './world.ts';

type World = ReturnType<typeof world>;

const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);

/** :8443 with a rule holding an action type newer than lbguard, forwarding `weights` to web-a/web-b. */
function lockedListener(weights: readonly [number, number]): Listener {
  const r = rule(8443, 5, [path('/eu/*')], [forward([webA, 1])]);
  return listener(
    8443,
    [forward([webA, weights[0]], [webB, weights[1]])],
    [{ ...r, unrepresented: [{ element: 'action type geo-block', raw: '{"Order":1,"Type":"geo-block"}' }] }],
  );
}

function withLocked(s: LbSnapshot, weights: readonly [number, number]): LbSnapshot {
  return { ...s, listeners: [...s.listeners, lockedListener(weights)] };
}

async function tick(w: World, advanceMs = 60_000) {
  w.clock.advance(advanceMs);
  await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
  return inspect(InspectEventSchema.parse(scheduled), w.inspectDeps);
}

const readOnlyMessages = (w: World) => w.notifier.sent.filter((n) => n.state === 'listeners-read-only');

describe('a listener with an element lbguard cannot represent', () => {
  it('is watched read-only: one notification, an incident and a plan for the other listener, no write to it', async () => {
    const lastGood = withLocked(outageLastGood(), [50, 50]);
    const w = world(lastGood);
    await tick(w, 0);
    await tick(w, 121_000);
    expect(readOnlyMessages(w)).toEqual([
      expect.objectContaining({
        severity: 'warning',
        lines: [expect.stringContaining('listener :8443 is guarded read-only')],
        evidence: ['listener :8443 rule 5 (path /eu/*): action type geo-block'],
      }),
    ]);

    // A deployment breaks both listeners; only :80 may be put back.
    w.lb.snapshot = withLocked(outageCurrent(), [100, 0]);
    const fixed = () => hashSnapshot({ ...w.lb.snapshot, listeners: w.lb.snapshot.listeners.slice(0, 1) });
    w.prober.answer = () =>
      fixed() === hashSnapshot(outageLastGood()) ? { ok: true, status: 200 } : { ok: false, status: 503 };
    await tick(w);
    const out = await tick(w);
    if (out.kind !== 'inspected') return expect.fail(`expected an inspection, got ${out.kind}`);
    expect(out.services[0]?.diagnosis.drift.map((d) => d.summary)).toContainEqual(
      expect.stringMatching(/^listener :8443 default action weights/),
    );
    const request = w.invoker.requests[0];
    if (request === undefined) return expect.fail('inspect did not request remediation');

    const result = await remediate(request, w.remediateDeps());
    expect(result).toMatchObject({ outcome: 'resolved' });
    const locked = lockedListener([100, 0]);
    const lockedRules = new Set(locked.rules.map((r) => r.arn));
    expect(w.lb.writes.length).toBeGreaterThan(0);
    for (const step of w.lb.writes) {
      expect(step).not.toMatchObject({ listenerArn: locked.arn });
      if (step.op === 'ModifyRule') expect(lockedRules.has(step.ruleArn)).toBe(false);
    }
    expect(w.lb.snapshot.listeners.find((l) => l.port === 8443)?.defaultActions).toEqual(
      locked.defaultActions,
    );
    // The read-only set never changed, so it was never announced again.
    expect(readOnlyMessages(w)).toHaveLength(1);
  });

  it('announces it again only when the read-only set changes, and when the listener is writable again', async () => {
    const w = world(withLocked(outageLastGood(), [50, 50]));
    await tick(w, 0);
    await tick(w);
    w.lb.snapshot = outageLastGood();
    await tick(w);
    await tick(w);
    expect(readOnlyMessages(w).map((n) => n.lines)).toEqual([
      [expect.stringContaining('listener :8443 is guarded read-only')],
      ['listener :8443 is writable again: lbguard may restore it.'],
    ]);
  });
});

describe('inspect over the SDK with an action type newer than lbguard', () => {
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  afterEach(() => elbv2.reset());

  it('succeeds, and only that listener is read-only', async () => {
    const listenerArn = (port: number) => listener(port, []).arn;
    elbv2.on(DescribeListenersCommand).resolves({
      Listeners: [80, 8443].map((port) => ({
        ListenerArn: listenerArn(port),
        Port: port,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: webA.arn }],
      })),
    });
    elbv2.on(DescribeRulesCommand, { ListenerArn: listenerArn(80) }).resolves({
      Rules: [
        {
          RuleArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/1/2/3',
          Priority: 'default',
          IsDefault: true,
          Actions: [{ Type: 'forward', TargetGroupArn: webA.arn }],
        },
      ],
    });
    elbv2.on(DescribeRulesCommand, { ListenerArn: listenerArn(8443) }).resolves({
      Rules: [
        {
          RuleArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/1/2/4',
          Priority: '5',
          Conditions: [{ Field: 'client-country', Values: ['DE'] }],
          Actions: [
            { Type: 'geo-block' as 'forward', Order: 1 },
            { Type: 'forward', Order: 2, TargetGroupArn: webA.arn },
          ],
        },
      ],
    });
    elbv2.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        {
          TargetGroupArn: webA.arn,
          TargetGroupName: 'web-a',
          TargetType: 'instance',
          LoadBalancerArns: [LB_ARN],
        },
      ],
    });
    elbv2.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [{ Target: { Id: 'i-0a', Port: 80 }, TargetHealth: { State: 'healthy' } }],
    });
    elbv2.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [] });

    const w = world(snapshot([], []));
    const reader = new Elbv2LoadBalancerReader(new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }));
    const out = await inspect(InspectEventSchema.parse(scheduled), { ...w.inspectDeps, reader });
    expect(out.kind).toBe('inspected');
    expect(readOnlyMessages(w)).toHaveLength(1);
    expect(readOnlyMessages(w)[0]?.evidence).toEqual([
      'listener :8443 rule 5: condition field client-country',
      'listener :8443 rule 5: action type geo-block',
    ]);
  });
});
