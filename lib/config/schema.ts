/**
 * The one schema of `lbguard.config.yaml`, shared by the CDK app, the lambdas and the CLI; its
 * sections live in schema/, one file each.
 *
 * Messages are written for the person fixing the file: each names what is expected and, where
 * it helps, an example. They never quote the value received, because header values, request
 * bodies and notification URLs routinely carry tokens. Cross-field checks run even when other
 * fields are broken (zod's `when`), so one run lists every problem.
 */
// zod/mini: the same zod v4 core as `zod`, without the method-chaining classes, which keep all of
// zod in every function bundle (~95 KiB against ~25 KiB). The schema is, check for check, what
// the chained spelling builds; test/unit/config.test.ts holds the JSON Schema to the file. The
// JSON Schema's descriptions and formats live in schema-docs.ts, out of the function bundles.
import * as z from 'zod/mini';
import { DEFAULTS } from './defaults.ts';
import { discoverySchema } from './schema/discovery.ts';
import { fleetSchema } from './schema/fleet.ts';
import { checkUniqueNames, hasIssuesAt, isRecord, maxItems, strict, whenObject } from './schema/helpers.ts';
import { ALB_ARN, REGION } from './schema/leaves.ts';
import { scheduleSchema } from './schema/schedule.ts';
import { serviceSchema } from './schema/service.ts';
import './zod-english.ts';

export { suggestKey } from '../suggest.ts';
export type { DiscoveryConfig, ProfileConfig } from './schema/discovery.ts';
export type { FleetConfig, HubConfig } from './schema/fleet.ts';
export type { NotificationsConfig } from './schema/notifications.ts';
export {
  type ExpectConfig,
  HTTP_METHODS,
  type ProbeConfig,
  type ProbeStepConfig,
  type ServedBySampleConfig,
} from './schema/probes.ts';
export type { RemediationConfig } from './schema/remediation.ts';
export type { ScheduleConfig } from './schema/schedule.ts';
export type { ServiceConfig } from './schema/service.ts';
export type { ThresholdsConfig } from './schema/thresholds.ts';

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** The schema of `lbguard.config.yaml` (and `.json`). Parse through `parseConfig` for readable issues. */
export const configSchema = strict({
  $schema: z.optional(z.string()),
  version: z._default(
    z.literal(DEFAULTS.version, { error: 'must be 1 (the only config version this lbguard understands)' }),
    DEFAULTS.version,
  ),
  region: z.optional(z.string().check(z.regex(REGION, 'must be an AWS region like eu-west-1'))),
  tableName: z.optional(
    z.string().check(z.regex(TABLE_NAME, 'must be 3–255 letters, digits, _ - or . (a DynamoDB table name)')),
  ),
  schedule: z.prefault(scheduleSchema, {}),
  // Empty (`services: []`) only with a discovery or fleet section, whose tagged load balancers are
  // then the services (checked below, where those sections are in sight).
  services: z
    .array(serviceSchema)
    .check(maxItems('services', 'services', 'guard the others from a second lbguard deployment')),
  // The spoke enrols load balancers tagged lbguard:guard in its account and region.
  discovery: z.optional(discoverySchema),
  fleet: z.optional(fleetSchema),
  // Deployment-level: the construct reads it, the functions never do (infra/services.ts
  // `runtimeConfigFor` leaves it out of their environment).
  approval: z.optional(strict({ endpoint: z._default(z.boolean(), DEFAULTS.approval.endpoint) })),
}).check(
  z.superRefine((config, ctx) => {
    if (
      Array.isArray(config.services) &&
      config.services.length === 0 &&
      config.fleet === undefined &&
      config.discovery === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['services'],
        message:
          'must list at least one service (or add a discovery section to guard tagged load balancers); see lbguard.config.example.yaml',
      });
    }
    checkUniqueNames(config.services, 'services', ctx);
    if (
      config.approval?.endpoint === true &&
      Array.isArray(config.services) &&
      !config.services.some(
        (s: unknown) => isRecord(s) && isRecord(s.remediation) && s.remediation.mode === 'approve',
      )
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['approval', 'endpoint'],
        message:
          'is true but no service has remediation.mode: approve, so nothing could be approved; set approve on a service or drop the endpoint',
      });
    }
    if (config.region === undefined || hasIssuesAt(ctx, 'region') || !Array.isArray(config.services)) return;
    config.services.forEach((service: unknown, index) => {
      const arn = isRecord(service) ? service.loadBalancerArn : undefined;
      if (typeof arn !== 'string' || !ALB_ARN.test(arn)) return;
      const arnRegion = arn.split(':')[3];
      if (arnRegion !== config.region) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', index, 'loadBalancerArn'],
          message: `is in ${arnRegion} but region is ${config.region}; deploy one lbguard per region, or fix region`,
        });
      }
    });
  }, whenObject),
);

export type LbGuardConfig = z.output<typeof configSchema>;
/** What a person may write: every field with a default is optional. */
export type LbGuardConfigInput = z.input<typeof configSchema>;
