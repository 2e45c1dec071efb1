import { isFailure, type RelMs, type RunAnalysis, seconds } from './analysis.ts';
import type { ScenarioRun } from './run-types.ts';

// The drill's charts, hand-written SVG (no dependency, opens anywhere): per-target request rate
// and the customers' failure rate over time, a vertical marker per timeline moment, and the
// guarded and unguarded runs side by side on one time axis and one y scale. Marker labels are
// laid out in rows above the plot so that no two overlap, whatever instants they fall on.

/** What a chart reads of a run. */
export type ChartRun = Pick<
  ScenarioRun,
  'records' | 'targets' | 'faultAt' | 'loadStartedAt' | 'endedAt' | 'clock' | 'guarded'
>;
export type ChartAnalysis = Pick<RunAnalysis, 'timeline'>;

export interface ChartedRun {
  readonly run: ChartRun;
  readonly analysis: ChartAnalysis;
}

const FONT_SIZE = 11;
/**
 * Text is measured by estimate, erring wide: DejaVu Sans, one of the widest common sans faces,
 * averages 0.47–0.61 em per character over the marker labels; wide letters and capitals get more.
 */
const EM_PER_CHAR = 0.62;
const EM_PER_CAPITAL = 0.76;
const EM_PER_WIDE = 0.95;
/** Horizontal room kept between two labels in one row, and between a label and the edge. */
const LABEL_GAP = 4;
/** One row of labels: the font's height and room for descenders. */
const ROW_HEIGHT = FONT_SIZE + 5;
/** Title and subtitle above the label rows. */
const HEADER = 44;
const BUCKET_MS = 500;

const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#bcbd22', '#e377c2', '#7f7f7f'];
const FAILED = '#d62728';
const MARKER_COLOURS: Readonly<Record<string, string>> = {
  'fault injected': '#000000',
  change: '#555555',
  detected: '#ff7f0e',
  diagnosed: '#d62728',
  remediated: '#1f77b4',
  verified: '#2ca02c',
  escalated: '#9467bd',
  'customers recovered': '#2ca02c',
  '5xx alarm': '#e377c2',
};

/** The labels the charts draw a marker for. */
export const MARKER_LABELS: readonly string[] = Object.keys(MARKER_COLOURS);

/** Estimated width in px of `text` at `fontSize`, on the wide side so that estimates do not touch. */
export function textWidth(text: string, fontSize: number = FONT_SIZE): number {
  let em = 0;
  for (const c of text)
    em += /[MWmw@%]/.test(c) ? EM_PER_WIDE : /[A-Z]/.test(c) ? EM_PER_CAPITAL : EM_PER_CHAR;
  return em * fontSize;
}

export interface LabelRequest {
  /** Where the label's marker is, in px. */
  readonly x: number;
  readonly text: string;
}

export interface PlacedLabel {
  /** The label's centre, in px; a leader line joins it to its marker when they differ. */
  readonly x: number;
  /** 0 is the row nearest the plot. */
  readonly row: number;
}

/**
 * Places the labels in as few rows as fit the width, each row in marker order and each label as
 * close to its marker as its neighbours allow: a label that cannot sit over its marker moves
 * aside and is joined to it by a leader line. Labels at one instant sit next to each other; too
 * many for one row go round-robin into more rows. Labels are kept inside [left, right]. Returns
 * one placement per request, in the order given.
 */
export function layoutLabels(
  labels: readonly LabelRequest[],
  bounds: { readonly left: number; readonly right: number },
): { readonly placed: readonly PlacedLabel[]; readonly rows: number } {
  const order = labels
    .map((label, i) => ({ i, x: label.x, width: textWidth(label.text) }))
    .sort((a, b) => a.x - b.x || a.i - b.i);
  const room = bounds.right - bounds.left;
  const fits = (row: readonly { width: number }[]) =>
    row.reduce((sum, l) => sum + l.width, 0) + LABEL_GAP * Math.max(0, row.length - 1) <= room;
  let rows = 1;
  const rowOf = (k: number) => order.filter((_, j) => j % rows === k);
  while (rows < order.length && !Array.from({ length: rows }, (_, k) => rowOf(k)).every(fits)) rows++;
  const placed: PlacedLabel[] = new Array(labels.length);
  for (let row = 0; row < rows; row++) {
    const members = rowOf(row).map((l) => ({ ...l, left: l.x - l.width / 2 }));
    // Left to right, each as near its marker as the one before allows; then right to left, back
    // inside the right edge. The row fits, so the first label stays inside the left edge.
    let floor = bounds.left;
    for (const l of members) {
      l.left = Math.max(l.left, floor);
      floor = l.left + l.width + LABEL_GAP;
    }
    let ceiling = bounds.right;
    for (const l of members.toReversed()) {
      l.left = Math.min(l.left, ceiling - l.width);
      ceiling = l.left - LABEL_GAP;
    }
    for (const l of members) placed[l.i] = { x: l.left + l.width / 2, row };
  }
  return { placed, rows: order.length === 0 ? 0 : rows };
}

