import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PostmortemOptions, renderPostmortem } from '../lib/postmortem.ts';
import {
  awsEquivalent,
  awsIsoOfReal,
  type Check,
  measureTargets,
  percent,
  type RelMs,
  type RunAnalysis,
  seconds,
  type TargetFigures,
} from './analysis.ts';
import { detectionRatio } from './baseline-alarm.ts';
import { renderChart, renderSideBySide } from './chart.ts';
import type { ScenarioRun } from './run-types.ts';
import type { Scenario } from './scenarios/types.ts';
import { REAL_CLOCK_CLOUDTRAIL_DELAY_SECONDS } from './world/clock.ts';

// The drill's outputs: report.md (every scenario: timeline, MTTD/MTTR, root cause with evidence,
// ELBv2 writes, guarded vs unguarded), postmortem.md (lbguard's own incident, as lbguard drafts
// it), one SVG chart per run (per-target request rate over time with the timeline's markers,
// chart.ts) and one of the guarded and unguarded runs side by side, and the summary table
// printed on stdout.

export interface AnalysedRun {
  readonly run: ScenarioRun;
  readonly analysis: RunAnalysis;
}

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly guarded: AnalysedRun;
  readonly unguarded?: AnalysedRun;
  readonly checks: readonly Check[];
  readonly ok: boolean;
  readonly targets?: TargetFigures;
}

/** Builds a result from its runs and checks. */
export function toResult(
  scenario: Scenario,
  guarded: AnalysedRun,
  unguarded: AnalysedRun | undefined,
  checks: readonly Check[],
): ScenarioResult {
  return {
    scenario,
    guarded,
    ...(unguarded === undefined ? {} : { unguarded }),
    checks,
    ok: checks.every((c) => c.ok),
    targets: measureTargets(guarded.analysis, unguarded?.analysis),
  };
}

function dur(ms: RelMs | undefined, factor: number): string {
  return ms === undefined ? '—' : `${seconds(ms)} (${awsEquivalent(ms, factor)})`;
}

