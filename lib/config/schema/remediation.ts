/** The `remediation` section: whether and how far lbguard may change the load balancer. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { described, intIn, strict } from './helpers.ts';

export const remediationSchema = strict({
  mode: described(
    z._default(
      z.enum(['off', 'dry-run', 'auto'], { error: 'must be off, dry-run or auto' }),
      DEFAULTS.remediation.mode,
    ),
    'off: diagnose only; dry-run: plan and notify; auto: apply plans under guardrails.',
  ),
  cooldownSeconds: described(
    z._default(intIn(60, 86_400), DEFAULTS.remediation.cooldownSeconds),
    'Seconds after a remediation before another may start.',
  ),
  maxPerHour: described(
    z._default(intIn(1, 20), DEFAULTS.remediation.maxPerHour),
    'Remediations per hour before the circuit opens and lbguard escalates.',
  ),
  maxSteps: described(
    z._default(intIn(1, 50), DEFAULTS.remediation.maxSteps),
    'Largest plan (in API calls) lbguard may apply.',
  ),
  allowCreateRule: described(
    z._default(z.boolean(), DEFAULTS.remediation.allowCreateRule),
    'Let a plan recreate a deleted listener rule.',
  ),
  verifyDeadlineSeconds: described(
    z._default(intIn(30, 3600), DEFAULTS.remediation.verifyDeadlineSeconds),
    'Seconds after apply by which config must converge and probes be green.',
  ),
  codeDeployApplications: described(
    z.optional(
      z
        .array(z.string().check(z.regex(/^[\w.+@-]{1,100}$/, 'must be a CodeDeploy application name')))
        .check(z.minLength(1), z.maxLength(20, 'must name at most 20 applications')),
    ),
    'CodeDeploy applications that deploy behind this load balancer. Before writing, remediate reads their deployment groups for a deployment in flight; left out, it reads every application of the account (one page of ListApplications, at most 50 groups).',
  ),
  deploymentQuietSeconds: described(
    z._default(intIn(0, 3600), DEFAULTS.remediation.deploymentQuietSeconds),
    'Seconds after a CloudFormation or CodeDeploy change to this routing (as CloudTrail reports it) during which lbguard treats a deployment as in flight and does not write; 0 relies on the stack and deployment lookups alone.',
  ),
});
export type RemediationConfig = z.output<typeof remediationSchema>;
