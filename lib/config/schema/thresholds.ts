/** The `thresholds` section: when observations count as skew, failure, a breach, or soaked. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import '../zod-english.ts';
import { described, intIn, strict, whenObject } from './helpers.ts';

/** A number greater than 0 and at most `max`, with one message for both bounds. */
function fractionUpTo(max: number, message: string) {
  return z.number().check(z.gt(0, message), z.maximum(max, message));
}

const skewSchema = strict({
  minSamples: described(
    z._default(intIn(10, 1_000_000), DEFAULTS.thresholds.skew.minSamples),
    'Fewer observed requests than this is insufficient data, never skew.',
  ),
  falsePositiveRate: described(
    z._default(
      fractionUpTo(0.05, 'must be greater than 0 and at most 0.05, like 0.0001'),
      DEFAULTS.thresholds.skew.falsePositiveRate,
    ),
    'Significance level of the skew test: tolerated false-positive rate per test.',
  ),
  minEffectSize: described(
    z._default(
      fractionUpTo(1, 'must be greater than 0 and at most 1 (a total variation distance), like 0.2'),
      DEFAULTS.thresholds.skew.minEffectSize,
    ),
    'Smallest difference in traffic shares (0–1) worth raising.',
  ),
});

const hysteresisSchema = strict({
  consecutiveFailures: described(
    z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.consecutiveFailures),
    'Probe failures in a row that declare a passing probe failing.',
  ),
  failuresInWindow: described(
    z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.failuresInWindow),
    'Failures among the last windowSize results that declare a passing probe failing.',
  ),
  windowSize: described(
    z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.windowSize),
    'How many recent results "failuresInWindow of the last windowSize" looks at.',
  ),
  consecutiveSuccesses: described(
    z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.consecutiveSuccesses),
    'Successes in a row before a failing probe is declared recovered.',
  ),
  maxChangesPerHour: described(
    z._default(intIn(2, 60), DEFAULTS.thresholds.hysteresis.maxChangesPerHour),
    'State changes per hour at which a probe is flapping: one notification, not a stream.',
  ),
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
  errorRate: described(
    z._default(
      fractionUpTo(1, 'must be a fraction greater than 0 and at most 1, like 0.05 for 5%'),
      DEFAULTS.thresholds.errorRate,
    ),
    '5xx share of requests above which a window breaches.',
  ),
  consecutiveBreaches: described(
    z._default(intIn(1, 60), DEFAULTS.thresholds.consecutiveBreaches),
    'Breaching observations in a row before an incident is confirmed.',
  ),
  soakSeconds: described(
    z._default(intIn(60, 86_400), DEFAULTS.thresholds.soakSeconds),
    'Healthy seconds before a snapshot becomes last known good.',
  ),
});
export type ThresholdsConfig = z.output<typeof thresholdsSchema>;
