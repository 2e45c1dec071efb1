/** The `remediation` section: whether and how far lbguard may change the load balancer. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { intIn, strict } from './helpers.ts';

export const remediationSchema = strict({
  mode: z._default(
    z.enum(['off', 'dry-run', 'auto'], { error: 'must be off, dry-run or auto' }),
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
});
export type RemediationConfig = z.output<typeof remediationSchema>;
