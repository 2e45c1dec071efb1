import { describe, expect, it } from 'vitest';
import { type Incident, type TransitionContext, transition } from '../../lib/incident.ts';
import {
  changesInFlight,
  deferralLines,
  deploymentServiceOf,
  stackDriftLines,
  stackInFlight,
  targetGroupName,
  writtenResources,
} from '../../lib/owners.ts';
import { admitRemediation } from '../../lib/remediation-admission.ts';
import type { ConfigChange } from '../../lib/types.ts';
import { forward, listenerArn, ruleArn, tgArn } from './fixtures/topologies.ts';

const LISTENER = listenerArn(443);
const RULE = ruleArn(443, 10);

describe('writtenResources', () => {
  it('names what each step writes, and the target groups its actions forward to', () => {
    const written = writtenResources([
      { op: 'RegisterTargets', targetGroupArn: tgArn('web-a'), targets: [{ id: 'i-1', port: 80 }] },
      { op: 'ModifyListener', listenerArn: LISTENER, defaultActions: [forward([tgArn('web-b'), 1])] },
      { op: 'ModifyRule', ruleArn: RULE, conditions: [], actions: [forward([tgArn('api'), 1])] },
      { op: 'SetRulePriorities', priorities: [{ ruleArn: ruleArn(443, 20), priority: 5 }] },
    ]);
    expect(written).toEqual({
      listeners: [LISTENER],
      rules: [RULE, ruleArn(443, 20)],
      targetGroups: [tgArn('web-a')],
      forwardedTo: [tgArn('web-b'), tgArn('api')],
    });
  });
});

describe('deploymentServiceOf', () => {
  const change = (patch: Partial<ConfigChange>): ConfigChange => ({
    eventName: 'ModifyListener',
    principal: 'role deployer',
    at: '2026-12-04T10:00:00.000Z',
    resources: [LISTENER],
    ...patch,
  });

  it.each([
    ['invokedBy', { invokedBy: 'cloudformation.amazonaws.com' }, 'cloudformation.amazonaws.com'],
    ['the user agent', { userAgent: 'codedeploy.amazonaws.com' }, 'codedeploy.amazonaws.com'],
    ['the source', { sourceIp: 'cloudformation.amazonaws.com' }, 'cloudformation.amazonaws.com'],
    [
      'a service-linked role',
      {
        sessionIssuerArn:
          'arn:aws:iam::123456789012:role/aws-service-role/codedeploy.amazonaws.com/AWSServiceRoleForCodeDeploy',
      },
      'codedeploy.amazonaws.com',
    ],
  ])('recognises a deployment service by %s', (_what, patch, service) => {
    expect(deploymentServiceOf(change(patch))).toBe(service);
  });

  it('does not take a person, a pipeline role or another service for a deployment service', () => {
    expect(
      deploymentServiceOf(change({ sourceIp: '203.0.113.7', userAgent: 'aws-cli/2.17' })),
    ).toBeUndefined();
    expect(deploymentServiceOf(change({ invokedBy: 'autoscaling.amazonaws.com' }))).toBeUndefined();
    expect(
      deploymentServiceOf(change({ sessionIssuerArn: 'arn:aws:iam::123456789012:role/deploy-pipeline' })),
    ).toBeUndefined();
  });
});

describe('changesInFlight', () => {
  const written = { listeners: [LISTENER], rules: [], targetGroups: [], forwardedTo: [tgArn('web-a')] };
  const at = new Date('2026-12-04T10:10:00.000Z');
  const byCfn = (minutesAgo: number, resources: string[]): ConfigChange => ({
    eventName: 'ModifyListener',
    principal: 'role cfn',
    invokedBy: 'cloudformation.amazonaws.com',
    at: new Date(at.getTime() - minutesAgo * 60_000).toISOString(),
    resources,
  });

  it('counts a deployment service change to what the plan touches within the quiet window', () => {
    expect(changesInFlight([byCfn(4, [LISTENER])], written, at, 300)).toHaveLength(1);
    expect(changesInFlight([byCfn(4, [tgArn('web-a')])], written, at, 300)).toHaveLength(1);
  });

  it('ignores an older change, a change to something else, and a person', () => {
    expect(changesInFlight([byCfn(6, [LISTENER])], written, at, 300)).toEqual([]);
    expect(changesInFlight([byCfn(1, [tgArn('other')])], written, at, 300)).toEqual([]);
    const person = { ...byCfn(1, [LISTENER]), invokedBy: undefined } as unknown as ConfigChange;
    expect(changesInFlight([person], written, at, 300)).toEqual([]);
  });
});

describe('stackInFlight and targetGroupName', () => {
  it.each([
    ['UPDATE_IN_PROGRESS', true],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', true],
    ['UPDATE_ROLLBACK_IN_PROGRESS', true],
    ['UPDATE_COMPLETE', false],
    ['CREATE_COMPLETE', false],
    ['UPDATE_ROLLBACK_FAILED', false],
  ])('%s is in flight: %s', (status, expected) => {
    expect(stackInFlight(status)).toBe(expected);
  });

  it('reads the name CodeDeploy knows a target group by from its ARN', () => {
    expect(targetGroupName(tgArn('web-a'))).toBe('web-a');
  });
});

