import { describe, expect, it } from 'vitest';
import {
  DATA_PLANE_NOT_FOLLOWING,
  dataPlaneChecks,
  dataPlaneFigures,
  parseDuration,
  readLag,
} from '../../drill/data-plane-checks.ts';
import type { ScenarioRun } from '../../drill/run-types.ts';
import type { Expectations } from '../../drill/scenarios/types.ts';
import { FollowingGate } from '../../drill/world/data-plane-following.ts';
import type { SyncChange } from '../../drill/world/haproxy-sync.ts';
import type { Incident, TimelineEntry } from '../../lib/incident.ts';

// The pure halves of issue 16's drill data plane: the gate between what the sync reads and what
// HAProxy applies, the reader of the lag lbguard reports, and the checks a run is judged by.

describe('the gate between the control plane and the data plane', () => {
  const gate = (): FollowingGate<string> => new FollowingGate<string>((s) => s);

  it('lets every state through at once when following', () => {
    const g = gate();
    expect(g.offer('a', 0, 0)).toEqual({ state: 'a', readAt: 0 });
    expect(g.offer('b', 100, 100)).toEqual({ state: 'b', readAt: 100 });
  });

  it('applies a change only once it has waited the delay since its first read, in order', () => {
    const g = gate();
    g.set({ mode: 'delayed', delayMs: 1_000 });
    // Nothing has waited yet: keep what is applied.
    expect(g.offer('a', 0, 50)).toBeUndefined();
    expect(g.offer('b', 100, 150)).toBeUndefined();
    expect(g.offer('b', 200, 250)).toBeUndefined();
    expect(g.offer('c', 300, 350)).toBeUndefined();
    expect(g.offer('c', 1_000, 1_050)?.state).toBe('a');
    // b was first read at 100: its clock did not restart at the second read.
    expect(g.offer('c', 1_100, 1_150)).toEqual({ state: 'b', readAt: 100 });
    expect(g.offer('c', 1_200, 1_250)?.state).toBe('b');
    expect(g.offer('c', 1_300, 1_350)).toEqual({ state: 'c', readAt: 300 });
    expect(g.pending).toBe(1);
  });

  it('replays a change and its revert, each after the delay', () => {
    const g = gate();
    g.set({ mode: 'delayed', delayMs: 500 });
    g.offer('a', 0, 0);
    g.offer('b', 100, 100);
    g.offer('a', 200, 200);
    expect(g.offer('a', 600, 600)?.state).toBe('b');
    expect(g.offer('a', 700, 700)?.state).toBe('a');
  });

  it('applies nothing while stuck, however long, and catches up when released', () => {
    const g = gate();
    g.set({ mode: 'stuck' });
    for (let t = 0; t < 100_000; t += 10_000) expect(g.offer('new', t, t)).toBeUndefined();
    g.set({ mode: 'follow' });
    expect(g.offer('new', 100_000, 100_000)?.state).toBe('new');
  });

  it('refuses a delay that is negative or not a number, naming the field and the fix', () => {
    expect(() => gate().set({ mode: 'delayed', delayMs: -5 })).toThrow(/dataPlane\.delayMs .*mode: 'follow'/);
    expect(() => new FollowingGate((s: string) => s, { mode: 'delayed', delayMs: Number.NaN })).toThrow(
      /dataPlane\.delayMs/,
    );
  });
});

describe('reading the propagation lag lbguard reports', () => {
  it.each([
    ['data plane converged: propagation lag 95 s (write → converged)', 95_000],
    ['propagation lag (write → converged): 1 min 35 s', 95_000],
    ['traffic converged 120 s after the write', 120_000],
    ['Lag 1500 ms between ModifyListener and the observed shares', 1_500],
    ['propagation lag 2.5 min', 150_000],
  ])('reads %j as %d ms', (line, ms) => {
    expect(readLag([line])?.awsMs).toBe(ms);
  });

  it('reads lbguard’s own convergence line, "<lag> after the write at <time> (propagation lag)"', () => {
    const line =
      'data plane: observed shares match the configuration since 2026-12-05T00:17:12.960Z, 95 s after the write at 2026-12-05T00:15:37.000Z (propagation lag)';
    expect(readLag([line])).toEqual({ awsMs: 95_000, line, writeAt: Date.parse('2026-12-05T00:15:37.000Z') });
  });

  it('skips the lag of a write older than lbguard’s restore (the deployment’s own)', () => {
    const deployment =
      'data plane: observed shares match the configuration since t, 6 s after the write at 2026-12-05T00:10:00.000Z (propagation lag)';
    const restore =
      'data plane: observed shares match the configuration since t, 125 s after the write at 2026-12-05T00:15:00.000Z (propagation lag)';
    expect(readLag([deployment, restore], Date.parse('2026-12-05T00:14:50.000Z'))?.awsMs).toBe(125_000);
  });

  it('reads nothing from lines that name no lag, or only a deadline', () => {
    expect(
      readLag([
        'data plane: not yet serving the configured shares; converging since the write at 2026-12-05T00:15:00.000Z (deadline 300 s)',
        'data plane is not following the configuration: written at 2026-12-05T00:15:00.000Z, observed shares still depart from the model 300 s later',
      ]),
    ).toBeUndefined();
    expect(readLag(['listener :80 forwards 100% to web-a', 'probe home green in 12 ms'])).toBeUndefined();
  });

  it('sums the units of a duration text', () => {
    expect(parseDuration('1 h 2 min 3 s')).toBe(3_723_000);
    expect(parseDuration('no duration')).toBeUndefined();
  });
});

