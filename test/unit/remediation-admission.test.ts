import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/config/defaults.ts';
import type { Incident, IncidentState, TransitionContext } from '../../lib/incident.ts';
import { admitRemediation } from '../../lib/remediation-admission.ts';

const T0 = Date.parse('2026-11-02T14:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

const ctx = (previous: readonly string[] = []): TransitionContext => ({
  policy: { ...DEFAULTS.remediation, mode: 'auto', cooldownSeconds: 600, maxPerHour: 3 },
  thresholds: DEFAULTS.thresholds,
  previousRemediations: previous,
});

/** An incident confirmed at minute 2, now in `state`, with remediation attempts at `attempts`. */
function incident(state: IncidentState, attempts: readonly number[]): Incident {
  return {
    id: `shop#${at(0)}`,
    service: 'shop',
    state,
    openedAt: at(0),
    updatedAt: at(3),
    breaches: 2,
    remediations: attempts.map(at),
    timeline: [
      { at: at(0), from: 'ok', to: 'suspected', what: 'suspected', evidence: [] },
      {
        at: at(2),
        from: 'suspected',
        to: 'confirmed',
        what: 'confirmed',
        evidence: [],
      },
    ],
  };
}

describe('admitRemediation', () => {
  it.each<[string, Incident, readonly string[], RegExp | undefined]>([
    ['admits the attempt inspect decided when it confirmed', incident('confirmed', [2]), [], undefined],
    ['admits a retry of a remediation already under way', incident('mitigating', [2]), [], undefined],
    ['admits while verifying', incident('verifying', [2]), [], undefined],
    ['admits after the cooldown of an earlier attempt', incident('confirmed', [2]), [at(-11)], undefined],
    [
      'refuses a request for an incident nobody decided to remediate (forged or replayed)',
      incident('confirmed', []),
      [],
      /no remediation was decided for incident shop#.* since it was confirmed/,
    ],
    [
      'refuses when the only attempt predates this confirmation',
      incident('confirmed', [-5]),
      [],
      /no remediation was decided/,
    ],
    ['refuses a resolved incident', incident('resolved', [2]), [], /incident is resolved/],
    ['refuses an escalated incident', incident('escalated', [2]), [], /incident is escalated/],
    ['refuses an incident only suspected', incident('suspected', []), [], /incident is suspected/],
    [
      'refuses an attempt over the hourly budget',
      incident('confirmed', [2]),
      [at(-50), at(-35), at(-20)],
      /exceeds the hourly budget \(3 remediations in the hour before it, maxPerHour 3\)/,
    ],
    [
      'refuses an attempt inside the cooldown of the service’s previous one',
      incident('confirmed', [2]),
      [at(-5)],
      /falls in the cooldown after .* \(cooldownSeconds 600\)/,
    ],
  ])('%s', (_, subject, previous, refusal) => {
    const admission = admitRemediation(subject, ctx(previous));
    if (refusal === undefined) expect(admission).toEqual({ admitted: true });
    else expect(admission).toMatchObject({ admitted: false, reason: expect.stringMatching(refusal) });
  });

  it('counts attempts older than an hour against neither the budget nor the cooldown', () => {
    expect(admitRemediation(incident('confirmed', [2]), ctx([at(-70), at(-65), at(-61)]))).toEqual({
      admitted: true,
    });
  });
});
