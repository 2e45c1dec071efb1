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
  // Descriptions stay short: every function bundles the schema (docs/configuration.md says more).
  codeDeployApplications: described(
    z.optional(
      z.array(z.string().check(z.minLength(1), z.maxLength(100))).check(z.minLength(1), z.maxLength(20)),
    ),
    'CodeDeploy applications to check for a deployment in flight (default: all).',
  ),
  deploymentQuietSeconds: described(
    z._default(intIn(0, 3600), DEFAULTS.remediation.deploymentQuietSeconds),
    'Seconds a CloudFormation/CodeDeploy change counts as a deployment in flight.',
  ),
});
export type RemediationConfig = z.output<typeof remediationSchema>;