const AWS0 = Date.parse('2026-12-05T00:00:00.000Z');
const REAL0 = 1_000_000;
/** AWS ISO stamp of a wall-clock ms in a run at factor 60. */
const iso = (real: number): string => new Date(AWS0 + (real - REAL0) * 60).toISOString();

function entry(
  to: TimelineEntry['to'],
  real: number,
  what: string = to,
  evidence: string[] = [],
): TimelineEntry {
  return { at: iso(real), from: 'ok', to, what, evidence };
}

function incident(timeline: TimelineEntry[], cause = 'routing-skew'): Incident {
  return {
    id: 'shop#1',
    service: 'shop',
    state: timeline.at(-1)?.to ?? 'ok',
    openedAt: iso(REAL0 + 10_000),
    updatedAt: iso(REAL0 + 20_000),
    breaches: 2,
    remediations: [],
    timeline,
    diagnosis: {
      cause: cause as 'routing-skew',
      lbFault: true,
      remediable: true,
      severity: 'critical',
      summary: 'skew',
      evidence: [],
      drift: [],
    },
  };
}

const change = (readStartedAt: number, appliedAt: number): SyncChange => ({
  kind: 'weights',
  pass: 1,
  readStartedAt,
  appliedAt,
  detail: 'weights',
});

/** A run at factor 60 (probe interval 10 AWS s = 166.7 drill ms): write at +12 s. */
function run(parts: { changes?: SyncChange[]; incidents?: Incident[]; stuck?: boolean }): ScenarioRun {
  return {
    scenario: 'data-plane-lag',
    guarded: true,
    clock: { factor: 60, realStartMs: REAL0, awsStartMs: AWS0 },
    loadStartedAt: REAL0,
    faultAt: REAL0 + 10_000,
    endedAt: REAL0 + 30_000,
    ratePerSecond: 120,
    records: [],
    marks: [],
    writes: [{ at: REAL0 + 12_000, op: 'ModifyListener', detail: '50/50' }],
    inspections: [],
    remediations: [],
    notifications: [],
    lastGood: [],
    incidents: parts.incidents ?? [],
    targets: {},
    fleetEvents: [],
    errors: [],
    dataPlane: {
      following: parts.stuck === true ? { mode: 'stuck' } : { mode: 'delayed', delayMs: 2_000 },
      armedAt: REAL0 + 10_100,
      changes: parts.changes ?? [],
    },
  };
}

const lagExpect: Expectations = {
  incident: 'resolved',
  writes: ['ModifyListener'],
  recovered: true,
  dataPlane: 'follows-late',
};
const stuckExpect: Expectations = { ...lagExpect, incident: 'escalated', dataPlane: 'stuck' };
const failing = (checks: readonly { name: string; ok: boolean }[]): string[] =>
  checks.filter((c) => !c.ok).map((c) => c.name);