/** The table printed on stdout and at the top of report.md. */
export function renderSummaryTable(results: readonly ScenarioResult[]): string {
  const head = [
    'scenario',
    'result',
    'cause',
    'MTTD',
    '5xx alarm',
    'MTTD ÷ alarm',
    'MTTR',
    'failed (guarded)',
    'failed (unguarded)',
    'ELBv2 writes',
  ];
  const rows = results.map((r) => {
    const a = r.guarded.analysis;
    const mttr = a.noImpact
      ? 'no impact'
      : a.recovered === undefined
        ? 'not recovered'
        : seconds(a.recovered);
    return [
      r.scenario.name,
      r.ok ? 'PASS' : 'FAIL',
      a.cause ?? 'none',
      a.detected === undefined ? '—' : seconds(a.detected),
      a.baselineAlarm.firedAt === undefined ? 'never' : seconds(a.baselineAlarm.firedAt),
      detectionRatio(a.detected, a.baselineAlarm),
      mttr,
      `${a.failedAfterFault}/${a.requestsAfterFault}`,
      r.unguarded === undefined
        ? '—'
        : `${r.unguarded.analysis.failedAfterFault}/${r.unguarded.analysis.requestsAfterFault}`,
      String(r.guarded.run.writes.length),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function mdTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const esc = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
}

function renderTargets(t: TargetFigures): string[] {
  const row = (
    name: string,
    f: { readonly ok: boolean; readonly measured: string } | undefined,
  ): string[] => [name, f === undefined ? 'not measured' : f.ok ? 'met' : 'NOT met', f?.measured ?? '—'];
  return mdTable(
    ['target', 'status', 'measured'],
    [
      row('detection within one inspect period of the change', t.detectionWithinOnePeriod),
      row('rebalanced and 5xx back to baseline within three periods', t.recoveredWithinThreePeriods),
      row('failed customer requests with lbguard ≤ 5% of unguarded', t.failedAtMost5Percent),
    ],
  );
}

function renderScenario(r: ScenarioResult, chartFiles: readonly string[]): string[] {
  const a = r.guarded.analysis;
  const run = r.guarded.run;
  const f = a.factor;
  const lines = [
    `## ${r.scenario.name}: ${r.scenario.title} — ${r.ok ? 'PASS' : 'FAIL'}`,
    '',
    r.scenario.story,
    '',
    ...chartFiles.map((file) => `![${file}](${file})`),
    '',
    '### Expectations',
    '',
    ...mdTable(
      ['check', 'result', 'detail'],
      r.checks.map((c) => [c.name, c.ok ? 'pass' : 'FAIL', c.detail]),
    ),
    '',
    '### Figures',
    '',
    ...mdTable(
      ['', 'drill', 'AWS equivalent'],
      [
        ['first symptom', ...pair(a.firstSymptom, f)],
        ['detected (MTTD)', ...pair(a.detected, f)],
        ['5xx alarm would fire (baseline)', ...pair(a.baselineAlarm.firedAt, f)],
        ['diagnosed', ...pair(a.diagnosed, f)],
        ['remediated (plan applied)', ...pair(a.remediated, f)],
        ['verified', ...pair(a.verified, f)],
        ['escalated', ...pair(a.escalated, f)],
        ['customers recovered (MTTR)', ...(a.noImpact ? ['no impact', '—'] : pair(a.recovered, f))],
        ['traffic rebalanced', ...pair(a.rebalanced, f)],
      ],
    ),
    '',
    alarmSentence(a),
    '',
    `Customer requests after the fault: ${a.failedAfterFault} failed of ${a.requestsAfterFault} (${percent(a.failedAfterFault, a.requestsAfterFault)}); baseline failure rate ${(100 * a.baselineFailureRate).toFixed(2)}%.`,
  ];
  if (r.unguarded !== undefined) {
    const u = r.unguarded.analysis;
    lines.push(
      '',
      '### With lbguard vs without',
      '',
      ...mdTable(
        ['', 'with lbguard', 'without (unguarded, same invocation)'],
        [
          [
            'failed customer requests',
            `${a.failedAfterFault} of ${a.requestsAfterFault}`,
            `${u.failedAfterFault} of ${u.requestsAfterFault}`,
          ],
          [
            'failure rate',
            percent(a.failedAfterFault, a.requestsAfterFault),
            percent(u.failedAfterFault, u.requestsAfterFault),
          ],
          [
            '5xx alarm would fire',
            dur(a.baselineAlarm.firedAt, f),
            u.baselineAlarm.firedAt === undefined ? 'never' : dur(u.baselineAlarm.firedAt, f),
          ],
          [
            'customers recovered',
            dur(a.recovered, f),
            u.recovered === undefined ? 'never (in the run)' : dur(u.recovered, f),
          ],
        ],
      ),
      '',
      `With lbguard, customers saw ${percent(a.failedAfterFault, u.failedAfterFault)} of the failures they saw without it.`,
    );
  }
  if (
    r.targets !== undefined &&
    (r.scenario.compareUnguardedByDefault === true || r.unguarded !== undefined)
  ) {
    lines.push('', '### Targets', '', ...renderTargets(r.targets));
  }
  lines.push('', '### Timeline', '');
  lines.push(
    ...mdTable(
      ['t (drill)', 'AWS', 'what', 'detail'],
      a.timeline.map((m) => [seconds(m.at), awsEquivalent(m.at, f), m.label, m.detail]),
    ),
  );
  lines.push('', '### Root cause and evidence', '');
  if (a.incident === undefined) {
    lines.push('lbguard opened no incident.');
  } else {
    lines.push(`**${a.cause ?? 'not diagnosed'}** — ${a.incident.diagnosis?.summary ?? ''}`, '');
    lines.push(...a.evidence.map((e) => `- ${e}`));
  }
  lines.push('', '### ELBv2 writes made by lbguard', '');
  lines.push(
    ...(run.writes.length === 0
      ? ['None.']
      : mdTable(
          ['t (drill)', 'call', 'what'],
          run.writes.map((w) => [seconds(w.at - run.faultAt), w.op, w.detail]),
        )),
  );
  if (a.laterIncidents.length > 0) {
    lines.push(
      '',
      '### Noise after the incident',
      '',
      ...a.laterIncidents.map(
        (i) => `- ${i.id}: ${i.state} — ${i.diagnosis?.cause ?? 'unknown'}: ${i.diagnosis?.summary ?? ''}`,
      ),
    );
  }
  if (run.lastGood.length > 0) {
    lines.push('', '### Last known good', '');
    lines.push(
      ...run.lastGood.map(
        (l) =>
          `- ${seconds(l.at - run.faultAt)}: ${l.hash.slice(0, 12)} promoted ${l.how === 'soak' ? 'by the soak' : 'explicitly'} — ${l.reason}`,
      ),
    );
  }
  lines.push('');
  return lines;
}

/** What the baseline alarm is and how lbguard's detection compares with it. */
function alarmSentence(a: RunAnalysis): string {
  const alarm = a.baselineAlarm;
  const what = `The alarm most teams would otherwise rely on (CloudWatch, HTTPCode_ELB_5XX_Count or HTTPCode_Target_5XX_Count > ${alarm.spec.threshold}, Sum over ${alarm.spec.periodAwsMs / 1000} s, 1 of 1 datapoints; replayed on this run's own requests, firing at the end of the breaching minute, its best case)`;
  const falseAlarms =
    alarm.falseAlarmsBeforeFault === 0
      ? ''
      : ` It would also have fired ${alarm.falseAlarmsBeforeFault} time(s) in the healthy traffic before the fault.`;
  if (alarm.firedAt === undefined) return `${what} would never have fired.${falseAlarms}`;
  const ratio = detectionRatio(a.detected, alarm);
  return `${what} would have fired ${seconds(alarm.firedAt)} (${awsEquivalent(alarm.firedAt, a.factor)}) after the fault${ratio === '—' ? '' : `; lbguard's detection took ${ratio} that time`}.${falseAlarms}`;
}

function pair(ms: RelMs | undefined, factor: number): [string, string] {
  return ms === undefined ? ['—', '—'] : [seconds(ms), awsEquivalent(ms, factor)];
}

/** report.md for every scenario run in one invocation. */
export function renderReport(
  results: readonly ScenarioResult[],
  charts: ReadonlyMap<string, readonly string[]>,
  meta: { readonly startedAt: string; readonly factor: number; readonly rate: number },
): string {
  const failed = results.filter((r) => !r.ok);
  const time =
    meta.factor === 1
      ? `Time is real (--real-clock): inspect runs every minute, a probe round every 10 s, HAProxy's health checks at the target groups' configured interval and thresholds, CloudTrail events reach lbguard ${REAL_CLOCK_CLOUDTRAIL_DELAY_SECONDS} s after the call; every figure is wall-clock seconds. Customer traffic: ${meta.rate} req/s.`
      : `Time is compressed: one drill second stands for ${meta.factor} AWS seconds (the 1-minute inspect and probe schedules tick every drill second; ALB health checks run ${meta.factor}× faster). Customer traffic is not compressed: ${meta.rate} req/s in the drill is ${meta.rate} req/s. lbguard's own processing time (moto round trips under load) is not compressed either, so every lbguard step here costs ${meta.factor}× more AWS-equivalent time than it would in AWS.`;
  const lines = [
    '# lbguard drill report',
    '',
    `Run ${meta.startedAt}. ${time}`,
    '',
    `${results.length - failed.length} of ${results.length} scenarios met their expectations.`,
    '',
    '```',
    renderSummaryTable(results),
    '```',
    '',
    'MTTD: fault injected → lbguard detects (incident suspected). 5xx alarm: when a CloudWatch alarm on the load balancer’s 5xx count (ELB or target, > 0 in a one-minute period, one datapoint) would have fired on the same traffic; MTTD ÷ alarm below 1 means lbguard knew first. MTTR: fault injected → customers’ failure rate back to the baseline for good. Failed requests: 5xx or no answer, from the fault to the end of the run.',
    '',
  ];
  for (const r of results) lines.push(...renderScenario(r, charts.get(r.scenario.name) ?? []));
  return `${lines.join('\n')}\n`;
}

/** What lbguard did in a run, minus the customer records: for digging into a surprising figure. */
function traceOf(run: ScenarioRun): Record<string, unknown> {
  const rel = (at: number) => Math.round(at - run.faultAt);
  return {
    scenario: run.scenario,
    note: 'times are drill ms since the fault',
    marks: run.marks.map((m) => ({ ...m, at: rel(m.at) })),
    inspections: run.inspections.map((i) => ({ ...i, startedAt: rel(i.startedAt), endedAt: rel(i.endedAt) })),
    remediations: run.remediations.map((r) => ({
      ...r,
      requestedAt: rel(r.requestedAt),
      endedAt: rel(r.endedAt),
    })),
    writes: run.writes.map((w) => ({ ...w, at: rel(w.at) })),
    notifications: run.notifications.map((n) => ({ ...n, at: rel(n.at) })),
    lastGood: run.lastGood.map((l) => ({ ...l, at: rel(l.at) })),
    fleet: run.fleetEvents.map((e) => ({ ...e, at: rel(e.at) })),
    incidents: run.incidents,
    errors: run.errors,
    ...(run.dataPlane === undefined
      ? {}
      : {
          dataPlane: {
            following: run.dataPlane.following,
            armedAt: rel(run.dataPlane.armedAt),
            changes: run.dataPlane.changes
              .filter((c) => c.appliedAt >= run.faultAt)
              .map((c) => ({ ...c, readStartedAt: rel(c.readStartedAt), appliedAt: rel(c.appliedAt) })),
          },
        }),
  };
}

/** The drill's measures for a postmortem: its customers' failures and when they stopped. */
function postmortemOptions(r: ScenarioResult): PostmortemOptions {
  const a = r.guarded.analysis;
  const u = r.unguarded?.analysis;
  const impact = `${a.failedAfterFault} of ${a.requestsAfterFault} customer requests failed in the drill${u === undefined ? '' : ` (${u.failedAfterFault} of ${u.requestsAfterFault} in the same scenario without lbguard)`}`;
  const run = r.guarded.run;
  return a.noImpact || a.recovered === undefined
    ? { impact }
    : { impact, recoveredAt: awsIsoOfReal(run, run.faultAt + a.recovered) };
}

/** Writes report.md, postmortem.md (and one per scenario with an incident) and the charts into `dir`. */
export async function writeReport(
  dir: string,
  results: readonly ScenarioResult[],
  meta: { readonly startedAt: string; readonly factor: number; readonly rate: number },
): Promise<{ readonly files: readonly string[] }> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const charts = new Map<string, string[]>();
  for (const r of results) {
    const names: string[] = [];
    const runs: [AnalysedRun, string][] = [[r.guarded, `${r.scenario.name}.svg`]];
    if (r.unguarded !== undefined) runs.push([r.unguarded, `${r.scenario.name}-unguarded.svg`]);
    for (const [ar, file] of runs) {
      const title = `${r.scenario.name} — ${ar.run.guarded ? 'with lbguard' : 'without lbguard (unguarded)'}`;
      await writeFile(join(dir, file), renderChart(ar.run, ar.analysis, title));
      names.push(file);
      files.push(join(dir, file));
    }
    if (r.unguarded !== undefined) {
      const file = `${r.scenario.name}-side-by-side.svg`;
      const title = `${r.scenario.name} — with lbguard and without, side by side`;
      await writeFile(join(dir, file), renderSideBySide(r.guarded, r.unguarded, title));
      names.push(file);
      files.push(join(dir, file));
    }
    charts.set(r.scenario.name, names);
    const trace = join(dir, `${r.scenario.name}-trace.json`);
    await writeFile(trace, `${JSON.stringify(traceOf(r.guarded.run), null, 2)}\n`);
    files.push(trace);
    const incident = r.guarded.analysis.incident;
    if (incident?.timeline.some((e) => e.to === 'confirmed')) {
      const file = join(dir, `postmortem-${r.scenario.name}.md`);
      await writeFile(file, renderPostmortem(incident, postmortemOptions(r)));
      files.push(file);
    }
  }
  // postmortem.md: lbguard's own incident for the first scenario that had one (the seed by default).
  const first = results.find((r) => r.guarded.analysis.incident?.timeline.some((e) => e.to === 'confirmed'));
  if (first?.guarded.analysis.incident !== undefined) {
    const file = join(dir, 'postmortem.md');
    await writeFile(file, renderPostmortem(first.guarded.analysis.incident, postmortemOptions(first)));
    files.push(file);
  }
  const report = join(dir, 'report.md');
  await writeFile(report, renderReport(results, charts, meta));
  files.unshift(report);
  return { files };
}
