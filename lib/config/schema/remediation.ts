/** The `remediation` section: whether and how far lbguard may change the load balancer. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { hasIssuesAt, intIn, strict, whenObject } from './helpers.ts';

/** Plan step kinds, as `approval.trustedSteps` names them (lib/types.ts `PlanStep['op']`). */
const STEP_KINDS = [
  'RegisterTargets',
  'ModifyRule',
  'SetRulePriorities',
  'ModifyListener',
  'CreateRule',
] as const;

/** Pairs that must be in order: a reminder, then an escalation, both by the expiry. */
const TIMES = [
  ['remindAfterMinutes', 'expiresAfterMinutes'],
  ['remindAfterMinutes', 'escalateAfterMinutes'],
  ['escalateAfterMinutes', 'expiresAfterMinutes'],
] as const;

/**
 * Approve mode's clock and trust. Reminder before escalation, both before expiry: a reminder sent
 * after the approval lapsed asks for something that can no longer be given.
 */
const approvalSchema = strict({
  expiresAfterMinutes: z._default(intIn(5, 1440), DEFAULTS.remediation.approval.expiresAfterMinutes),
  remindAfterMinutes: z._default(intIn(1, 1440), DEFAULTS.remediation.approval.remindAfterMinutes),
  escalateAfterMinutes: z._default(intIn(1, 1440), DEFAULTS.remediation.approval.escalateAfterMinutes),
  trustedSteps: z._default(z.array(z.enum(STEP_KINDS)), () => [
    ...DEFAULTS.remediation.approval.trustedSteps,
  ]),
}).check(
  z.superRefine((a, ctx) => {
    if (hasIssuesAt(ctx, ...TIMES.flat())) return;
    // The first pair out of order is the one to fix: the others may follow from it.
    // A reminder must come strictly before what follows it; an escalation may come at expiry.
    const strictly = (f: string) => f === 'remindAfterMinutes';
    const broken = TIMES.find(([f, g]) => (strictly(f) ? a[f] >= a[g] : a[f] > a[g]));
    if (broken === undefined) return;
    const [f, g] = broken;
    const rel = strictly(f) ? 'less than' : 'at most';
    ctx.issues.push({
      code: 'custom',
      path: [f],
      message: `must be ${rel} ${g} (${a[g]}): remind, then escalate, before the approval expires; lower it or raise ${g}`,
      input: undefined,
    });
  }, whenObject),
);

export const remediationSchema = strict({
  mode: z._default(
    z.enum(['off', 'dry-run', 'approve', 'auto'], { error: 'must be off, dry-run, approve or auto' }),
    DEFAULTS.remediation.mode,
  ),
  cooldownSeconds: z._default(intIn(60, 86_400), DEFAULTS.remediation.cooldownSeconds),
  maxPerHour: z._default(intIn(1, 20), DEFAULTS.remediation.maxPerHour),
  maxSteps: z._default(intIn(1, 50), DEFAULTS.remediation.maxSteps),
  allowCreateRule: z._default(z.boolean(), DEFAULTS.remediation.allowCreateRule),
  verifyDeadlineSeconds: z._default(intIn(30, 3600), DEFAULTS.remediation.verifyDeadlineSeconds),
  codeDeployApplications: z.optional(
    z.array(z.string().check(z.minLength(1), z.maxLength(100))).check(z.minLength(1), z.maxLength(20)),
  ),
  deploymentQuietSeconds: z._default(intIn(0, 3600), DEFAULTS.remediation.deploymentQuietSeconds),
  approval: z.prefault(approvalSchema, {}),
});
export type RemediationConfig = z.output<typeof remediationSchema>;
