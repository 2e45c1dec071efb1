/**
 * The `discovery` section: the spoke (one deployment per account and region) guards, besides its
 * `services[]`, every load balancer of its account and region tagged `lbguard:guard`, with the
 * settings of the profile the tag names (docs/fleet.md). Read by the functions, so it is bundled;
 * the fan-out commands and the hub read the same profiles.
 */
import * as z from 'zod/mini';
import '../zod-english.ts';
import { hasIssuesAt, intIn, isRecord, maxItems, strict, whenObject } from './helpers.ts';
import { headerNameSchema, nameSchema } from './leaves.ts';
import { notificationsSchema } from './notifications.ts';
import { probeSchema } from './probes.ts';
import { remediationSchema } from './remediation.ts';
import { thresholdsSchema } from './thresholds.ts';

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

export const discoverySchema = strict({
  /** Minutes between full sweeps of the account and region's load balancers and tags. */
  sweepMinutes: z._default(intIn(5, 60), 15),
  profiles: z._default(z.record(nameSchema, profileSchema), () => ({})),
});
export type DiscoveryConfig = z.output<typeof discoverySchema>;
