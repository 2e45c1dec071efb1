import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Moment } from '../../drill/analysis.ts';
import {
  type ChartRun,
  layoutLabels,
  MARKER_LABELS,
  renderChart,
  renderSideBySide,
  textWidth,
} from '../../drill/chart.ts';
import type { ResponseRecord } from '../../drill/world/loadgen.ts';

// The drill's charts read as SVG: every text's box is computed from the SVG itself (x, y,
// anchor, font size and the characters), on a stated font model, and no two marker labels — nor
// a label and a heading — may intersect, wherever the markers fall.

/** Em per character, as wide as DejaVu Sans gets on lower case (0.47–0.61 em on these labels); wide letters more. */
const emOf = (c: string) => (/[MWmw@%]/.test(c) ? 0.95 : /[A-Z]/.test(c) ? 0.76 : 0.62);

interface Box {
  readonly text: string;
  readonly cls: string;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

const unescapeXml = (s: string) =>
  s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&amp;', '&');

function attr(attrs: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(attrs)?.[1];
}

/** Every `<text>` of the SVG with the box it takes: cap height above the baseline, descenders below. */
function textBoxes(svg: string): Box[] {
  const base = Number(attr(/<svg([^>]*)>/.exec(svg)?.[1] ?? '', 'font-size') ?? '16');
  return [...svg.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].map((m) => {
    const attrs = m[1] ?? '';
    const text = unescapeXml(m[2] ?? '');
    const size = Number(attr(attrs, 'font-size') ?? base);
    const x = Number(attr(attrs, 'x'));
    const y = Number(attr(attrs, 'y'));
    const width = [...text].reduce((w, c) => w + emOf(c) * size, 0);
    const anchor = attr(attrs, 'text-anchor') ?? 'start';
    const left = anchor === 'middle' ? x - width / 2 : anchor === 'end' ? x - width : x;
    return {
      text,
      cls: attr(attrs, 'class') ?? '',
      left,
      right: left + width,
      top: y - size,
      bottom: y + 0.25 * size,
    };
  });
}

const intersect = (a: Box, b: Box) =>
  a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

function overlaps(boxes: readonly Box[]): string[] {
  return boxes.flatMap((a, i) =>
    boxes.slice(i + 1).flatMap((b) => (intersect(a, b) ? [`"${a.text}" and "${b.text}"`] : [])),
  );
}

/** The marker labels and everything printed above the plots (title, subtitle, panel titles). */
function labelsAndHeadings(svg: string): { labels: Box[]; headings: Box[] } {
  const boxes = textBoxes(svg);
  const labels = boxes.filter((b) => b.cls === 'marker-label');
  const plotTop = Math.min(
    ...[...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="none"/g)].map(
      (m) => Number(m[1]),
    ),
  );
  return { labels, headings: boxes.filter((b) => b.cls !== 'marker-label' && b.bottom <= plotTop) };
}

function svgWidth(svg: string): number {
  return Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
}

// ---- runs ---------------------------------------------------------------------------------

const START = 1_000_000;
const TARGETS = { 'i-a1': 'web-a', 'i-a2': 'web-a', 'i-b1': 'web-b', 'i-b2': 'web-b' };

/** 150 req/s from 4.5 s before the fault to 60 s after; `failing(rel)` says which fail. */
function run(guarded: boolean, failing: (rel: number) => boolean, endMs = 60_000): ChartRun {
  const faultAt = START + 4_482;
  const ids = Object.keys(TARGETS);
  const records: ResponseRecord[] = [];
  for (let t = 0, i = 0; START + t < faultAt + endMs; t += 1000 / 150, i++) {
    const rel = START + t - faultAt;
    records.push({
      t,
      at: START + t,
      method: 'GET',
      path: '/',
      latencyMs: 5,
      ...(failing(rel) ? { status: 503 } : { status: 200, servedBy: ids[i % ids.length] ?? 'i-a1' }),
    });
  }
  return {
    guarded,
    clock: { factor: 60, realStartMs: START, awsStartMs: Date.parse('2026-12-05T03:20:00Z') },
    loadStartedAt: START,
    faultAt,
    endedAt: faultAt + endMs,
    targets: TARGETS,
    records,
  };
}

const moment = (at: number, label: string): Moment => ({ at, label, detail: `${label} detail` });

/** The markers of the seed drill of 2026-12-05 (report.md's timeline, drill ms since the fault). */
const SEED: readonly Moment[] = [
  moment(-2_000, 'last-good'),
  moment(0, 'fault injected'),
  moment(0, 'change'),
  moment(6, 'change'),
  moment(10, 'change'),
  moment(460, 'detected'),
  moment(460, 'diagnosed'),
  moment(600, 'first symptom'),
  moment(640, 'remediation started'),
  moment(730, 'remediated'),
  moment(1_000, 'rebalanced'),
  moment(1_150, '5xx alarm'),
  moment(1_500, 'customers recovered'),
  moment(1_600, 'verified'),
];
const SEED_UNGUARDED: readonly Moment[] = [
  moment(0, 'fault injected'),
  moment(0, 'change'),
  moment(6, 'change'),
  moment(10, 'change'),
  moment(1_150, '5xx alarm'),
];