function escapeXml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** Requests served per target and failed, per 500 ms bucket, over [from, to) ms since the fault. */
interface Series {
  readonly from: RelMs;
  readonly to: RelMs;
  readonly targets: readonly string[];
  readonly byTarget: ReadonlyMap<string, readonly number[]>;
  readonly failures: readonly number[];
}

/** From 4 s before the fault (or the load's start) to the end of the run. */
function seriesOf(run: ChartRun): Series {
  const from = Math.max(run.loadStartedAt, run.faultAt - 4_000) - run.faultAt;
  const to = Math.max(from + BUCKET_MS, run.endedAt - run.faultAt);
  const n = Math.max(1, Math.floor((to - from) / BUCKET_MS));
  const targets = Object.keys(run.targets);
  const byTarget = new Map<string, number[]>(targets.map((t) => [t, new Array<number>(n).fill(0)]));
  const failures = new Array<number>(n).fill(0);
  for (const r of run.records) {
    const i = Math.floor((r.at - run.faultAt - from) / BUCKET_MS);
    if (i < 0 || i >= n) continue;
    if (isFailure(r)) failures[i] = (failures[i] ?? 0) + 1;
    else if (r.servedBy !== undefined) {
      const s = byTarget.get(r.servedBy);
      if (s !== undefined) s[i] = (s[i] ?? 0) + 1;
    }
  }
  return { from, to, targets, byTarget, failures };
}

const PER_SECOND = 1000 / BUCKET_MS;

/** A y scale with round ticks that holds the highest rate of every series given. */
function yMaxOf(series: readonly Series[]): number {
  const peak = Math.max(0, ...series.flatMap((s) => [...s.byTarget.values(), s.failures].flat()));
  return Math.max(10, Math.ceil((peak * PER_SECOND) / 25) * 25);
}

/** Where one plot sits on the canvas and what it shows. */
interface Frame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly from: RelMs;
  readonly to: RelMs;
  readonly yMax: number;
}

const xOf = (f: Frame, rel: RelMs) => f.left + ((rel - f.from) / (f.to - f.from)) * f.width;
const yOf = (f: Frame, v: number) => f.top + f.height - (v / f.yMax) * f.height;

function axes(f: Frame, factor: number): string[] {
  const parts: string[] = [];
  for (let v = 0; v <= f.yMax; v += f.yMax / 5) {
    const y = yOf(f, v).toFixed(1);
    parts.push(
      `<line x1="${f.left}" x2="${f.left + f.width}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text class="y-tick" x="${f.left - 6}" y="${(yOf(f, v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${Math.round(v)}</text>`,
    );
  }
  const span = (f.to - f.from) / 1000;
  const step = span > 40 ? 10_000 : span > 16 ? 5_000 : 2_000;
  const bottom = f.top + f.height;
  for (let t = Math.ceil(f.from / step) * step; t <= f.to; t += step) {
    const x = xOf(f, t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}" stroke="#555"/>`,
      `<text class="x-tick" x="${x}" y="${bottom + 16}" text-anchor="middle" fill="#555">${t / 1000}s</text>`,
    );
  }
  parts.push(
    `<text x="${f.left + f.width / 2}" y="${bottom + 34}" text-anchor="middle" fill="#555">drill seconds since the fault (1 s = ${factor} AWS s)</text>`,
    `<rect x="${f.left}" y="${f.top}" width="${f.width}" height="${f.height}" fill="none" stroke="#999"/>`,
  );
  return parts;
}

function pathOf(f: Frame, s: Series, values: readonly number[]): string {
  return values
    .map(
      (v, i) =>
        `${i === 0 ? 'M' : 'L'}${xOf(f, s.from + (i + 0.5) * BUCKET_MS).toFixed(1)},${yOf(f, v * PER_SECOND).toFixed(1)}`,
    )
    .join(' ');
}

