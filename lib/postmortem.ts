/**
 * Drafts a postmortem from an incident's timeline, in the shape of the team's reference
 * postmortem (`reference-postmortem.md`): issue summary, timeline, root cause and resolution,
 * corrective and preventative measures. A draft for humans to finish, so every claim in it is
 * taken from the incident record and the evidence is quoted verbatim.
 *
 * It is meant to be read, so it says each thing once: the summary in the issue summary, the
 * evidence in the root cause, the plan in the resolution, and in the timeline only what each
 * entry adds to those (test/unit/postmortem-facts.test.ts holds it to the facts of the old,
 * repetitive draft of the seed outage).
 */
import type { AccessLogDistribution } from './access-logs.ts';
import type { Incident, IncidentState, TimelineEntry } from './incident.ts';
import { type DistributionUnavailable, renderDistribution } from './postmortem/distribution.ts';
import { renderMeasures } from './postmortem/measures.ts';
import { formatClock, formatDateTime, formatLength, formatStamp } from './postmortem/time.ts';
import type { Diagnosis, RootCause } from './types.ts';

export type { DistributionUnavailable } from './postmortem/distribution.ts';

export interface PostmortemOptions {
  readonly title?: string;
  readonly impact?: string;
  /**
   * The real per-target distribution of the incident window (ALB access logs), rendered as a
   * table under the issue summary; or why there is none, in one line. Absent: neither.
   */
  readonly distribution?: AccessLogDistribution | DistributionUnavailable;
  /**
   * When customers' requests stopped failing, where that was measured (the drill measures it on
   * its own traffic): the end of the outage. Absent: the incident's close (verified or recovered).
   */
  readonly recoveredAt?: string;
}

/** Renders `incident` as a Markdown postmortem. Open incidents say "ongoing". */
export function renderPostmortem(incident: Incident, opts: PostmortemOptions = {}): string {
  const diagnosis = incident.diagnosis;
  const cause: RootCause = diagnosis?.cause ?? 'unknown';
  const title = opts.title ?? `${incident.service}: ${TITLES[cause]}`;
  const resolution = renderResolution(incident);
  // Lines the later sections print: the timeline leaves them to those sections.
  const told = new Set([...(diagnosis?.evidence ?? []), ...resolution.bullets]);
  const lines = [
    `# Postmortem: ${title}`,
    '',
    '## Issue Summary',
    ...renderDuration(incident, opts.recoveredAt),
    `- **Impact**: ${opts.impact ?? describeImpact(diagnosis)}`,
    `- **Root Cause**: ${diagnosis?.summary ?? 'not diagnosed'}`,
    ...renderDistribution(opts.distribution),
    '',
    '## Timeline',
    ...renderTimeline(incident, told, resolution.fullPlan),
    '',
    '## Root Cause and Resolution',
    ...renderRootCause(diagnosis),
    ...resolution.lines,
    '',
    '## Corrective and Preventative Measures',
    ...renderMeasures(cause, incident.service),
    '',
  ];
  return lines.join('\n');
}

const TITLES: Readonly<Record<RootCause, string>> = {
  healthy: 'no fault found',
  'routing-skew': 'load balancer routing concentrated traffic on too few targets',
  'missing-targets': 'load balancer forwarded traffic to a target group missing its targets',
  'listener-drift': 'load balancer listener configuration drifted from last known good',
  'no-healthy-targets': 'no healthy targets behind the load balancer',
  'single-survivor': 'all traffic piled on the last healthy target while the others failed health checks',
  'targets-unhealthy-balanced': 'targets failing health checks behind balanced routing',
  'backend-errors-balanced': 'backend errors behind a correctly balanced load balancer',
  'lb-protecting': 'the load balancer steered traffic away from a target or zone on purpose',
  'data-plane-not-following': 'the load balancer accepted a configuration its data plane did not follow',
  unknown: 'failing probes with no identified cause',
  'state-integrity': "lbguard's own state failed its integrity check, so it did not act",
};