describe('what people are told', () => {
  it('names the stack or deployment and the exact command to stop it', () => {
    const lines = deferralLines(
      [
        { kind: 'stack', stackName: 'edge', status: 'UPDATE_IN_PROGRESS', resources: [LISTENER] },
        {
          kind: 'codedeploy',
          deploymentId: 'd-1A2B3C',
          application: 'shop',
          deploymentGroup: 'web',
          status: 'in progress',
          targetGroups: [tgArn('web-a')],
        },
      ],
      300,
    ).join('\n');
    expect(lines).toMatch(/CloudFormation stack edge is UPDATE_IN_PROGRESS and holds .*Let it finish/);
    expect(lines).toMatch(/aws cloudformation cancel-update-stack --stack-name edge/);
    expect(lines).toMatch(/deployment d-1A2B3C \(application shop, group web\) .* balances web-a/);
    expect(lines).toMatch(/aws deploy stop-deployment --deployment-id d-1A2B3C --auto-rollback-enabled/);
  });

  it('tells how to reconcile a stack lbguard restored underneath', () => {
    expect(
      stackDriftLines([{ stackName: 'edge', status: 'UPDATE_COMPLETE', resources: [LISTENER] }]),
    ).toEqual([
      expect.stringMatching(
        /Stack edge .* has drifted .* next update would undo this fix\. Run aws cloudformation detect-stack-drift --stack-name edge, then make the template match/,
      ),
    ]);
  });
});

describe('the incident on a deferral', () => {
  const ctx: TransitionContext = {
    policy: {
      mode: 'auto',
      cooldownSeconds: 600,
      maxPerHour: 3,
      maxSteps: 10,
      allowCreateRule: false,
      verifyDeadlineSeconds: 180,
    },
    thresholds: { consecutiveBreaches: 2 } as TransitionContext['thresholds'],
  };
  const confirmed: Incident = {
    id: 'shop#2026-12-04T10:00:00.000Z',
    service: 'shop',
    state: 'confirmed',
    openedAt: '2026-12-04T10:00:00.000Z',
    updatedAt: '2026-12-04T10:01:00.000Z',
    breaches: 2,
    planHash: 'p1',
    remediations: ['2026-12-04T09:00:00.000Z', '2026-12-04T10:01:00.000Z'],
    timeline: [
      { at: '2026-12-04T10:00:00.000Z', from: 'ok', to: 'suspected', what: 'Breach 1', evidence: [] },
      { at: '2026-12-04T10:01:00.000Z', from: 'suspected', to: 'confirmed', what: 'Confirmed', evidence: [] },
    ],
  };
  const deferred = (owners: string[], at = '2026-12-04T10:01:05.000Z') => ({
    type: 'remediation-deferred' as const,
    at,
    owners,
    lines: ['stack edge is UPDATE_IN_PROGRESS'],
  });

  it('hands back the attempt it was admitted for, keeps older ones, and stays confirmed', () => {
    const { incident, effects } = transition(confirmed, deferred(['stack edge']), ctx);
    expect(incident.state).toBe('confirmed');
    expect(incident.remediations).toEqual(['2026-12-04T09:00:00.000Z']);
    expect(incident.deferral).toEqual({
      owners: ['stack edge'],
      since: '2026-12-04T10:01:05.000Z',
      lastCheckedAt: '2026-12-04T10:01:05.000Z',
    });
    expect(effects).toEqual([
      expect.objectContaining({
        type: 'notify',
        severity: 'warning',
        lines: ['stack edge is UPDATE_IN_PROGRESS'],
      }),
    ]);
    // A replay of the same request is refused: the attempt it carried no longer exists.
    expect(admitRemediation(incident, ctx).admitted).toBe(false);
  });

  it('lets the next observation hand off again, the cooldown untouched by the deferral', () => {
    const after = transition(confirmed, deferred(['stack edge']), ctx).incident;
    const observed = transition(
      after,
      {
        type: 'observed',
        at: '2026-12-04T10:02:00.000Z',
        diagnosis: {
          cause: 'routing-skew',
          lbFault: true,
          remediable: true,
          severity: 'critical',
          summary: 'skew',
          evidence: [],
          drift: [],
        } as never,
        planHash: 'p1',
      },
      ctx,
    );
    expect(observed.effects).toContainEqual({
      type: 'invoke-remediation',
      incidentId: confirmed.id,
      planHash: 'p1',
    });
  });

  it('tells people once per set of owners, not at every look', () => {
    const first = transition(confirmed, deferred(['stack edge']), ctx).incident;
    const again = transition(first, deferred(['stack edge'], '2026-12-04T10:02:05.000Z'), ctx);
    expect(again.effects).toEqual([]);
    expect(again.incident.timeline).toHaveLength(first.timeline.length);
    expect(again.incident.deferral?.since).toBe('2026-12-04T10:01:05.000Z');
    const other = transition(first, deferred(['deployment d-1'], '2026-12-04T10:03:05.000Z'), ctx);
    expect(other.effects).toHaveLength(1);
  });

  it('takes a mitigating incident back to confirmed, and is ignored once verifying or closed', () => {
    const mitigating = { ...confirmed, state: 'mitigating' as const };
    expect(transition(mitigating, deferred(['stack edge']), ctx).incident.state).toBe('confirmed');
    for (const state of ['verifying', 'resolved', 'escalated'] as const) {
      const incident = { ...confirmed, state };
      expect(transition(incident, deferred(['stack edge']), ctx).incident).toBe(incident);
    }
  });
});