function lines(f: Frame, s: Series): string[] {
  return [
    ...s.targets.map(
      (t, i) =>
        `<path d="${pathOf(f, s, s.byTarget.get(t) ?? [])}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.6"/>`,
    ),
    `<path class="failed" d="${pathOf(f, s, s.failures)}" fill="none" stroke="${FAILED}" stroke-width="2.4"/>`,
  ];
}

/** One entry per target and one for failed requests, from (x, y) down. */
function legend(run: ChartRun, s: Series, x: number, y: number): string[] {
  const entries = [
    ...s.targets.map((t, i) => ({
      colour: PALETTE[i % PALETTE.length] ?? '#333',
      text: `${run.targets[t] ?? ''} ${t}`,
      width: 2,
    })),
    { colour: FAILED, text: 'failed requests', width: 2.4 },
  ];
  return entries.flatMap((e, i) => {
    const ly = y + i * 16;
    return [
      `<line x1="${x}" x2="${x + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${e.colour}" stroke-width="${e.width}"/>`,
      `<text x="${x + 22}" y="${ly}">${escapeXml(e.text)}</text>`,
    ];
  });
}

/** One label for the markers of one kind that fall on the same pixel (three calls of one deployment). */
interface MarkerGroup {
  readonly x: number;
  readonly label: string;
  readonly text: string;
}

/** The timeline moments a chart marks: those with a colour, inside the frame's time span. */
function markersOf(analysis: ChartAnalysis, f: Frame) {
  return analysis.timeline.filter(
    (t) => MARKER_COLOURS[t.label] !== undefined && t.at >= f.from && t.at <= f.to,
  );
}

function groupsOf(analysis: ChartAnalysis, f: Frame): MarkerGroup[] {
  const groups: { x: number; label: string; count: number }[] = [];
  for (const mk of markersOf(analysis, f)) {
    const x = xOf(f, mk.at);
    const same = groups.find((g) => g.label === mk.label && Math.abs(g.x - x) < 1);
    if (same === undefined) groups.push({ x, label: mk.label, count: 1 });
    else same.count++;
  }
  return groups.map((g) => ({ ...g, text: g.count === 1 ? g.label : `${g.label} ×${g.count}` }));
}

/** The markers' labels laid out within `bounds`, and the rows they take. */
function layoutFor(analysis: ChartAnalysis, f: Frame, bounds: { left: number; right: number }) {
  const groups = groupsOf(analysis, f);
  return { groups, ...layoutLabels(groups, bounds) };
}

/** Room between the lowest row of labels and the plot, for the leader lines. */
const LEADER_BAND = 16;
/** How far below its baseline a label's box reaches (descenders). */
const DESCENT = 3;

/** The rows of labels above a plot take this much height. */
const labelRowsHeight = (rows: number) => LEADER_BAND + rows * ROW_HEIGHT;

function markers(f: Frame, analysis: ChartAnalysis, layout: ReturnType<typeof layoutFor>): string[] {
  const lines = markersOf(analysis, f).map((mk) => {
    const colour = MARKER_COLOURS[mk.label] ?? '#000';
    const px = xOf(f, mk.at).toFixed(1);
    return `<line x1="${px}" x2="${px}" y1="${f.top}" y2="${f.top + f.height}" stroke="${colour}" stroke-dasharray="4 3"><title>${escapeXml(`${seconds(mk.at)} ${mk.label}: ${mk.detail}`)}</title></line>`;
  });
  const labels = layout.groups.map((g, i) => {
    const colour = MARKER_COLOURS[g.label] ?? '#000';
    const place = layout.placed[i] ?? { x: g.x, row: 0 };
    const bottom = f.top - LEADER_BAND - place.row * ROW_HEIGHT;
    const width = textWidth(g.text);
    return {
      leader: `<line class="leader" x1="${place.x.toFixed(1)}" y1="${bottom}" x2="${g.x.toFixed(1)}" y2="${f.top}" stroke="${colour}" stroke-width="0.8"/>`,
      // A white ground, so a leader from a higher row passing behind a label does not cross its text.
      text: [
        `<rect x="${(place.x - width / 2).toFixed(1)}" y="${bottom - ROW_HEIGHT + 2}" width="${width.toFixed(1)}" height="${ROW_HEIGHT - 2}" fill="#ffffff"/>`,
        `<text class="marker-label" x="${place.x.toFixed(1)}" y="${bottom - DESCENT}" text-anchor="middle" font-size="${FONT_SIZE}" fill="${colour}">${escapeXml(g.text)}</text>`,
      ],
    };
  });
  return [...lines, ...labels.map((l) => l.leader), ...labels.flatMap((l) => l.text)];
}

