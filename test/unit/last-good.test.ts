import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IncidentState } from '../../lib/incident.ts';
import { judgeSoak, type SoakInput, type SoakVerdict, soakWaitsOnIncident } from '../../lib/last-good.ts';
import type { RootCause } from '../../lib/types.ts';

const T0 = Date.parse('2026-11-03T14:00:00.000Z');
/** ISO time `seconds` after 14:00:00Z. */
const iso = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

const LIVE = 'live-hash';
const SOAK = 900;

/** A healthy observation of `LIVE` at 14:00 + 1000 s, never seen before and not last known good. */
function observation(overrides: Partial<SoakInput> = {}): SoakInput {
  return {
    at: new Date(T0 + 1000 * 1000),
    snapshotHash: LIVE,
    diagnosis: { cause: 'healthy' },
    probes: [{ ok: true }, { ok: true }],
    incidentState: 'ok',
    lastGoodHash: 'older-hash',
    marker: undefined,
    soakSeconds: SOAK,
    ...overrides,
  };
}

const soaking = (sinceSeconds: number) => ({ hash: LIVE, since: iso(sinceSeconds) });

describe('judgeSoak: an observation that is not healthy', () => {
  const unhealthy: readonly { name: string; input: Partial<SoakInput> }[] = [
    { name: 'the diagnosis is not healthy', input: { diagnosis: { cause: 'routing-skew' } } },
    { name: 'there are no probe results to vouch for it', input: { probes: [] } },
    { name: 'one probe failed', input: { probes: [{ ok: true }, { ok: false }] } },
    { name: 'an incident is suspected', input: { incidentState: 'suspected' } },
    { name: 'an incident is confirmed', input: { incidentState: 'confirmed' } },
    { name: 'an incident is mitigating', input: { incidentState: 'mitigating' } },
    { name: 'an incident is verifying', input: { incidentState: 'verifying' } },
    { name: 'an incident is escalated', input: { incidentState: 'escalated' } },
  ];

  it.each(unhealthy)('waits when $name and no soak is under way', ({ input }) => {
    expect(judgeSoak(observation({ ...input, marker: undefined }))).toEqual({ kind: 'wait' });
  });

  it.each(unhealthy)('clears the soak under way when $name', ({ input }) => {
    expect(judgeSoak(observation({ ...input, marker: soaking(0) }))).toEqual({ kind: 'clear' });
  });

  it('clears a soak even when the snapshot is already last known good', () => {
    const verdict = judgeSoak(
      observation({ lastGoodHash: LIVE, marker: soaking(0), probes: [{ ok: false }] }),
    );
    expect(verdict).toEqual({ kind: 'clear' });
  });
});

describe('judgeSoak: a healthy observation', () => {
  const cases: readonly { name: string; input: Partial<SoakInput>; expected: SoakVerdict }[] = [
    {
      name: 'with no incident ever opened, starts the soak now',
      input: { incidentState: 'ok' },
      expected: { kind: 'start', marker: { hash: LIVE, since: iso(1000) } },
    },
    {
      name: 'right after an incident resolved, starts the soak now',
      input: { incidentState: 'resolved' },
      expected: { kind: 'start', marker: { hash: LIVE, since: iso(1000) } },
    },
    {
      name: 'when no last known good exists yet, starts the soak now',
      input: { lastGoodHash: undefined },
      expected: { kind: 'start', marker: { hash: LIVE, since: iso(1000) } },
    },
    {
      name: 'of the snapshot already last known good, records nothing',
      input: { lastGoodHash: LIVE },
      expected: { kind: 'wait' },
    },
    {
      name: 'of the snapshot already last known good, records nothing even with a ripe marker',
      input: { lastGoodHash: LIVE, marker: soaking(0) },
      expected: { kind: 'wait' },
    },
    {
      name: 'with a marker for another snapshot, restarts the soak for this one',
      input: { marker: { hash: 'other-hash', since: iso(0) } },
      expected: { kind: 'start', marker: { hash: LIVE, since: iso(1000) } },
    },
    {
      name: 'soaked one second short, keeps waiting',
      input: { marker: soaking(1000 - SOAK + 1) },
      expected: { kind: 'wait' },
    },
    {
      name: 'seen for the first time a moment ago, keeps waiting',
      input: { marker: soaking(1000) },
      expected: { kind: 'wait' },
    },
  ];

  it.each(cases)('$name', ({ input, expected }) => {
    expect(judgeSoak(observation(input))).toEqual(expected);
  });

  it('promotes after exactly soakSeconds, recording how long and since when', () => {
    const verdict = judgeSoak(observation({ marker: soaking(1000 - SOAK) }));
    expect(verdict).toEqual({
      kind: 'promote',
      reason: `healthy for 900 s since ${iso(100)}: probes green, routing as expected, no open incident`,
    });
  });

  it('promotes after longer than soakSeconds too', () => {
    const verdict = judgeSoak(observation({ marker: soaking(0) }));
    expect(verdict).toMatchObject({ kind: 'promote', reason: expect.stringContaining('healthy for 1000 s') });
  });

  it.each([
    [1000.4, '1000 s'],
    [1000.5, '1001 s'],
    [999.6, '1000 s'],
  ])('rounds %f soaked seconds to %s in the recorded reason', (soaked, text) => {
    const since = new Date(T0).toISOString();
    const verdict = judgeSoak(
      observation({ at: new Date(T0 + soaked * 1000), marker: { hash: LIVE, since } }),
    );
    expect(verdict.kind).toBe('promote');
    if (verdict.kind !== 'promote') return;
    expect(verdict.reason).toContain(`healthy for ${text} since ${since}`);
  });

  it('promotes at once when soakSeconds is zero and the soak has just begun', () => {
    expect(judgeSoak(observation({ soakSeconds: 0, marker: soaking(1000) })).kind).toBe('promote');
  });
});

