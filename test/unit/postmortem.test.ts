import { describe, expect, it } from 'vitest';
import { aggregateAccessLogs } from '../../lib/access-logs.ts';
import {
  type Incident,
  type IncidentEvent,
  startIncident,
  type TransitionContext,
  transition,
} from '../../lib/incident.ts';
import { renderPostmortem } from '../../lib/postmortem.ts';
import type { Diagnosis, RemediationPolicy, RootCause } from '../../lib/types.ts';

const T0 = Date.parse('2025-02-25T14:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

function ctxOf(mode: RemediationPolicy['mode'] = 'auto'): TransitionContext {
  return {
    policy: {
      mode,
      cooldownSeconds: 300,
      maxPerHour: 3,
      maxSteps: 10,
      allowCreateRule: false,
      verifyDeadlineSeconds: 180,
    },
    thresholds: {
      skew: { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 },
      errorRate: 0.05,
      consecutiveBreaches: 3,
      soakSeconds: 600,
    },
  };
}

const firstChange = {
  at: '2025-02-25T14:01:50.000Z',
  eventName: 'ModifyListener',
  principal: 'role deploy-pipeline',
};

const outageDiagnosis: Diagnosis = {
  cause: 'routing-skew',
  lbFault: true,
  remediable: true,
  severity: 'critical',
  summary:
    'listener :80 default action forwards 100% to web-a (1 target) after ModifyListener by role deploy-pipeline',
  evidence: [
    'ModifyListener by role deploy-pipeline at 14:01:50Z (listener/app/shop/50dc6c495c0c9188/abc)',
    'listener :80 default action weights web-a/web-b 50/50 → 100/0',
    'probe checkout: 7 of 10 failed, last: status 503 not in [200]',
  ],
  drift: [],
  firstChange,
};

function diag(cause: RootCause, lbFault: boolean): Diagnosis {
  return {
    cause,
    lbFault,
    remediable: lbFault,
    severity: 'critical',
    summary: `${cause} summary`,
    evidence: [`${cause} evidence`],
    drift: [],
  };
}

function play(events: readonly IncidentEvent[], ctx = ctxOf()): Incident {
  return events.reduce(
    (incident, event) => transition(incident, event, ctx).incident,
    startIncident('shop', at(0)),
  );
}

const breaches = (d: Diagnosis, plan?: string): IncidentEvent[] =>
  [130, 190, 250].map((s) =>
    plan === undefined
      ? { type: 'observed', at: at(s), diagnosis: d }
      : {
          type: 'observed',
          at: at(s),
          diagnosis: d,
          planHash: plan,
          planSteps: ['ModifyListener :80 forward web-a/web-b 50/50'],
        },
  );

const restored: IncidentEvent[] = [
  ...breaches(outageDiagnosis, 'plan-abc'),
  { type: 'remediation-started', at: at(255), planHash: 'plan-abc' },
  {
    type: 'remediation-applied',
    at: at(257),
    steps: ['RegisterTargets web-a: i-0b:80', 'ModifyListener :80 forward web-a/web-b 50/50'],
  },
  {
    type: 'verified',
    at: at(430),
    evidence: ['probe checkout: 10 of 10 passed', 'routing matches last known good'],
  },
];

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

describe('renderPostmortem for an outage lbguard restored', () => {
  const incident = play(restored);
  const md = renderPostmortem(incident);

  it('has the reference postmortem sections in order', () => {
    const headings = md.split('\n').filter((l) => l.startsWith('#'));
    expect(headings).toEqual([
      '# Postmortem: shop: load balancer routing concentrated traffic on too few targets',
      '## Issue Summary',
      '## Timeline',
      '## Root Cause and Resolution',
      '## Corrective and Preventative Measures',
    ]);
  });

  it('states the duration from the fault (the first change) to recovery, marking each step', () => {
    const summary = section(md, 'Issue Summary');
    expect(summary).toContain(
      '- **Duration**: 5 min 20 s, from the fault at Feb 25, 2025, 14:01:50 UTC (ModifyListener by role deploy-pipeline, the first change) to recovery at 14:07:10 UTC\n',
    );
    expect(summary).toContain(
      '- **Marks**: detected 14:02:10 UTC (+20 s) · remediated 14:04:17 UTC (+2 min 27 s) · verified 14:07:10 UTC (+5 min 20 s)\n',
    );
  });

  it('ends the duration at the customers’ recovery when it was measured, and marks it', () => {
    const summary = section(renderPostmortem(incident, { recoveredAt: at(400) }), 'Issue Summary');
    expect(summary).toContain(", the first change) to customers' recovery at 14:06:40 UTC\n");
    expect(summary).toContain('- **Duration**: 4 min 50 s, from the fault');
    expect(summary).toContain(
      'remediated 14:04:17 UTC (+2 min 27 s) · customers recovered 14:06:40 UTC (+4 min 50 s) · verified',
    );
  });

  it.each([
    ['no change is known', { ...outageDiagnosis, firstChange: undefined }],
    [
      'the change is dated after the detection',
      { ...outageDiagnosis, firstChange: { ...firstChange, at: at(200) } },
    ],
    ['the load balancer was not the cause', { ...outageDiagnosis, lbFault: false }],
  ] as const)('starts the duration at the first detection when %s', (_, diagnosis) => {
    const summary = section(
      renderPostmortem({ ...incident, diagnosis: diagnosis as Diagnosis }),
      'Issue Summary',
    );
    expect(summary).toContain(
      '- **Duration**: 5 min, from the first detection at Feb 25, 2025, 14:02:10 UTC to recovery at 14:07:10 UTC\n',
    );
    expect(summary).toContain(
      '- **Marks**: remediated 14:04:17 UTC (+2 min 7 s) · verified 14:07:10 UTC (+5 min)\n',
    );
  });

  it('states impact and the root cause in one line', () => {
    const summary = section(md, 'Issue Summary');
    expect(summary).toContain('- **Impact**: Customers were affected');
    expect(summary).toContain(`- **Root Cause**: ${outageDiagnosis.summary}\n`);
  });

  it('lists every timeline entry with its UTC time and transition, without the summary said above', () => {
    const timeline = section(md, 'Timeline');
    expect(timeline.split('\n').filter((l) => l.startsWith('- **'))).toEqual([
      '- **14:02:10 UTC**: Breach 1 of 3 _(ok → suspected)_',
      '- **14:04:10 UTC**: Confirmed after 3 consecutive breaches (remediating with plan plan-abc) _(suspected → confirmed)_',
      '- **14:04:15 UTC**: Remediation started with plan plan-abc _(confirmed → mitigating)_',
      '- **14:04:17 UTC**: Plan applied (2 steps); verifying config and probes _(mitigating → verifying)_',
      '- **14:07:10 UTC**: Verified: routing restored and probes green _(verifying → resolved)_',
    ]);
    expect(md.split(outageDiagnosis.summary)).toHaveLength(2);
  });

  it('shows in the timeline only evidence the root cause and the resolution do not print', () => {
    const timeline = section(md, 'Timeline');
    expect(timeline.split('\n').filter((l) => l.startsWith('  - '))).toEqual([
      '  - probe checkout: 10 of 10 passed',
      '  - routing matches last known good',
    ]);
    const bullets = md.split('\n').filter((l) => l.startsWith('  - '));
    expect(new Set(bullets).size).toBe(bullets.length);
  });

  it('shows a line the root cause does not print at the first entry that has it, once', () => {
    const earlier = {
      ...outageDiagnosis,
      evidence: ['probe checkout: 3 of 10 failed', ...outageDiagnosis.evidence],
    };
    const incident = play([
      { type: 'observed', at: at(130), diagnosis: earlier },
      { type: 'observed', at: at(190), diagnosis: earlier },
      ...restored.slice(2),
    ]);
    const timeline = section(renderPostmortem(incident), 'Timeline');
    expect(timeline.split('\n').filter((l) => l.startsWith('  - '))).toEqual([
      '  - probe checkout: 3 of 10 failed',
      '  - probe checkout: 10 of 10 passed',
      '  - routing matches last known good',
    ]);
    expect(timeline.split('\n')[2]).toBe('  - probe checkout: 3 of 10 failed');
  });

  it('abbreviates a long plan hash in the timeline and gives it in full in the resolution', () => {
    const hash = 'c94c8d47dcd1a1227ed7289def231bd084940fd3d32203ebc359c0ce70266630';
    const incident = play(
      restored.map((e) =>
        e.type === 'remediation-started'
          ? { ...e, planHash: hash }
          : e.type === 'observed'
            ? { ...e, planHash: hash }
            : e,
      ),
    );
    const md = renderPostmortem(incident);
    expect(section(md, 'Timeline')).toContain('Remediation started with plan c94c8d47dcd1 _(');
    expect(md.split(hash)).toHaveLength(2);
    expect(section(md, 'Root Cause and Resolution')).toContain(`with plan ${hash}, verified`);
  });

  it('gives the root cause with its evidence and the applied plan as the resolution', () => {
    const rc = section(md, 'Root Cause and Resolution');
    expect(rc).toContain('This was a fault in the load balancer configuration.');
    for (const line of outageDiagnosis.evidence) expect(rc).toContain(`  - ${line}`);
    expect(rc).toContain(
      '- **Resolution**: lbguard restored last known good routing with plan plan-abc, verified at 14:07:10 UTC:',
    );
    expect(rc).toContain('  - RegisterTargets web-a: i-0b:80');
  });

  it('suggests the measures that would have prevented a routing skew', () => {
    const measures = section(md, 'Corrective and Preventative Measures');
    expect(measures).toContain('Gate deployments on `lbguard verify`');
    expect(measures).toContain('Add target-group health requirements (minimum healthy targets)');
    expect(measures).toContain('Require review for listener weight changes.');
    expect(measures).toContain('- **Tasks**:');
    expect(measures).toContain('Document the incident and share learnings with the team.');
  });

  it('uses the title and impact it is given', () => {
    const custom = renderPostmortem(incident, {
      title: 'Checkout down',
      impact: '100% of checkouts failed.',
    });
    expect(custom.startsWith('# Postmortem: Checkout down\n')).toBe(true);
    expect(custom).toContain('- **Impact**: 100% of checkouts failed.');
  });
});

describe('renderPostmortem resolutions', () => {
  it('says why an incident was not remediated when it escalated', () => {
    const md = renderPostmortem(play(breaches(diag('backend-errors-balanced', false))));
    expect(md).toContain(
      '- **Resolution**: not remediated: escalated because the load balancer is not the cause (backend-errors-balanced); page the service owner.',
    );
    expect(md).toContain('The load balancer was not the cause.');
    expect(md).toContain('Investigate the backend dependency');
    expect(md).toMatch(
      /- \*\*Duration\*\*: from the first detection at Feb 25, 2025, 14:02:10 UTC to now: ongoing \(escalated, escalated to humans at 14:04:10 UTC\)\n/,
    );
  });

  it('gives the cause verification found once, in the summary, and the escalation without it', () => {
    const dataPlane: Diagnosis = {
      ...diag('data-plane-not-following', true),
      summary: 'The data plane is not following the configuration',
      evidence: ['observed shares still 100/0 past the deadline'],
    };
    const incident = play([
      ...restored.slice(0, 5),
      {
        type: 'verification-failed',
        at: at(500),
        evidence: ['probe checkout: 10 of 10 failed'],
        diagnosis: dataPlane,
      },
    ]);
    const md = renderPostmortem(incident);
    expect(md.split(dataPlane.summary)).toHaveLength(2);
    expect(md).toContain('escalated because verification failed after remediation. Applied:');
    expect(section(md, 'Timeline')).toContain(
      'Escalated: verification failed after remediation _(verifying → escalated)_',
    );
    // The first diagnosis's evidence is no longer the root cause's: the timeline keeps it, once.
    expect(section(md, 'Timeline').split(`  - ${outageDiagnosis.evidence[0]}\n`)).toHaveLength(2);
    const { diagnosis: _none, ...undiagnosed } = incident;
    expect(renderPostmortem(undiagnosed)).toContain(
      `escalated because verification failed after remediation: ${dataPlane.summary}. Applied:`,
    );
  });

  it('lists the applied steps of a restore that failed verification', () => {
    const incident = play([
      ...restored.slice(0, 5),
      { type: 'verification-failed', at: at(500), evidence: ['probe checkout: 10 of 10 failed'] },
    ]);
    const md = renderPostmortem(incident);
    expect(md).toContain(
      '- **Resolution**: plan plan-abc was applied but did not resolve it: escalated because verification failed after remediation. Applied:',
    );
    expect(md).toContain('  - ModifyListener :80 forward web-a/web-b 50/50');
  });

  it('says lbguard changed nothing when the incident recovered by itself', () => {
    const incident = play(
      [
        ...breaches(outageDiagnosis, 'p1'),
        { type: 'observed', at: at(3970), diagnosis: { ...outageDiagnosis, cause: 'healthy', evidence: [] } },
      ],
      ctxOf('off'),
    );
    const md = renderPostmortem(incident);
    expect(md).toContain(
      '- **Resolution**: recovered without remediation at 15:06:10 UTC; lbguard changed nothing.',
    );
    expect(md).toContain('- **Duration**: 1 h 4 min, from the fault at Feb 25, 2025, 14:01:50 UTC');
  });

  it('renders an open incident as ongoing with its proposed plan', () => {
    const incident = play(breaches(outageDiagnosis, 'p1'), ctxOf('dry-run'));
    const md = renderPostmortem(incident);
    expect(md).toContain(
      '(ModifyListener by role deploy-pipeline, the first change) to now: ongoing (confirmed)\n',
    );
    expect(md).toContain('- **Resolution**: ongoing (confirmed).');
    expect(md).toContain('  - Proposed plan p1:');
    expect(md).toContain('    - ModifyListener :80 forward web-a/web-b 50/50');
  });

  it('renders a plan being verified as applied', () => {
    const md = renderPostmortem(play(restored.slice(0, 5)));
    expect(md).toContain('- **Resolution**: ongoing (verifying).');
    expect(md).toContain('  - Applied plan plan-abc:');
  });

  it('renders an incident with no plan and no timeline without inventing one', () => {
    const md = renderPostmortem(startIncident('shop', at(0)));
    expect(md).toContain(
      '- **Duration**: from the first detection at Feb 25, 2025, 14:00:00 UTC to now: ongoing (ok)\n',
    );
    expect(md).not.toContain('**Marks**');
    expect(md).toContain('- **Impact**: No customer impact detected.');
    expect(md).toContain('- **Root Cause**: not diagnosed');
    expect(md).toContain('- No state changes recorded.');
    expect(md).toContain('- **Resolution**: ongoing (ok).\n');
    expect(md).not.toContain('Proposed');
  });

  it('names the plan generically when a stored incident lacks its hash', () => {
    const base = play(restored);
    const { planHash: _dropped, ...withoutHash } = base;
    expect(renderPostmortem(withoutHash)).toContain(
      'restored last known good routing with the plan, verified',
    );
  });
});

describe('renderPostmortem formatting', () => {
  it('prefixes the date on timeline entries after midnight and formats hours', () => {
    const late = Date.parse('2025-02-25T23:59:00.000Z');
    const t = (s: number) => new Date(late + s * 1000).toISOString();
    const ctx = { ...ctxOf('off'), thresholds: { ...ctxOf().thresholds, consecutiveBreaches: 1 } };
    let incident = startIncident('shop', t(0));
    incident = transition(
      incident,
      {
        type: 'observed',
        at: t(30),
        diagnosis: { ...outageDiagnosis, firstChange: { ...firstChange, at: t(10) } },
      },
      ctx,
    ).incident;
    incident = transition(
      incident,
      { type: 'observed', at: t(30 + 7200), diagnosis: { ...outageDiagnosis, cause: 'healthy' } },
      ctx,
    ).incident;
    const md = renderPostmortem(incident);
    expect(md).toContain('- **Feb 26, 2025 01:59:30 UTC**: Recovered without remediation');
    expect(md).toContain('- **Duration**: 2 h, from the fault at Feb 25, 2025, 23:59:10 UTC');
    expect(md).toContain('to recovery at Feb 26, 2025 01:59:30 UTC\n');
  });

  it.each([
    [45, '- **Duration**: 45 s, from'],
    [125, '- **Duration**: 2 min 5 s, from'],
  ])('writes a %i second outage as %s', (seconds, text) => {
    // The fault, ModifyListener, is at 110 s.
    const incident: Incident = { ...play(restored), closedAt: at(110 + seconds) };
    expect(renderPostmortem(incident)).toContain(text);
  });

  it('keeps unparseable times verbatim rather than inventing a date', () => {
    const incident: Incident = {
      ...startIncident('shop', 'sometime'),
      state: 'resolved',
      closedAt: 'later',
      timeline: [{ at: 'sometime', from: 'ok', to: 'suspected', what: 'breach', evidence: [] }],
    };
    const md = renderPostmortem(incident);
    expect(md).toContain(
      '- **Duration**: unknown length, from the first detection at sometime to recovery at later\n',
    );
    expect(md).toContain('- **sometime**: breach _(ok → suspected)_');
  });

  it('copes with a hand-edited record: missing close time, missing escalation entry, odd times', () => {
    const base = play(breaches(outageDiagnosis, 'p1'), ctxOf('off'));
    const resolved = renderPostmortem({ ...base, state: 'resolved', updatedAt: at(600) });
    expect(resolved).toContain('recovered without remediation at 14:10:00 UTC');
    const escalated = renderPostmortem({ ...base, state: 'escalated' });
    expect(escalated).toContain('not remediated: escalated because unknown reason.');
    const odd = renderPostmortem({
      ...base,
      timeline: [
        ...base.timeline,
        { at: 'whenever', from: 'confirmed', to: 'confirmed', what: 'note', evidence: [] },
      ],
    });
    expect(odd).toContain('- **whenever**: note _(confirmed)_');
  });

  it('describes the impact of an informational diagnosis as none', () => {
    const incident: Incident = {
      ...play(breaches(outageDiagnosis, 'p1'), ctxOf('off')),
      diagnosis: { ...outageDiagnosis, severity: 'info' },
    };
    expect(renderPostmortem(incident)).toContain('- **Impact**: No customer impact detected.');
  });

  it('tags a held lock with its state rather than a transition', () => {
    const ctx = ctxOf();
    const confirmed = play(breaches(outageDiagnosis, 'p1'));
    const held = transition(confirmed, { type: 'lock-held', at: at(251) }, ctx).incident;
    expect(renderPostmortem(held)).toContain('not acting twice _(confirmed)_');
  });

  it('describes the impact of a configuration problem caught before customers noticed', () => {
    const early = play(breaches({ ...outageDiagnosis, severity: 'warning' }, 'p1'), ctxOf('off'));
    expect(renderPostmortem(early)).toContain('No customer-facing errors were detected');
  });
});

describe('renderPostmortem corrective measures by root cause', () => {
  const cases: readonly [RootCause, boolean, string][] = [
    ['routing-skew', true, 'Require review for listener weight changes.'],
    ['missing-targets', true, 'Never deregister the last targets of a group'],
    ['listener-drift', true, 'Require review for listener and rule changes'],
    ['no-healthy-targets', false, 'Check the health check itself'],
    ['single-survivor', false, 'minimum_healthy_targets.count to 2 or more (lint rule LBG-L7)'],
    ['targets-unhealthy-balanced', false, 'Investigate why targets fail health checks'],
    ['backend-errors-balanced', false, 'Investigate the backend dependency'],
    ['unknown', false, 'Extend probes and served-by sampling'],
    ['healthy', false, 'None required: no fault was found.'],
    ['lb-protecting', false, 'Alarm on AnomalousHostCount and MitigatedHostCount'],
    ['data-plane-not-following', true, 'Gate deployments on observed traffic (lbguard verify --wait)'],
    ['state-integrity', false, "Restrict who can write lbguard's state table"],
  ];

  it.each(cases)('suggests measures for %s', (cause, lbFault, measure) => {
    const incident: Incident = {
      ...play(breaches(diag(cause, lbFault), 'p1'), ctxOf('off')),
      diagnosis: diag(cause, lbFault),
    };
    const measures = section(renderPostmortem(incident), 'Corrective and Preventative Measures');
    expect(measures).toContain(measure);
    expect(measures).toContain('Document the incident and share learnings with the team.');
  });
});

describe('renderPostmortem with the per-target distribution of the incident window', () => {
  const incident = startIncident('shop', at(0));
  const window = { from: at(0), to: at(3600) };
  const skewed = aggregateAccessLogs(
    [
      ...Array.from({ length: 118 }, () => logLine(at(60), '10.0.0.1:80', 200)),
      logLine(at(61), '10.0.0.1:80', 502),
      logLine(at(62), '10.0.0.2:80', 500),
      logLine(at(63), '-', 503),
      'not a log line',
    ],
    {
      ...window,
      thresholds: { minSamples: 30, falsePositiveRate: 0.0001, minEffectSize: 0.2 },
      expected: { '10.0.0.1:80': 0.5, '10.0.0.2:80': 0.5 },
    },
    { objects: 12, truncation: 'read 12 of 40 log files (limits: 12 files, 1.0 GiB)' },
  );

  function logLine(time: string, target: string, status: number): string {
    const targetStatus = target === '-' || status === 502 ? '-' : status;
    return `https ${time.replace('Z', '000Z')} app/shop/1 203.0.113.9:4431 ${target} 0.0 0.0 0.0 ${status} ${targetStatus} 1 2 "GET https://shop:443/ HTTP/1.1" "curl"`;
  }

  it('renders a table of targets with shares, intervals and 5xx, naming the source', () => {
    const md = renderPostmortem(incident, { distribution: skewed });
    const summary = section(md, 'Issue Summary');
    expect(summary).toContain('### Impact by target');
    expect(summary).toContain(
      'Source: ALB access logs, Feb 25, 2025, 14:00:00 UTC to Feb 25, 2025, 15:00:00 UTC: 121 requests from 12 log files.',
    );
    expect(summary).toContain('| Target | Requests | Share [95% CI] | Target 5xx | ELB 5xx |');
    expect(summary).toMatch(/\| 10\.0\.0\.1:80 \| 119 \| 99% \[95–100%\] \| 0 \| 1 \|/);
    expect(summary).toContain('| 10.0.0.2:80 | 1 | 0.8% [0.1–5%] | 1 | 1 |');
    expect(summary).toContain('| no target (ALB answered) | 1 | – | – | 1 |');
    expect(summary).toContain(
      '- **Truncated**: read 12 of 40 log files (limits: 12 files, 1.0 GiB); the counts are a lower bound.',
    );
    expect(summary).toContain('- 1 malformed log line skipped (first: line 122: ');
    expect(summary).toContain('- Skew test against the expected shares: **skewed**:');
    expect(summary).toContain('  - 10.0.0.1:80 received 99% of 120 requests (expected 50%)');
  });

  it.each([
    [
      {
        kind: 'tested',
        expected: {},
        excluded: 3,
        skew: { kind: 'balanced', samples: 200, pValue: 0.42, effectSize: 0.03 },
      },
      '- Skew test against the expected shares (3 requests to targets with no expected share left out): balanced (p = 0.42, total variation distance 0.03).',
    ],
    [
      {
        kind: 'tested',
        expected: {},
        excluded: 1,
        skew: { kind: 'insufficient-data', samples: 12, minSamples: 30 },
      },
      '- Skew test against the expected shares (1 request to targets with no expected share left out): insufficient data (12 of the 30 requests needed).',
    ],
    [
      { kind: 'untested', reason: 'no expected per-target shares were given' },
      '- Skew test: not run: no expected per-target shares were given.',
    ],
  ] as const)('states the skew test outcome %#', (test, line) => {
    const md = renderPostmortem(incident, { distribution: { ...skewed, test } });
    expect(section(md, 'Issue Summary')).toContain(line);
  });

  it('says when the window logged no request at all', () => {
    const empty = aggregateAccessLogs([], window, { objects: 1 });
    const summary = section(renderPostmortem(incident, { distribution: empty }), 'Issue Summary');
    expect(summary).toContain('0 requests from 1 log file.');
    expect(summary).toContain('- No requests were logged in the incident window.');
    expect(summary).not.toContain('| Target |');
    expect(summary).not.toContain('malformed');
  });

  it('counts a single request in the singular and leaves out what the reader did not count', () => {
    const one = aggregateAccessLogs([logLine(at(60), '10.0.0.1:80', 200)], window);
    const summary = section(
      renderPostmortem(incident, {
        distribution: { ...one, lines: { ...one.lines, malformed: 2, malformedExamples: [] } },
      }),
      'Issue Summary',
    );
    expect(summary).toContain('UTC: 1 request.');
    expect(summary).toContain('- 2 malformed log lines skipped.');
  });

  it('says in one line why there is no distribution', () => {
    const md = renderPostmortem(incident, {
      distribution: { kind: 'unavailable', reason: 'ALB access logs are not enabled on app/shop/1.' },
    });
    expect(md).toContain('- **Per-target distribution**: ALB access logs are not enabled on app/shop/1.');
    expect(md).not.toContain('### Impact by target');
  });

  it('renders exactly as before without a distribution', () => {
    expect(renderPostmortem(incident, {})).toBe(renderPostmortem(incident));
    expect(renderPostmortem(incident)).not.toContain('Per-target distribution');
  });
});