const svgOpen = (width: number, height: number) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="${FONT_SIZE}">`;

const SUBTITLE =
  'requests per second served by each target, and failed customer requests (red), 500 ms buckets; t = 0 at the fault';

/**
 * Per-target request rate (req/s in 500 ms buckets) and the customers' failure rate over time,
 * with a vertical marker per timeline moment and its label above the plot.
 */
export function renderChart(run: ChartRun, analysis: ChartAnalysis, title: string): string {
  const width = 960;
  const m = { left: 56, right: 200, bottom: 44 };
  const plotW = width - m.left - m.right;
  const plotH = 316;
  const s = seriesOf(run);
  const draft: Frame = {
    left: m.left,
    top: 0,
    width: plotW,
    height: plotH,
    from: s.from,
    to: s.to,
    yMax: yMaxOf([s]),
  };
  const bounds = { left: LABEL_GAP, right: width - LABEL_GAP };
  const rows = Math.max(1, layoutFor(analysis, draft, bounds).rows);
  const f: Frame = { ...draft, top: HEADER + labelRowsHeight(rows) };
  const height = f.top + plotH + m.bottom;
  return `${[
    svgOpen(width, height),
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${m.left}" y="36" fill="#555">${SUBTITLE}</text>`,
    ...axes(f, run.clock.factor),
    ...markers(f, analysis, layoutFor(analysis, f, bounds)),
    ...lines(f, s),
    ...legend(run, s, m.left + plotW + 12, f.top + 14),
    '</svg>',
  ].join('\n')}\n`;
}

/**
 * The guarded and the unguarded run of one scenario side by side, on the same time axis (ms since
 * each run's fault) and the same y scale, so the two outages compare at a glance.
 */
export function renderSideBySide(guarded: ChartedRun, unguarded: ChartedRun, title: string): string {
  const panelW = 460;
  const plotH = 300;
  const m = { left: 56, gap: 40, bottom: 44 };
  const width = m.left + panelW + m.gap + m.left + panelW + 16;
  const runs = [guarded, unguarded].map((r) => ({ ...r, series: seriesOf(r.run) }));
  const from = Math.min(...runs.map((r) => r.series.from));
  const to = Math.max(...runs.map((r) => r.series.to));
  const yMax = yMaxOf(runs.map((r) => r.series));
  const panels = runs.map((r, i) => {
    const left = m.left + i * (panelW + m.gap + m.left);
    const frame: Frame = { left, top: 0, width: panelW, height: plotH, from, to, yMax };
    // Each panel's labels stay over its own plot, clear of the other panel's.
    const bounds = { left: left - m.left / 2, right: left + panelW + m.gap / 2 - LABEL_GAP };
    return { ...r, frame, bounds, rows: layoutFor(r.analysis, frame, bounds).rows };
  });
  const rows = Math.max(1, ...panels.map((p) => p.rows));
  const top = HEADER + ROW_HEIGHT + labelRowsHeight(rows);
  const legendRows = Math.max(...panels.map((p) => p.series.targets.length + 1));
  const height = top + plotH + m.bottom + 8 + legendRows * 16;
  const parts = [
    svgOpen(width, height),
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${m.left}" y="36" fill="#555">${SUBTITLE}; same time axis and y scale</text>`,
  ];
  for (const p of panels) {
    const f: Frame = { ...p.frame, top };
    const name = p.run.guarded ? 'with lbguard' : 'without lbguard (unguarded)';
    parts.push(
      `<g class="panel" data-run="${p.run.guarded ? 'guarded' : 'unguarded'}" data-from="${from}" data-to="${to}" data-y-max="${yMax}">`,
      `<text class="panel-title" x="${f.left}" y="${HEADER + 12}" font-weight="600">${name}</text>`,
      ...axes(f, p.run.clock.factor),
      ...markers(f, p.analysis, layoutFor(p.analysis, f, p.bounds)),
      ...lines(f, p.series),
      ...legend(p.run, p.series, f.left, top + plotH + m.bottom + 8),
      '</g>',
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
