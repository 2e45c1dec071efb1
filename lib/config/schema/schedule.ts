/** The `schedule` section: how often probes run, inspections happen and metrics are fetched. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { hasIssuesAt, intIn, strict, whenObject } from './helpers.ts';

export const scheduleSchema = strict({
  probeIntervalSeconds: z._default(intIn(5, 60), DEFAULTS.schedule.probeIntervalSeconds),
  probeLoopSeconds: z._default(
    intIn(5, 59, ' (the probe lambda is started every minute and must finish before the next)'),
    DEFAULTS.schedule.probeLoopSeconds,
  ),
  inspectRateMinutes: z._default(intIn(1, 60), DEFAULTS.schedule.inspectRateMinutes),
  metricsPeriodSeconds: z._default(
    intIn(60, 3600).check(
      z.multipleOf(60, 'must be a multiple of 60 (CloudWatch periods are whole minutes), like 300'),
    ),
    DEFAULTS.schedule.metricsPeriodSeconds,
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