const guardedRun = run(true, (rel) => rel > 600 && rel < 1_500 && rel % 3 < 1);
const unguardedRun = run(false, (rel) => rel > 600 && rel % 2 < 1.3);

function expectLegible(svg: string, labels: readonly string[]) {
  const { labels: boxes, headings } = labelsAndHeadings(svg);
  expect(boxes.map((b) => b.text).sort()).toEqual([...labels].sort());
  expect(overlaps([...boxes, ...headings])).toEqual([]);
  const width = svgWidth(svg);
  for (const b of boxes) {
    expect(b.left, b.text).toBeGreaterThanOrEqual(0);
    expect(b.right, b.text).toBeLessThanOrEqual(width);
    expect(b.top, b.text).toBeGreaterThanOrEqual(0);
  }
}

describe('the chart of the seed run: marker labels never overlap', () => {
  it('labels every marked moment once, "fault injected" and the deployment’s calls at one instant included', () => {
    const svg = renderChart(guardedRun, { timeline: SEED }, 'seed-outage — with lbguard');
    expectLegible(svg, [
      'fault injected',
      'change ×3',
      'detected',
      'diagnosed',
      'remediated',
      '5xx alarm',
      'customers recovered',
      'verified',
    ]);
    // One marker line per moment, however the labels were grouped.
    expect(svg.match(/stroke-dasharray="4 3"/g)).toHaveLength(10);
  });

  it('joins a label moved aside to its marker with a leader line', () => {
    const svg = renderChart(guardedRun, { timeline: SEED }, 'seed-outage — with lbguard');
    const leaders = [...svg.matchAll(/<line class="leader" x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)"/g)];
    expect(leaders).toHaveLength(8);
    const labels = textBoxes(svg).filter((b) => b.cls === 'marker-label');
    for (const [, x1] of leaders) {
      expect(labels.some((b) => Math.abs((b.left + b.right) / 2 - Number(x1)) < 0.2)).toBe(true);
    }
  });

  it('keeps the labels of both panels of the side-by-side chart apart', () => {
    const svg = renderSideBySide(
      { run: guardedRun, analysis: { timeline: SEED } },
      { run: unguardedRun, analysis: { timeline: SEED_UNGUARDED } },
      'seed-outage — side by side',
    );
    expectLegible(svg, [
      'fault injected',
      'change ×3',
      'detected',
      'diagnosed',
      'remediated',
      '5xx alarm',
      'customers recovered',
      'verified',
      'fault injected',
      'change ×3',
      '5xx alarm',
    ]);
  });
});

describe('marker labels at random times', () => {
  const marker = fc.record({
    at: fc.integer({ min: -4_000, max: 60_000 }),
    label: fc.constantFrom(...MARKER_LABELS),
  });
  // Clustered instants are the hard case: many markers within a few pixels of each other.
  const clustered = fc.integer({ min: -4_000, max: 60_000 }).chain((centre) =>
    fc.array(
      fc.record({
        at: fc.integer({ min: centre - 300, max: centre + 300 }),
        label: fc.constantFrom(...MARKER_LABELS),
      }),
      { maxLength: 14 },
    ),
  );
  const timelines = fc
    .tuple(fc.array(marker, { maxLength: 14 }), clustered)
    .map(([spread, cluster]) => [...spread, ...cluster].map((m) => moment(m.at, m.label)));

  /** The labels a chart should print: one per kind of marker per pixel (chart.ts groups those). */
  function expectedLabels(svg: string): string[] {
    const lines = [
      ...svg.matchAll(
        /<line x1="([\d.]+)" x2="[\d.]+" y1="[\d.]+" y2="[\d.]+" stroke="[^"]+" stroke-dasharray="4 3"><title>-?[\d.]+ s ([^:]+):/g,
      ),
    ];
    return lines.map((m) => `${m[2]}@${m[1]}`);
  }

  it('never overlap, on the single chart', () => {
    fc.assert(
      fc.property(timelines, (timeline) => {
        const svg = renderChart(guardedRun, { timeline }, 'random');
        const { labels, headings } = labelsAndHeadings(svg);
        expect(overlaps([...labels, ...headings])).toEqual([]);
        for (const b of labels) expect(b.right).toBeLessThanOrEqual(svgWidth(svg));
        // Every marker kept a label: as many labels as distinct (kind, pixel) markers, at most.
        const kinds = new Set(expectedLabels(svg).map((k) => k.split('@')[0]));
        expect(new Set(labels.map((b) => b.text.replace(/ ×\d+$/, '')))).toEqual(kinds);
      }),
      { numRuns: 60 },
    );
  });

  it('never overlap, side by side', () => {
    fc.assert(
      fc.property(timelines, timelines, (a, b) => {
        const svg = renderSideBySide(
          { run: guardedRun, analysis: { timeline: a } },
          { run: unguardedRun, analysis: { timeline: b } },
          'random',
        );
        const { labels, headings } = labelsAndHeadings(svg);
        expect(overlaps([...labels, ...headings])).toEqual([]);
        expect(labels.length).toBeGreaterThanOrEqual(Math.min(1, a.length + b.length));
      }),
      { numRuns: 40 },
    );
  });

  it('layoutLabels keeps the labels of a row apart, in marker order, inside the bounds', () => {
    const request = fc.record({
      x: fc.double({ min: 0, max: 700, noNaN: true }),
      text: fc.constantFrom(...MARKER_LABELS),
    });
    fc.assert(
      fc.property(fc.array(request, { maxLength: 25 }), (labels) => {
        const { placed, rows } = layoutLabels(labels, { left: 0, right: 700 });
        expect(placed).toHaveLength(labels.length);
        expect(rows).toBe(labels.length === 0 ? 0 : Math.max(...placed.map((p) => p.row)) + 1);
        for (let row = 0; row < rows; row++) {
          const inRow = placed
            .map((p, i) => ({ ...p, marker: labels[i]?.x ?? 0, width: textWidth(labels[i]?.text ?? '') }))
            .filter((p) => p.row === row)
            .sort((a, b) => a.marker - b.marker);
          inRow.forEach((p, j) => {
            expect(p.x - p.width / 2).toBeGreaterThanOrEqual(-1e-9);
            expect(p.x + p.width / 2).toBeLessThanOrEqual(700 + 1e-9);
            const next = inRow[j + 1];
            if (next !== undefined)
              expect(p.x + p.width / 2 + 4).toBeLessThanOrEqual(next.x - next.width / 2 + 1e-9);
          });
        }
        // A label with the row to itself sits over its marker unless an edge pushes it.
        if (labels.length === 1) {
          const only = labels[0] ?? { x: 0, text: '' };
          const half = textWidth(only.text) / 2;
          expect(placed[0]?.x).toBeCloseTo(Math.min(700 - half, Math.max(half, only.x)));
        }
      }),
    );
  });
});

