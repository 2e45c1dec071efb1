/** The `schedule` section: how often probes run, inspections happen and metrics are fetched. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { described, hasIssuesAt, intIn, strict, whenObject } from './helpers.ts';

export const scheduleSchema = strict({
  probeIntervalSeconds: described(
    z._default(intIn(5, 60), DEFAULTS.schedule.probeIntervalSeconds),
    'Seconds between probe runs inside one probe invocation.',
  ),
  probeLoopSeconds: described(
    z._default(
      intIn(5, 59, ' (the probe lambda is started every minute and must finish before the next)'),
      DEFAULTS.schedule.probeLoopSeconds,
    ),
    'How long one probe invocation keeps probing.',
  ),
  inspectRateMinutes: described(
    z._default(intIn(1, 60), DEFAULTS.schedule.inspectRateMinutes),
    'Minutes between scheduled inspections (config changes also trigger one at once).',
  ),
  metricsPeriodSeconds: described(
    z._default(
      intIn(60, 3600).check(
        z.multipleOf(60, 'must be a multiple of 60 (CloudWatch periods are whole minutes), like 300'),
      ),
      DEFAULTS.schedule.metricsPeriodSeconds,
    ),
    'Seconds between ALB metric fetches (GetMetricData is billed per metric).',
  ),
}).check(
  z.superRefine((schedule, ctx) => {
    if (
      !hasIssuesAt(ctx, 'probeIntervalSeconds', 'probeLoopSeconds') &&
      schedule.probeLoopSeconds < schedule.probeIntervalSeconds
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['probeLoopSeconds'],
        message: `must be at least probeIntervalSeconds (${schedule.probeIntervalSeconds}) so each invocation probes at least once`,
      });
    }
  }, whenObject),
);
export type ScheduleConfig = z.output<typeof scheduleSchema>;