describe('judgeSoak: properties', () => {
  const HASHES = ['h1', 'h2', 'h3'] as const;
  const CAUSES: readonly RootCause[] = ['healthy', 'healthy', 'routing-skew', 'missing-targets', 'unknown'];
  const STATES: readonly IncidentState[] = [
    'ok',
    'suspected',
    'confirmed',
    'mitigating',
    'verifying',
    'resolved',
    'escalated',
  ];

  const arbInput: fc.Arbitrary<SoakInput> = fc
    .record({
      atSeconds: fc.integer({ min: 0, max: 10_000 }),
      snapshotHash: fc.constantFrom(...HASHES),
      cause: fc.constantFrom(...CAUSES),
      probes: fc.array(
        fc.boolean().map((ok) => ({ ok })),
        { maxLength: 5 },
      ),
      incidentState: fc.constantFrom(...STATES),
      lastGoodHash: fc.option(fc.constantFrom(...HASHES), { nil: undefined }),
      marker: fc.option(
        fc.record({ hash: fc.constantFrom(...HASHES), sinceSeconds: fc.integer({ min: 0, max: 10_000 }) }),
        { nil: undefined },
      ),
      soakSeconds: fc.integer({ min: 0, max: 3_600 }),
    })
    .map(({ atSeconds, cause, marker, ...rest }) => ({
      ...rest,
      at: new Date(T0 + atSeconds * 1000),
      diagnosis: { cause },
      marker: marker === undefined ? undefined : { hash: marker.hash, since: iso(marker.sinceSeconds) },
    }));

  const isHealthy = (i: SoakInput) =>
    i.diagnosis.cause === 'healthy' &&
    i.probes.length > 0 &&
    i.probes.every((p) => p.ok) &&
    (i.incidentState === 'ok' || i.incidentState === 'resolved');

  it('promotes only a healthy, soaked, live snapshot that is not already last known good', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const soaked =
          input.marker !== undefined &&
          (input.at.getTime() - Date.parse(input.marker.since)) / 1000 >= input.soakSeconds;
        const shouldPromote =
          isHealthy(input) &&
          input.marker?.hash === input.snapshotHash &&
          input.snapshotHash !== input.lastGoodHash &&
          soaked;
        expect(judgeSoak(input).kind === 'promote').toBe(shouldPromote);
      }),
    );
  });

  it('starts a soak only for the live snapshot, at the time of the observation', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const verdict = judgeSoak(input);
        if (verdict.kind !== 'start') return;
        expect(isHealthy(input)).toBe(true);
        expect(verdict.marker).toEqual({ hash: input.snapshotHash, since: input.at.toISOString() });
      }),
    );
  });

  it('clears only a soak under way, and only on an observation that is not healthy', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const cleared = judgeSoak(input).kind === 'clear';
        expect(cleared).toBe(!isHealthy(input) && input.marker !== undefined);
      }),
    );
  });
  // Inspect writes the soak's verdict beside the incident's move when this says it may.
  it('gives the same verdict whatever the incident when soakWaitsOnIncident says it does not wait', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const verdicts = STATES.map((incidentState) => judgeSoak({ ...input, incidentState }));
        const same = verdicts.every((v) => JSON.stringify(v) === JSON.stringify(verdicts[0]));
        if (!soakWaitsOnIncident(input)) expect(same).toBe(true);
        // And it waits exactly when the incident could change the verdict: a healthy observation.
        expect(soakWaitsOnIncident(input)).toBe(
          input.diagnosis.cause === 'healthy' && input.probes.length > 0 && input.probes.every((p) => p.ok),
        );
      }),
    );
  });
});
