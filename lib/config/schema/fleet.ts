/**
 * The `fleet` section: where the fan-out commands look for load balancers tagged `lbguard:guard`
 * (accounts, regions, the role they assume there) and the named profiles a tag picks. Kept in its
 * own file: the tags themselves are read by lib/fleet, and only the CLI reads this section today.
 */
import * as z from 'zod/mini';
import '../zod-english.ts';
import { hasIssuesAt, intIn, isRecord, maxItems, strict, whenObject } from './helpers.ts';
import { headerNameSchema, nameSchema, REGION } from './leaves.ts';
import { notificationsSchema } from './notifications.ts';
import { probeSchema } from './probes.ts';
import { remediationSchema } from './remediation.ts';
import { thresholdsSchema } from './thresholds.ts';

const ACCOUNT_ID = /^\d{12}$/;
/** IAM role names (no path): what `arn:aws:iam::ACCOUNT:role/NAME` may end with. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * A named set of service settings that a load balancer's `lbguard:profile` tag picks: everything
 * a `services[]` entry holds except what only the load balancer knows (name, ARN, listeners).
 * `probes` may be left out when every load balancer using the profile carries `lbguard:probe-url`.
 */
export const profileSchema = strict({
  probes: z.optional(
    z
      .array(probeSchema)
      .check(
        z.minLength(1, 'must have a probe, or be left out for lbguard:probe-url tags'),
        maxItems(
          'probesPerService',
          'probes',
          'keep the probes that tell a healthy routing from a broken one',
        ),
      ),
  ),
  servedByHeader: z.optional(headerNameSchema),
  instanceCounters: z._default(z.boolean(), false),
  thresholds: z.prefault(thresholdsSchema, {}),
  remediation: z.prefault(remediationSchema, {}),
  notifications: z.prefault(notificationsSchema, {}),
}).check(
  z.superRefine((profile, ctx) => {
    // As in services[]: a served-by sample counts a header, so the profile must name it.
    if (hasIssuesAt(ctx, 'servedByHeader') || profile.servedByHeader !== undefined) return;
    if (!Array.isArray(profile.probes)) return;
    profile.probes.forEach((probe: unknown, index) => {
      if (isRecord(probe) && probe.servedBySample !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['probes', index, 'servedBySample'],
          message: 'needs servedByHeader in the profile, e.g. X-Served-By; add it or remove servedBySample',
        });
      }
    });
  }, whenObject),
);
export type ProfileConfig = z.output<typeof profileSchema>;

const regionSchema = z.string().check(z.regex(REGION, 'must be an AWS region like eu-west-1'));

export const fleetSchema = strict({
  roleName: z
    .string()
    .check(z.regex(ROLE_NAME, 'must be an IAM role name without path, like lbguard-fleet-reader')),
  accounts: z.optional(
    z
      .array(z.string().check(z.regex(ACCOUNT_ID, 'must be a 12-digit account id in quotes')))
      .check(z.minLength(1, 'must not be empty')),
  ),
  organization: z.optional(z.boolean()),
  regions: z.array(regionSchema).check(z.minLength(1, 'must list a region, like [eu-west-1]')),
  concurrency: z._default(intIn(1, 32), 4),
  profiles: z._default(z.record(nameSchema, profileSchema), () => ({})),
}).check(
  z.superRefine((fleet, ctx) => {
    if (hasIssuesAt(ctx, 'accounts', 'organization')) return;
    const listed = fleet.accounts !== undefined;
    const organization = fleet.organization === true;
    if (listed === organization) {
      ctx.addIssue({
        code: 'custom',
        path: listed ? ['organization'] : ['accounts'],
        message: listed
          ? 'must be left out when accounts are listed (one or the other)'
          : 'must list account ids, or set organization: true for every active account',
      });
    }
  }, whenObject),
);
export type FleetConfig = z.output<typeof fleetSchema>;