function describeImpact(diagnosis: Diagnosis | undefined): string {
  switch (diagnosis?.severity) {
    case 'critical':
      return 'Customers were affected: probes failed or the 5xx rate crossed the error threshold (evidence below).';
    case 'warning':
      return 'No customer-facing errors were detected; routing was at risk and was caught before probes failed.';
    case 'info':
    case undefined:
      return 'No customer impact detected.';
  }
}

/** One moment of the outage the duration line marks, relative to its start. */
interface Mark {
  readonly label: string;
  readonly at: string;
}

/**
 * The duration runs from the fault — the first configuration change that explains a
 * load-balancer fault — to recovery; without such a change, from the first detection. The
 * second line marks detection, remediation and verification against that start.
 */
function renderDuration(incident: Incident, recoveredAt: string | undefined): string[] {
  const detectedAt = incident.timeline[0]?.at ?? incident.openedAt;
  const change = incident.diagnosis?.lbFault === true ? incident.diagnosis.firstChange : undefined;
  // A change stamped after the detection belongs to a later observation, not to the start.
  const fault =
    change !== undefined && !(Date.parse(change.at) > Date.parse(detectedAt)) ? change : undefined;
  const start = fault?.at ?? detectedAt;
  const day = start.slice(0, 10);
  const from =
    fault === undefined
      ? `the first detection at ${formatDateTime(start)}`
      : `the fault at ${formatDateTime(start)} (${fault.eventName} by ${fault.principal}, the first change)`;
  const end = recoveredAt ?? incident.closedAt;
  const marks: Mark[] = [
    ...(fault === undefined ? [] : [{ label: 'detected', at: detectedAt }]),
    ...markOf(incident, 'remediated', (e) => e.to === 'verifying'),
    ...markOf(incident, 'verified', (e) => e.from === 'verifying' && e.to === 'resolved'),
    ...markOf(incident, 'escalated', (e) => e.to === 'escalated' && e.from !== e.to),
    ...(recoveredAt === undefined ? [] : [{ label: 'customers recovered', at: recoveredAt }]),
  ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const escalated =
    incident.state === 'escalated' ? `, escalated to humans at ${formatClock(incident.updatedAt)}` : '';
  const duration =
    end === undefined
      ? `- **Duration**: from ${from} to now: ongoing (${incident.state}${escalated})`
      : `- **Duration**: ${formatLength(start, end)}, from ${from} to ${recoveredAt === undefined ? 'recovery' : "customers' recovery"} at ${formatStamp(end, day)}`;
  if (marks.length === 0) return [duration];
  const marked = marks.map((m) => `${m.label} ${formatStamp(m.at, day)} (+${formatLength(start, m.at)})`);
  return [duration, `- **Marks**: ${marked.join(' · ')}`];
}

function markOf(incident: Incident, label: string, matches: (e: TimelineEntry) => boolean): Mark[] {
  const entry = incident.timeline.find(matches);
  return entry === undefined ? [] : [{ label, at: entry.at }];
}

/**
 * Each entry with its time, what happened and its transition, and only the evidence no earlier
 * entry and no later section prints: the root cause's evidence and the plan are said once, there.
 */
function renderTimeline(incident: Incident, told: ReadonlySet<string>, fullPlan: boolean): string[] {
  if (incident.timeline.length === 0) return ['- No state changes recorded.'];
  const startDay = incident.timeline[0]?.at.slice(0, 10);
  const shown = new Set(told);
  return incident.timeline.flatMap((entry) => {
    const fresh = entry.evidence.filter((line) => !shown.has(line));
    for (const line of fresh) shown.add(line);
    return [
      `- **${formatStamp(entry.at, startDay)}**: ${shorten(entry.what, incident, fullPlan)} _(${describeMove(entry)})_`,
      ...[...new Set(fresh)].map((line) => `  - ${line}`),
    ];
  });
}

/** Abbreviated plan hashes, like git's: the resolution prints the full one. */
const SHORT_PLAN = 12;

/**
 * An entry's words without what the issue summary and the resolution already say: the root
 * cause's summary (it follows "Breach 1 of 3:" or "Confirmed …:") and the full plan hash.
 */
function shorten(what: string, incident: Incident, fullPlan: boolean): string {
  const summary = incident.diagnosis?.summary;
  const plan = incident.planHash;
  let text = summary === undefined || summary === '' ? what : what.replace(`: ${summary}`, '');
  if (fullPlan && plan !== undefined && plan.length > SHORT_PLAN)
    text = text.replaceAll(plan, plan.slice(0, SHORT_PLAN));
  return text;
}

function describeMove(entry: TimelineEntry): string {
  return entry.from === entry.to ? entry.to : `${entry.from} → ${entry.to}`;
}

function renderRootCause(diagnosis: Diagnosis | undefined): string[] {
  if (diagnosis === undefined)
    return ['- **Root Cause**: not diagnosed: no unhealthy observation was recorded.'];
  const verdict = diagnosis.lbFault
    ? 'This was a fault in the load balancer configuration.'
    : 'The load balancer was not the cause.';
  // The summary is the issue summary's line; here its evidence, most telling first.
  return [
    `- **Root Cause**: ${verdict}${diagnosis.evidence.length === 0 ? '' : ' Evidence:'}`,
    ...diagnosis.evidence.map((line) => `  - ${line}`),
  ];
}

interface Resolution {
  readonly lines: readonly string[];
  /** The plan steps it lists, which the timeline then leaves out. */
  readonly bullets: readonly string[];
  /** It names the plan by its full hash, so the timeline may abbreviate it. */
  readonly fullPlan: boolean;
}

function renderResolution(incident: Incident): Resolution {
  const applied = incident.timeline.some((e) => e.to === 'verifying');
  const steps = incident.planSteps ?? [];
  const named = incident.planHash !== undefined;
  const plan = named ? `plan ${incident.planHash}` : 'the plan';
  const listed = (head: string, indent = '  '): Resolution => ({
    lines: [head, ...steps.map((s) => `${indent}- ${s}`)],
    bullets: steps,
    fullPlan: named,
  });
  const only = (line: string): Resolution => ({ lines: [line], bullets: [], fullPlan: false });
  const state: IncidentState = incident.state;
  switch (state) {
    case 'resolved': {
      const at = formatClock(incident.closedAt ?? incident.updatedAt);
      if (!applied)
        return only(`- **Resolution**: recovered without remediation at ${at}; lbguard changed nothing.`);
      return listed(
        `- **Resolution**: lbguard restored last known good routing with ${plan}, verified at ${at}:`,
      );
    }
    case 'escalated': {
      const summary = incident.diagnosis?.summary;
      const reason = lastEntry(incident, 'escalated')?.what.replace(/^Escalated: /, '');
      // The summary is the issue summary's; the reason is what escalation added to it.
      const why =
        reason === undefined
          ? 'unknown reason'
          : summary === undefined || summary === ''
            ? reason
            : reason.replace(`: ${summary}`, '');
      if (!applied) return only(`- **Resolution**: not remediated: escalated because ${why}.`);
      return listed(
        `- **Resolution**: ${plan} was applied but did not resolve it: escalated because ${why}. Applied:`,
      );
    }
    case 'ok':
    case 'suspected':
    case 'confirmed':
    case 'mitigating':
    case 'verifying': {
      const head = `- **Resolution**: ongoing (${state}).`;
      if (steps.length === 0) return only(head);
      const proposed = listed(`  - ${applied ? 'Applied' : 'Proposed'} ${plan}:`, '    ');
      return { ...proposed, lines: [head, ...proposed.lines] };
    }
  }
}

function lastEntry(incident: Incident, to: IncidentState): TimelineEntry | undefined {
  return incident.timeline.findLast((e) => e.to === to);
}
