import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Incident,
  type IncidentEvent,
  startIncident,
  type TransitionContext,
  transition,
} from '../../lib/incident.ts';
import { renderPostmortem } from '../../lib/postmortem.ts';
import type { Diagnosis } from '../../lib/types.ts';

// The seed drill's postmortem on one printed page without losing a fact. The fixture is the seed
// outage's real incident (drill-out/seed-outage-trace.json of a seed drill, with the
// `firstChange` the diagnosis now records) and before.md is the draft the old renderer wrote for
// it: 66 lines, the nine evidence lines at three entries, the plan three times. A fact is any of
//   - an indented bullet (an evidence line, a plan step, a measure),
//   - a timeline entry: its time, its transition and its words,
//   - the diagnosis summary, the plan's hash, a clock time, the impact line;
// each must be in the new draft, and the bullets, the summary and the hash exactly once.

const dir = new URL('./fixtures/seed-postmortem/', import.meta.url);
const incident = JSON.parse(readFileSync(new URL('incident.json', dir), 'utf8')) as Incident;
const before = readFileSync(new URL('before.md', dir), 'utf8');
const IMPACT =
  '19 of 9002 customer requests failed in the drill (4845 of 9002 in the same scenario without lbguard)';
// When the drill measured the customers' failures back at baseline (report.md: 1.50 s after the fault).
const RECOVERED = '2026-12-05T03:25:21.000Z';

interface Entry {
  readonly stamp: string;
  readonly what: string;
  readonly move: string;
}

const ENTRY = /^- \*\*(.+?)\*\*: (.*) _\((.+)\)_$/;
const lines = (md: string) => md.trimEnd().split('\n');
const bulletsOf = (md: string) => lines(md).flatMap((l) => /^ {2,}- (.+)$/.exec(l)?.[1] ?? []);
const entriesOf = (md: string): Entry[] =>
  lines(md).flatMap((l) => {
    const m = ENTRY.exec(l);
    return m === null ? [] : [{ stamp: m[1] ?? '', what: m[2] ?? '', move: m[3] ?? '' }];
  });
const occurrences = (md: string, s: string) => md.split(s).length - 1;

const summary = incident.diagnosis?.summary ?? '';
const hash = incident.planHash ?? '';

describe('the old seed postmortem, the baseline the facts come from', () => {
  it('is the repetitive draft the issue describes: over a page, evidence at three entries, the plan three times', () => {
    expect(lines(before).length).toBe(66);
    const evidence = incident.diagnosis?.evidence ?? [];
    expect(evidence.length).toBe(8);
    for (const line of evidence) expect(occurrences(before, `  - ${line}\n`)).toBe(3);
    for (const step of incident.planSteps ?? []) expect(occurrences(before, `  - ${step}\n`)).toBe(3);
    expect(summary).not.toBe('');
    expect(hash).toHaveLength(64);
  });
});

describe.each([
  ['the same input as the old draft', { impact: IMPACT }],
  ['the drill’s input, with the customers’ recovery', { impact: IMPACT, recoveredAt: RECOVERED }],
])('the seed postmortem from %s', (_, opts) => {
  const after = renderPostmortem(incident, opts);

  it('fits on one printed page: at most 60 lines', () => {
    expect(lines(after).length).toBeLessThanOrEqual(60);
  });

  it('keeps every distinct bullet of the old draft, exactly once', () => {
    const old = new Set(bulletsOf(before));
    expect(old.size).toBeGreaterThan(20);
    const now = bulletsOf(after);
    for (const line of old)
      expect(
        now.filter((l) => l === line),
        line,
      ).toHaveLength(1);
    expect(new Set(now).size).toBe(now.length);
  });

  it('keeps every timeline entry with its time and transition, saying only what the summary does not', () => {
    const old = entriesOf(before);
    const now = entriesOf(after);
    expect(now.map((e) => [e.stamp, e.move])).toEqual(old.map((e) => [e.stamp, e.move]));
    now.forEach((entry, i) => {
      const full = entry.what.replace(hash.slice(0, 12), hash);
      expect(old[i]?.what.replace(`: ${summary}`, '')).toBe(full);
    });
  });

  it('says the summary and the plan hash once each', () => {
    expect(occurrences(after, summary)).toBe(1);
    expect(occurrences(after, hash)).toBe(1);
  });

  it('keeps every clock time and the impact', () => {
    const times = new Set(before.match(/\d\d:\d\d:\d\d( UTC|Z)/g));
    expect(times.size).toBeGreaterThan(5);
    for (const t of times) expect(after, t).toContain(t);
    expect(after).toContain(`- **Impact**: ${IMPACT}\n`);
  });

  it('starts the duration at the first change and marks detection, remediation and verification', () => {
    const summaryLines = lines(after).filter(
      (l) => l.startsWith('- **Duration**') || l.startsWith('- **Marks**'),
    );
    expect(summaryLines[0]).toMatch(
      /^- \*\*Duration\*\*: \d.*, from the fault at Dec 5, 2026, 03:23:51 UTC \(ModifyListener by role deploy-pipeline, the first change\) to /,
    );
    expect(summaryLines[1]).toMatch(
      /^- \*\*Marks\*\*: detected 03:24:06 UTC \(\+16 s\) · remediated 03:24:34 UTC \(\+44 s\) · .*verified 03:25:27 UTC \(\+1 min 36 s\)$/,
    );
  });
});

