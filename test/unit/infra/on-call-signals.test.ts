// Every signal the on-call needs must still page after the cost work folded alarms together
// (issue 18): for each signal, the alarm that carries it, walked to the topic through the same
// policy and key checks as alarm-delivery.test.ts, and, for the shared `Signal` alarm, the value
// that names it in the notification.
import { type CfnElement, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { LbGuard, type OnCallSignal, type OperationalSignal } from '../../../infra/index.ts';
import {
  deliveryProblems,
  isSnsTarget,
  type ServicePublish,
  servicePublishes,
  TemplateRenderer,
} from './policy-check.ts';
import { createdLbStack, everyOptionStack, SYNTH_TIMEOUT, stackEnv, twoServiceConfig } from './stacks.ts';
import { type Synthesized, synthesize, testConfig } from './support.ts';

const ON_CALL: readonly OnCallSignal[] = [
  'probe-failing',
  'elb-5xx',
  'unhealthy-hosts',
  'routing-skew',
  'config-drift',
  'remediation-failed',
  'incident-escalated',
];
const OPERATIONAL: readonly OperationalSignal[] = [
  'probe-not-running',
  'inspect-not-running',
  'function-failed',
  'state-write-failing',
  'dead-letter',
];

const VARIANTS = [
  ['the defaults', 'Shop', createdLbStack(testConfig({ allowCreateRule: true }))],
  ['every option', 'Everything', everyOptionStack(twoServiceConfig(['auto', 'dry-run']))],
] as const;

describe.each(VARIANTS)('on-call signals with %s', (_name, stackName, build) => {
  let synth: Synthesized;
  let guard: LbGuard;
  let render: TemplateRenderer;
  let publishes: ServicePublish[];

  beforeAll(() => {
    synth = synthesize(build);
    const found = synth.stack.node.findAll().find((c): c is LbGuard => c instanceof LbGuard);
    if (found === undefined) throw new Error('no LbGuard in the stack');
    guard = found;
    render = new TemplateRenderer(synth.json, stackEnv(stackName));
    publishes = servicePublishes(render);
  }, SYNTH_TIMEOUT);

  /** Why `alarm` would not reach the topic when it fires, or nothing when it would. */
  function pathToTopic(alarm: cloudwatch.Alarm): string[] {
    const id = Stack.of(alarm).getLogicalId(alarm.node.defaultChild as CfnElement);
    const actions = publishes.filter((p) => p.source.startsWith(`${id} AlarmActions[`));
    if (actions.length === 0) return [`${id} has no alarm action`];
    return actions.flatMap((p) =>
      isSnsTarget(render, p) ? deliveryProblems(render, p) : [`${p.source} is not a topic`],
    );
  }

  it.each(ON_CALL)('every service has an alarm for "%s" that reaches the topic', (signal) => {
    for (const [service, alarms] of Object.entries(guard.serviceAlarms)) {
      const found = alarms.signals[signal];
      expect(found, `${service}: ${signal}`).toBeDefined();
      if (found === undefined) continue;
      expect(pathToTopic(found.alarm)).toEqual([]);
      // A shared alarm tells its signals apart by the value its description names.
      if (found.value !== undefined) {
        const description = render.render(
          (found.alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmDescription,
        );
        expect(description).toContain(`${found.value} = ${signal.replace('-', ' ')}`);
      }
    }
  });

  it.each(OPERATIONAL)('the deployment has an alarm for "%s" that reaches the topic', (signal) => {
    const alarm = guard.operationalAlarms.signals[signal];
    expect(alarm).toBeDefined();
    if (alarm !== undefined) expect(pathToTopic(alarm)).toEqual([]);
  });

  it('gives distinct signals of one service distinct alarms or distinct values', () => {
    for (const alarms of Object.values(guard.serviceAlarms)) {
      const keys = ON_CALL.map((s) => {
        const found = alarms.signals[s];
        return found === undefined ? s : `${found.alarm.node.path}=${found.value ?? ''}`;
      });
      expect(new Set(keys).size).toBe(ON_CALL.length);
    }
  });
});
