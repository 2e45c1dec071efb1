/** One guarded service: its load balancer, listeners, probes and per-service policy. */
import * as z from 'zod/mini';
import '../zod-english.ts';
import { checkUniqueNames, hasIssuesAt, isRecord, maxItems, strict, whenObject } from './helpers.ts';
import {
  headerNameSchema,
  LISTENER_ARN,
  listenerArnSchema,
  loadBalancerArnSchema,
  nameSchema,
} from './leaves.ts';
import { notificationsSchema } from './notifications.ts';
import { probeSchema } from './probes.ts';
import { remediationSchema } from './remediation.ts';
import { thresholdsSchema } from './thresholds.ts';

export const serviceSchema = strict({
  name: nameSchema,
  loadBalancerArn: loadBalancerArnSchema,
  listenerArns: z.optional(
    z
      .array(listenerArnSchema)
      .check(z.minLength(1, 'must list at least one listener ARN, or be left out to guard every listener')),
  ),
  probes: z
    .array(probeSchema)
    .check(
      z.minLength(1, 'must have at least one probe, e.g. a GET of https://shop.example.com/health'),
      maxItems('probesPerService', 'probes', 'keep the probes that tell a healthy routing from a broken one'),
    ),
  servedByHeader: z.optional(headerNameSchema),
  instanceCounters: z._default(z.boolean(), false),
  thresholds: z.prefault(thresholdsSchema, {}),
  remediation: z.prefault(remediationSchema, {}),
  notifications: z.prefault(notificationsSchema, {}),
}).check(
  z.superRefine((service, ctx) => {
    if (!hasIssuesAt(ctx, 'loadBalancerArn') && Array.isArray(service.listenerArns)) {
      const prefix = `${service.loadBalancerArn.replace(':loadbalancer/', ':listener/')}/`;
      service.listenerArns.forEach((arn: unknown, index) => {
        if (typeof arn === 'string' && LISTENER_ARN.test(arn) && !arn.startsWith(prefix)) {
          ctx.addIssue({
            code: 'custom',
            path: ['listenerArns', index],
            message: `belongs to another load balancer; listeners of loadBalancerArn look like ${prefix}<listener id>`,
          });
        }
      });
    }
    if (
      !hasIssuesAt(ctx, 'servedByHeader') &&
      service.servedByHeader === undefined &&
      Array.isArray(service.probes)
    ) {
      service.probes.forEach((probe: unknown, index) => {
        if (isRecord(probe) && probe.servedBySample !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['probes', index, 'servedBySample'],
            message:
              "needs the service's servedByHeader (the response header naming the target, e.g. X-Served-By); add it or remove servedBySample",
          });
        }
      });
    }
    checkUniqueNames(service.probes, 'probes', ctx);
  }, whenObject),
);
export type ServiceConfig = z.output<typeof serviceSchema>;