describe('any incident history', () => {
  const T0 = Date.parse('2025-02-25T14:00:00.000Z');
  const ctx: TransitionContext = {
    policy: {
      mode: 'auto',
      cooldownSeconds: 60,
      maxPerHour: 3,
      maxSteps: 10,
      allowCreateRule: false,
      verifyDeadlineSeconds: 180,
    },
    thresholds: {
      skew: { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 },
      errorRate: 0.05,
      consecutiveBreaches: 2,
      soakSeconds: 600,
    },
  };
  // Small pools, so that lines recur across entries, diagnoses and plans as they do in real incidents.
  const line = fc.constantFrom(
    'probe a failed',
    'probe b failed',
    'weights 50/50 → 100/0',
    'targets: 1 healthy',
    'routing matches',
  );
  const lines = fc.uniqueArray(line, { maxLength: 4 });
  const steps = fc.uniqueArray(
    fc.constantFrom('RegisterTargets web-a', 'RegisterTargets web-b', 'ModifyListener 50/50'),
    {
      maxLength: 3,
    },
  );
  const plan = fc.constantFrom('p1', 'p2');
  const diagnosis: fc.Arbitrary<Diagnosis> = fc
    .record({
      cause: fc.oneof(
        { arbitrary: fc.constant('routing-skew' as const), weight: 4 },
        fc.constantFrom('backend-errors-balanced' as const, 'healthy' as const),
      ),
      evidence: lines,
      summary: fc.constantFrom('skew after ModifyListener', 'backend errors'),
    })
    .map((d) => ({
      ...d,
      lbFault: d.cause === 'routing-skew',
      remediable: d.cause === 'routing-skew',
      severity: 'critical',
      drift: [],
    }));
  // Times are set in order when the events are played.
  const event: fc.Arbitrary<IncidentEvent> = fc.oneof(
    {
      arbitrary: fc
        .record({ diagnosis, planHash: plan, planSteps: steps })
        .map((o) => ({ type: 'observed' as const, at: '', ...o })),
      weight: 3,
    },
    plan.map((planHash) => ({ type: 'remediation-started' as const, at: '', planHash })),
    steps.map((applied) => ({ type: 'remediation-applied' as const, at: '', steps: applied })),
    fc
      .tuple(fc.constantFrom('verified' as const, 'verification-failed' as const), lines)
      .map(([type, evidence]) => ({ type, at: '', evidence })),
    lines.map((deferred) => ({
      type: 'remediation-deferred' as const,
      at: '',
      owners: ['stack-a'],
      lines: deferred,
    })),
  );

  const play = (events: readonly IncidentEvent[]): Incident =>
    events.reduce(
      (incident, e, i) =>
        transition(incident, { ...e, at: new Date(T0 + (i + 1) * 61_000).toISOString() }, ctx).incident,
      startIncident('shop', new Date(T0).toISOString()),
    );

  it('prints every evidence line of its timeline and diagnosis exactly once, and every entry', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), (events) => {
        const incident = play(events);
        const md = renderPostmortem(incident);
        const bullets = bulletsOf(md);
        const facts = new Set([
          ...incident.timeline.flatMap((e) => e.evidence),
          ...(incident.diagnosis?.evidence ?? []),
        ]);
        for (const fact of facts)
          expect(
            bullets.filter((b) => b === fact),
            fact,
          ).toHaveLength(1);
        expect(new Set(bullets).size).toBe(bullets.length);
        expect(entriesOf(md).map((e) => e.move)).toEqual(
          incident.timeline.map((e) => (e.from === e.to ? e.to : `${e.from} → ${e.to}`)),
        );
      }),
      { numRuns: 300 },
    );
  });
});
