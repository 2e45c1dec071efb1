/** The `thresholds` section: when observations count as skew, failure, a breach, or soaked. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { intIn, strict, whenObject } from './helpers.ts';

/** A number greater than 0 and at most `max`, with one message for both bounds. */
function fractionUpTo(max: number, message: string) {
  return z.number().check(z.gt(0, message), z.maximum(max, message));
}

const skewSchema = strict({
  minSamples: z._default(intIn(10, 1_000_000), DEFAULTS.thresholds.skew.minSamples),
  falsePositiveRate: z._default(
    fractionUpTo(0.05, 'must be greater than 0 and at most 0.05, like 0.0001'),
    DEFAULTS.thresholds.skew.falsePositiveRate,
  ),
  minEffectSize: z._default(
    fractionUpTo(1, 'must be greater than 0 and at most 1 (a total variation distance), like 0.2'),
    DEFAULTS.thresholds.skew.minEffectSize,
  ),
});

const hysteresisSchema = strict({
  consecutiveFailures: z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.consecutiveFailures),
  failuresInWindow: z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.failuresInWindow),
  windowSize: z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.windowSize),
  consecutiveSuccesses: z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.consecutiveSuccesses),
  maxChangesPerHour: z._default(intIn(2, 60), DEFAULTS.thresholds.hysteresis.maxChangesPerHour),
}).check(
  z.superRefine((h, ctx) => {
    if (
      typeof h.failuresInWindow === 'number' &&
      typeof h.windowSize === 'number' &&
      h.failuresInWindow > h.windowSize
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['failuresInWindow'],
        message: 'must be at most windowSize (it counts failures among the last windowSize results)',
      });
    }
  }, whenObject),
);

export const thresholdsSchema = strict({
  skew: z.prefault(skewSchema, {}),
  hysteresis: z.prefault(hysteresisSchema, {}),
  errorRate: z._default(
    fractionUpTo(1, 'must be a fraction greater than 0 and at most 1, like 0.05 for 5%'),
    DEFAULTS.thresholds.errorRate,
  ),
  consecutiveBreaches: z._default(intIn(1, 60), DEFAULTS.thresholds.consecutiveBreaches),
  soakSeconds: z._default(intIn(60, 86_400), DEFAULTS.thresholds.soakSeconds),
});
export type ThresholdsConfig = z.output<typeof thresholdsSchema>;
