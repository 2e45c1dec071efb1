/**
 * Drafts a postmortem from an incident's timeline, in the shape of the team's reference
 * postmortem (`reference-postmortem.md`): issue summary, timeline, root cause and resolution,
 * corrective and preventative measures. A draft for humans to finish, so every claim in it is
 * taken from the incident record and the evidence is quoted verbatim.
 */
import type { AccessLogDistribution, AccessLogSkewTest } from './access-logs.ts';
import { formatCount } from './format.ts';
import type { Incident, IncidentState, TimelineEntry } from './incident.ts';
import { formatPercent } from './routing.ts';
import type { Diagnosis, RootCause } from './types.ts';

/** Why no per-target distribution could be read (access logs not enabled, not readable…). */
export interface DistributionUnavailable {
  readonly kind: 'unavailable';
  /** One sentence, ideally saying how to make it available next time. */
  readonly reason: string;
}

export interface PostmortemOptions {
  readonly title?: string;
  readonly impact?: string;
  /**
   * The real per-target distribution of the incident window (ALB access logs), rendered as a
   * table under the issue summary; or why there is none, in one line. Absent: neither.
   */
  readonly distribution?: AccessLogDistribution | DistributionUnavailable;
}

/** Renders `incident` as a Markdown postmortem. Open incidents say "ongoing". */
export function renderPostmortem(incident: Incident, opts: PostmortemOptions = {}): string {
  const diagnosis = incident.diagnosis;
  const cause: RootCause = diagnosis?.cause ?? 'unknown';
  const title = opts.title ?? `${incident.service}: ${TITLES[cause]}`;
  const lines = [
    `# Postmortem: ${title}`,
    '',
    '## Issue Summary',
    `- **Duration**: ${describeDuration(incident)}`,
    `- **Impact**: ${opts.impact ?? describeImpact(diagnosis)}`,
    `- **Root Cause**: ${diagnosis?.summary ?? 'not diagnosed'}`,
    ...renderDistribution(opts.distribution),
    '',
    '## Timeline',
    ...renderTimeline(incident),
    '',
    '## Root Cause and Resolution',
    ...renderRootCause(diagnosis),
    ...renderResolution(incident),
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

function renderDistribution(distribution: PostmortemOptions['distribution']): string[] {
  if (distribution === undefined) return [];
  if (distribution.kind === 'unavailable') return [`- **Per-target distribution**: ${distribution.reason}`];
  const d = distribution;
  const objects =
    d.objects === undefined ? '' : ` from ${formatCount(d.objects)} log file${d.objects === 1 ? '' : 's'}`;
  const interval = `Share [${formatPercent(d.confidence)} CI]`;
  const rows = d.targets.map(
    (t) =>
      `| ${t.key} | ${formatCount(t.requests)} | ${formatPercent(t.share)} [${formatPercent(t.low).replace('%', '')}–${formatPercent(t.high)}] | ${formatCount(t.target5xx)} | ${formatCount(t.elb5xx)} |`,
  );
  const noTarget =
    d.noTarget.requests === 0
      ? []
      : [
          `| no target (ALB answered) | ${formatCount(d.noTarget.requests)} | – | – | ${formatCount(d.noTarget.elb5xx)} |`,
        ];
  const notes = [
    ...(d.truncation === undefined
      ? []
      : [`- **Truncated**: ${d.truncation}; the counts are a lower bound.`]),
    ...(d.lines.malformed === 0
      ? []
      : [
          `- ${formatCount(d.lines.malformed)} malformed log line${d.lines.malformed === 1 ? '' : 's'} skipped${d.lines.malformedExamples[0] === undefined ? '' : ` (first: ${d.lines.malformedExamples[0].where}: ${d.lines.malformedExamples[0].reason})`}.`,
        ]),
    ...renderSkewTest(d.test),
  ];
  return [
    '',
    '### Impact by target',
    '',
    `Source: ${d.source}, ${formatDateTime(d.from)} to ${formatDateTime(d.to)}: ${formatCount(d.requests)} request${d.requests === 1 ? '' : 's'}${objects}.`,
    '',
    ...(rows.length + noTarget.length === 0
      ? ['- No requests were logged in the incident window.']
      : [
          `| Target | Requests | ${interval} | Target 5xx | ELB 5xx |`,
          '| --- | ---: | --- | ---: | ---: |',
          ...rows,
          ...noTarget,
        ]),
    ...(notes.length === 0 ? [] : ['', ...notes]),
  ];
}

function renderSkewTest(test: AccessLogSkewTest): string[] {
  if (test.kind === 'untested') return [`- Skew test: not run: ${test.reason}.`];
  const excluded =
    test.excluded === 0
      ? ''
      : ` (${formatCount(test.excluded)} request${test.excluded === 1 ? '' : 's'} to targets with no expected share left out)`;
  const skew = test.skew;
  switch (skew.kind) {
    case 'insufficient-data':
      return [
        `- Skew test against the expected shares${excluded}: insufficient data (${formatCount(skew.samples)} of the ${formatCount(skew.minSamples)} requests needed).`,
      ];
    case 'balanced':
      return [
        `- Skew test against the expected shares${excluded}: balanced (p = ${skew.pValue.toPrecision(2)}, total variation distance ${skew.effectSize.toFixed(2)}).`,
      ];
    case 'skewed':
      return [
        `- Skew test against the expected shares${excluded}: **skewed**:`,
        ...skew.evidence.map((line) => `  - ${line}`),
      ];
  }
}

function describeDuration(incident: Incident): string {
  const start = incident.timeline[0]?.at ?? incident.openedAt;
  if (incident.closedAt === undefined) {
    const suffix =
      incident.state === 'escalated' ? `, escalated to humans at ${formatClock(incident.updatedAt)}` : '';
    return `${formatDateTime(start)} to ongoing (${incident.state}${suffix})`;
  }
  return `${formatDateTime(start)} to ${formatDateTime(incident.closedAt)} (${formatLength(start, incident.closedAt)})`;
}

function renderTimeline(incident: Incident): string[] {
  if (incident.timeline.length === 0) return ['- No state changes recorded.'];
  const startDay = incident.timeline[0]?.at.slice(0, 10);
  return incident.timeline.flatMap((entry) => [
    `- **${formatStamp(entry.at, startDay)}**: ${entry.what} _(${describeMove(entry)})_`,
    ...entry.evidence.map((line) => `  - ${line}`),
  ]);
}

/** `14:02:11 UTC`, with the date in front once the incident has crossed midnight. */
function formatStamp(iso: string, startDay: string | undefined): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return iso.slice(0, 10) === startDay ? formatTime(d) : `${formatDay(d)} ${formatTime(d)}`;
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
  return [
    `- **Root Cause**: ${diagnosis.summary}. ${verdict}`,
    ...diagnosis.evidence.map((line) => `  - ${line}`),
  ];
}

function renderResolution(incident: Incident): string[] {
  const applied = incident.timeline.some((e) => e.to === 'verifying');
  const steps = (incident.planSteps ?? []).map((s) => `  - ${s}`);
  const plan = incident.planHash === undefined ? 'the plan' : `plan ${incident.planHash}`;
  const state: IncidentState = incident.state;
  switch (state) {
    case 'resolved': {
      const at = formatClock(incident.closedAt ?? incident.updatedAt);
      if (!applied) {
        return [`- **Resolution**: recovered without remediation at ${at}; lbguard changed nothing.`];
      }
      return [
        `- **Resolution**: lbguard restored last known good routing with ${plan}, verified at ${at}:`,
        ...steps,
      ];
    }
    case 'escalated': {
      const why = lastEntry(incident, 'escalated')?.what.replace(/^Escalated: /, '') ?? 'unknown reason';
      if (!applied) return [`- **Resolution**: not remediated: escalated because ${why}.`];
      return [
        `- **Resolution**: ${plan} was applied but did not resolve it: escalated because ${why}. Applied:`,
        ...steps,
      ];
    }
    case 'ok':
    case 'suspected':
    case 'confirmed':
    case 'mitigating':
    case 'verifying': {
      const proposed =
        steps.length > 0
          ? [`  - ${applied ? 'Applied' : 'Proposed'} ${plan}:`, ...steps.map((s) => `  ${s}`)]
          : [];
      return [`- **Resolution**: ongoing (${state}).`, ...proposed];
    }
  }
}

function lastEntry(incident: Incident, to: IncidentState): TimelineEntry | undefined {
  return incident.timeline.findLast((e) => e.to === to);
}

interface Measures {
  readonly improvements: readonly string[];
  readonly tasks: readonly string[];
}

const GATE = 'Gate deployments on `lbguard verify` so a change that breaks routing fails the pipeline.';
const HEALTH_REQUIREMENTS =
  'Add target-group health requirements (minimum healthy targets) so ALB fails open instead of overloading a single survivor.';

function measuresFor(cause: RootCause, service: string): Measures {
  switch (cause) {
    case 'routing-skew':
      return {
        improvements: [GATE, HEALTH_REQUIREMENTS, 'Require review for listener weight changes.'],
        tasks: [
          `Review lbguard's remediation mode for ${service}: restore automatically once dry-run plans have been trusted.`,
          'Add served-by sampling to probes so per-target skew is observed, not only modelled.',
        ],
      };
    case 'missing-targets':
      return {
        improvements: [
          GATE,
          'Never deregister the last targets of a group a listener forwards to: check registrations in the deploy pipeline.',
          HEALTH_REQUIREMENTS,
        ],
        tasks: ['Alarm on HealthyHostCount below the intended size of each target group.'],
      };
    case 'listener-drift':
      return {
        improvements: [
          GATE,
          'Require review for listener and rule changes (actions, priorities, conditions).',
          'Manage listener rules in one place (infrastructure as code) so hand edits show up as drift.',
        ],
        tasks: ['Alert on ModifyListener/ModifyRule calls from principals outside the deploy pipeline.'],
      };
    case 'no-healthy-targets':
      return {
        improvements: [
          'Check the health check itself (path, port, matcher, thresholds) against what the application serves.',
          'Alarm on UnHealthyHostCount per target group before every target is failing.',
        ],
        tasks: [
          'Find why every target failed its health check: application logs and recent application deploys.',
        ],
      };
    case 'single-survivor':
      return {
        improvements: [
          HEALTH_REQUIREMENTS,
          'Check the health check itself (path, port, matcher, thresholds) against what the application serves: one bad check setting takes N-1 targets out at once.',
        ],
        tasks: [
          'Set target_group_health.unhealthy_state_routing.minimum_healthy_targets.count to 2 or more (lint rule LBG-L7).',
          'Find why the other targets failed their health checks before the survivor was overloaded.',
        ],
      };
    case 'targets-unhealthy-balanced':
      return {
        improvements: [
          'Investigate why targets fail health checks: capacity, application errors or dependencies; the load balancer spread traffic correctly.',
          'Scale on request count per target so the fleet absorbs load before targets fail.',
          HEALTH_REQUIREMENTS,
        ],
        tasks: ['Load-test the service at peak traffic with one target lost.'],
      };
    case 'backend-errors-balanced':
      return {
        improvements: [
          'Investigate the backend dependency (database, downstream APIs) behind the 5xx: the load balancer spread traffic correctly.',
          'Add dependency latency and error metrics to the service dashboard next to the load balancer panels.',
        ],
        tasks: ['Add a probe step that exercises the failing dependency end to end.'],
      };
    case 'lb-protecting':
      return {
        improvements: [
          'Find why the load balancer flagged the target (its 5xx, latency and logs) or why the zone was shifted; the routing configuration was not at fault.',
        ],
        tasks: ['Alarm on AnomalousHostCount and MitigatedHostCount per target group.'],
      };
    case 'data-plane-not-following':
      return {
        improvements: [
          'Gate deployments on observed traffic (lbguard verify --wait), not on the API accepting the change.',
          'Keep old targets until the new shares are observed: scale away only after convergence.',
        ],
        tasks: ['Open an AWS support case with the write time and the propagation lag lbguard measured.'],
      };
    case 'unknown':
      return {
        improvements: [
          'Extend probes and served-by sampling so the next failure can be attributed.',
          'Review ALB access logs for the incident window (target:port and status per request).',
        ],
        tasks: ['Add the missing signal that would have explained this incident to lbguard.'],
      };
    case 'healthy':
      return { improvements: ['None required: no fault was found.'], tasks: [] };
    case 'state-integrity':
      return {
        improvements: [
          "Restrict who can write lbguard's state table and use its state key to lbguard's roles and the operators who promote (docs/threat-model.md).",
          'Turn on CloudTrail data events for the state table so every write is attributable.',
        ],
        tasks: [
          'Find who or what wrote the item that failed the check (CloudTrail), then re-promote with lbguard snapshot --promote.',
        ],
      };
  }
}

function renderMeasures(cause: RootCause, service: string): string[] {
  const { improvements, tasks } = measuresFor(cause, service);
  return [
    '- **Improvements**:',
    ...improvements.map((m) => `  - ${m}`),
    '- **Tasks**:',
    ...[...tasks, 'Document the incident and share learnings with the team.'].map((t) => `  - ${t}`),
  ];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Nov 24, 2026` — spelled out by hand so output does not depend on the runtime's locale data. */
function formatDay(d: Date): string {
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

function formatTime(d: Date): string {
  return `${d.toISOString().slice(11, 19)} UTC`;
}

/** `14:02:11 UTC` for an ISO time; anything unparseable is kept verbatim. */
function formatClock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : formatTime(d);
}

function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${formatDay(d)}, ${formatTime(d)}`;
}

/** `1 h 2 min`, `7 min 19 s`, `45 s`. */
function formatLength(from: string, to: string): string {
  const total = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  if (Number.isNaN(total)) return 'unknown length';
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}