describe('the side-by-side chart', () => {
  const svg = renderSideBySide(
    { run: guardedRun, analysis: { timeline: SEED } },
    { run: unguardedRun, analysis: { timeline: SEED_UNGUARDED } },
    'seed-outage — with lbguard and without, side by side',
  );
  const panels = [
    ...svg.matchAll(
      /<g class="panel" data-run="(\w+)" data-from="(-?\d+)" data-to="(-?\d+)" data-y-max="(\d+)">([\s\S]*?)<\/g>/g,
    ),
  ];

  it('shows both runs, guarded first', () => {
    expect(panels.map((p) => p[1])).toEqual(['guarded', 'unguarded']);
    expect(svg).toContain('>with lbguard</text>');
    expect(svg).toContain('>without lbguard (unguarded)</text>');
    for (const p of panels) expect(p[5]?.match(/<path /g)).toHaveLength(Object.keys(TARGETS).length + 1);
  });

  it('puts both on one time axis and one y scale, tall enough for the worse run', () => {
    const [g, u] = panels;
    expect(g?.slice(2, 5)).toEqual(u?.slice(2, 5));
    const ticks = (body: string | undefined, cls: string) =>
      [...(body ?? '').matchAll(new RegExp(`class="${cls}"[^>]*>([^<]+)<`, 'g'))].map((m) => m[1]);
    expect(ticks(g?.[5], 'y-tick')).toEqual(ticks(u?.[5], 'y-tick'));
    expect(ticks(g?.[5], 'x-tick')).toEqual(ticks(u?.[5], 'x-tick'));
    // The unguarded run fails ~65% of 150 req/s, ~98 req/s: its own chart needs a y scale to 100.
    const alone = renderChart(unguardedRun, { timeline: SEED_UNGUARDED }, 'unguarded');
    const top = (s: string) =>
      Math.max(...[...s.matchAll(/class="y-tick"[^>]*>(\d+)</g)].map((m) => Number(m[1])));
    expect(Number(g?.[4])).toBe(top(alone));
    expect(top(renderChart(guardedRun, { timeline: SEED }, 'guarded'))).toBeLessThan(top(alone));
  });

  it('spans the longer of the two runs', () => {
    const short = run(false, () => false, 30_000);
    const both = renderSideBySide(
      { run: guardedRun, analysis: { timeline: [] } },
      { run: short, analysis: { timeline: [] } },
      't',
    );
    expect(both).toContain('data-from="-4000" data-to="60000"');
  });
});