describe('the data-plane checks of a run', () => {
  it('passes a lag reported within one probe interval of the true lag, resolved after traffic moved', () => {
    // Applied 2.1 s after the write (126 AWS s); lbguard says 2 min 10 s (130 AWS s).
    const r = run({
      changes: [change(REAL0 + 12_050, REAL0 + 14_100)],
      incidents: [
        incident([
          entry('confirmed', REAL0 + 11_000),
          entry('verifying', REAL0 + 12_100),
          entry('resolved', REAL0 + 14_300, 'verified', ['propagation lag 2 min 10 s']),
        ]),
      ],
    });
    expect(failing(dataPlaneChecks(r, lagExpect))).toEqual([]);
    const f = dataPlaneFigures(r);
    expect(f.trueLagMs).toBe(2_100);
    expect(f.reportedLagMs).toBeCloseTo(2_166.7, 1);
  });

  it('fails a lag off by more than a probe interval, and a resolution before the data plane followed', () => {
    const r = run({
      changes: [change(REAL0 + 12_050, REAL0 + 14_100)],
      incidents: [incident([entry('resolved', REAL0 + 12_500, 'verified', ['propagation lag 30 s'])])],
    });
    expect(failing(dataPlaneChecks(r, lagExpect))).toEqual([
      'reported propagation lag within one probe interval',
      'resolved only after the data plane followed',
    ]);
  });

  it('fails a world that applied the restore sooner than the delay after its read', () => {
    const r = run({ changes: [change(REAL0 + 12_050, REAL0 + 13_000)] });
    expect(dataPlaneChecks(r, lagExpect)[0]).toMatchObject({ ok: false });
  });

  it('fails when lbguard reports no lag at all', () => {
    const r = run({
      changes: [change(REAL0 + 12_050, REAL0 + 14_100)],
      incidents: [incident([entry('resolved', REAL0 + 15_000)])],
    });
    expect(failing(dataPlaneChecks(r, lagExpect))).toEqual([
      'reported propagation lag within one probe interval',
    ]);
  });

  it('ignores data-plane changes read well before lbguard’s write, or applied before it', () => {
    expect(
      dataPlaneFigures(run({ changes: [change(REAL0 + 11_000, REAL0 + 13_000)] })).trueLagMs,
    ).toBeUndefined();
    expect(
      dataPlaneFigures(run({ changes: [change(REAL0 + 11_900, REAL0 + 11_950)] })).trueLagMs,
    ).toBeUndefined();
  });

  it('counts the pass in flight at the write, whose read can carry it', () => {
    // Read began 40 ms before the write was sent and still saw it; nothing later changed.
    const r = run({ changes: [change(REAL0 + 11_960, REAL0 + 13_970)] });
    expect(dataPlaneFigures(r).trueLagMs).toBe(1_970);
    expect(dataPlaneChecks(r, lagExpect)[0]).toMatchObject({ ok: true });
  });

  it('passes a stuck run escalated with the new cause and never resolved', () => {
    const r = run({
      stuck: true,
      incidents: [incident([entry('escalated', REAL0 + 18_000)], DATA_PLANE_NOT_FOLLOWING)],
    });
    expect(failing(dataPlaneChecks(r, stuckExpect))).toEqual([]);
  });

  it('accepts the cause named in the escalation’s own lines when the incident keeps its first cause', () => {
    const r = run({
      stuck: true,
      incidents: [
        incident([
          entry('escalated', REAL0 + 18_000, 'escalated', [
            'the data plane is not following the configuration',
          ]),
        ]),
      ],
    });
    expect(dataPlaneFigures(r).escalatedNamingDataPlane).toBe(true);
  });

  it('fails a stuck run that was called verified, or escalated for another reason', () => {
    const resolved = run({ stuck: true, incidents: [incident([entry('resolved', REAL0 + 14_000)])] });
    expect(failing(dataPlaneChecks(resolved, stuckExpect))).toEqual([
      'never reported verified',
      `escalated: ${DATA_PLANE_NOT_FOLLOWING}`,
    ]);
    const other = run({
      stuck: true,
      incidents: [incident([entry('escalated', REAL0 + 18_000, 'escalated', ['hourly budget spent'])])],
    });
    expect(failing(dataPlaneChecks(other, stuckExpect))).toEqual([`escalated: ${DATA_PLANE_NOT_FOLLOWING}`]);
  });

  it('fails a stuck run whose world applied the restore after all', () => {
    const r = run({
      stuck: true,
      changes: [change(REAL0 + 12_050, REAL0 + 12_100)],
      incidents: [incident([entry('escalated', REAL0 + 18_000)], DATA_PLANE_NOT_FOLLOWING)],
    });
    expect(failing(dataPlaneChecks(r, stuckExpect))).toEqual(['the data plane never applied the restore']);
  });

  it('adds no check to a scenario without a data-plane expectation', () => {
    const { dataPlane: _unused, ...plain } = lagExpect;
    expect(dataPlaneChecks(run({}), plain)).toEqual([]);
  });
});
