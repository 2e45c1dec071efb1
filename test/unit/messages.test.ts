import { describe, expect, it } from 'vitest';
import { DEFAULT_HYSTERESIS, type HysteresisSettings, type ProbeNotification } from '../../lib/hysteresis.ts';
import { type Effect, type Incident, type IncidentState, startIncident } from '../../lib/incident.ts';
import {
  baselineNotification,
  dryRunPlanNotification,
  incidentNotification,
  type Notification,
  probeNotification,
  renderNotificationBody,
} from '../../lib/messages.ts';
import type { Diagnosis } from '../../lib/types.ts';

const AT = '2026-11-03T14:00:00.000Z';
const PLAN_HASH = '3f9a0c1b2d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff';

const diagnosis: Diagnosis = {
  cause: 'routing-skew',
  lbFault: true,
  remediable: true,
  severity: 'critical',
  summary: 'web-a takes 100% of :80 (expected 50%)',
  evidence: ['listener :80 weights web-a/web-b 50/50 → 100/0', '412 of 412 requests served by i-0a'],
  drift: [],
};

/** An incident of `shop` opened at AT, in `state`, with a diagnosis and plan unless told otherwise. */
function incident(state: IncidentState, overrides: Partial<Incident> = {}): Incident {
  return {
    ...startIncident('shop', AT),
    state,
    diagnosis,
    planHash: PLAN_HASH,
    planSteps: [
      'RegisterTargets web-b: i-0c:80',
      'ModifyListener :80 default action → forward web-a/web-b 50/50',
    ],
    ...overrides,
  };
}

function withoutDiagnosis(i: Incident): Incident {
  const { diagnosis: _diagnosis, ...rest } = i;
  return rest;
}

function withoutPlan(i: Incident): Incident {
  const { planHash: _hash, planSteps: _steps, ...rest } = i;
  return rest;
}

const notify = (
  subject: string,
  lines: readonly string[] = ['first evidence'],
): Extract<Effect, { type: 'notify' }> => ({
  type: 'notify',
  severity: 'critical',
  subject,
  lines,
});

describe('renderNotificationBody', () => {
  const bare: Notification = {
    service: 'shop',
    severity: 'warning',
    state: 'confirmed',
    subject: 'lbguard shop: confirmed',
    lines: ['First line.', 'Second line.'],
  };

  it('renders the header and summary only, when there is nothing else to say', () => {
    expect(renderNotificationBody(bare)).toBe(
      [
        'lbguard shop: confirmed',
        '',
        'Service: shop    State: confirmed    Severity: warning',
        '',
        'First line.',
        'Second line.',
        '',
      ].join('\n'),
    );
  });

  it('renders evidence as bullets, the plan numbered and links labelled, in that order', () => {
    const body = renderNotificationBody({
      ...bare,
      evidence: ['weights 100/0', 'i-0a serves everything'],
      plan: ['RegisterTargets web-b: i-0c:80', 'ModifyListener :80'],
      links: [{ label: 'Dashboard', url: 'https://console.aws.amazon.com/cloudwatch/' }],
    });
    expect(body).toBe(
      [
        'lbguard shop: confirmed',
        '',
        'Service: shop    State: confirmed    Severity: warning',
        '',
        'First line.',
        'Second line.',
        '',
        'Evidence',
        '  - weights 100/0',
        '  - i-0a serves everything',
        '',
        'Plan',
        '  1. RegisterTargets web-b: i-0c:80',
        '  2. ModifyListener :80',
        '',
        'Links',
        '  - Dashboard: https://console.aws.amazon.com/cloudwatch/',
        '',
      ].join('\n'),
    );
  });

  const sections: readonly { name: string; extra: Partial<Notification>; shown: string[] }[] = [
    { name: 'empty sections', extra: { evidence: [], plan: [], links: [] }, shown: [] },
    { name: 'evidence only', extra: { evidence: ['e'] }, shown: ['Evidence'] },
    { name: 'a plan only', extra: { plan: ['p'], evidence: [] }, shown: ['Plan'] },
    { name: 'links only', extra: { links: [{ label: 'l', url: 'https://x.example' }] }, shown: ['Links'] },
  ];

  it.each(sections)('shows a section only when it has items ($name)', ({ extra, shown }) => {
    const lines = renderNotificationBody({ ...bare, ...extra }).split('\n');
    expect(lines.filter((l) => ['Evidence', 'Plan', 'Links'].includes(l))).toEqual(shown);
  });

  it('numbers plan steps from 1, past 9', () => {
    const plan = Array.from({ length: 11 }, (_, i) => `step ${i + 1}`);
    const body = renderNotificationBody({ ...bare, plan });
    expect(body).toContain('  1. step 1\n');
    expect(body).toContain('  11. step 11\n');
  });
});

describe('incidentNotification', () => {
  it('carries the summary, the incident id, the effect evidence and the plan while it may be acted on', () => {
    const n = incidentNotification(
      incident('confirmed'),
      notify('lbguard shop: confirmed — skew', ['weights 100/0']),
    );
    expect(n).toEqual({
      service: 'shop',
      severity: 'critical',
      state: 'confirmed',
      subject: 'lbguard shop: confirmed — skew',
      lines: ['web-a takes 100% of :80 (expected 50%)', 'Incident shop#2026-11-03T14:00:00.000Z'],
      evidence: ['weights 100/0'],
      plan: [
        'RegisterTargets web-b: i-0c:80',
        'ModifyListener :80 default action → forward web-a/web-b 50/50',
      ],
    });
  });

  it.each(['suspected', 'confirmed', 'mitigating', 'verifying', 'escalated'] as const)(
    'keeps the plan while the incident is %s',
    (state) => {
      expect(incidentNotification(incident(state), notify('s')).plan).toHaveLength(2);
    },
  );

  it('omits the plan once the incident is resolved', () => {
    const n = incidentNotification(incident('resolved'), notify('lbguard shop: resolved'));
    expect(n).not.toHaveProperty('plan');
    expect(n.state).toBe('resolved');
  });

  it.each([
    { name: 'no plan was made', i: withoutPlan(incident('confirmed')) },
    { name: 'the plan has no steps', i: incident('confirmed', { planSteps: [] }) },
  ])('omits the plan when $name', ({ i }) => {
    expect(incidentNotification(i, notify('s'))).not.toHaveProperty('plan');
  });

  it('says only the incident id when there is no diagnosis to summarise', () => {
    const n = incidentNotification(withoutDiagnosis(incident('confirmed')), notify('s'));
    expect(n.lines).toEqual(['Incident shop#2026-11-03T14:00:00.000Z']);
  });

  it('takes severity and subject from the effect, not the diagnosis', () => {
    const n = incidentNotification(incident('resolved'), {
      ...notify('lbguard shop: resolved'),
      severity: 'info',
    });
    expect(n.severity).toBe('info');
    expect(n.subject).toBe('lbguard shop: resolved');
  });
});

describe('dryRunPlanNotification', () => {
  const steps = ['RegisterTargets web-b: i-0c:80'];

  it('names the plan by its 12-character prefix in the subject and in full in the lines', () => {
    const n = dryRunPlanNotification({ incident: incident('confirmed'), planHash: PLAN_HASH, steps });
    expect(n).toEqual({
      service: 'shop',
      severity: 'warning',
      state: 'confirmed',
      subject: 'lbguard shop: dry-run plan 3f9a0c1b2d4e (not applied)',
      lines: [
        'Dry-run: lbguard would apply the plan below to restore last known good; nothing was changed.',
        'web-a takes 100% of :80 (expected 50%)',
        `Incident shop#2026-11-03T14:00:00.000Z, plan ${PLAN_HASH}`,
      ],
      evidence: diagnosis.evidence,
      plan: steps,
    });
  });

  it('says "(not applied)" without a prefix when there is no plan', () => {
    const n = dryRunPlanNotification({ incident: incident('confirmed'), planHash: undefined, steps: [] });
    expect(n.subject).toBe('lbguard shop: dry-run plan (not applied)');
    expect(n.lines.at(-1)).toBe('Incident shop#2026-11-03T14:00:00.000Z');
    expect(n.plan).toEqual([]);
  });

  it('says why the plan would not be applied as it is, after the dry-run line and before the summary', () => {
    const why = ['the plan needs 3 calls; the policy allows at most 1', 'a guardrail would refuse it'];
    const n = dryRunPlanNotification({ incident: incident('escalated'), planHash: PLAN_HASH, steps, why });
    expect(n.lines.slice(1, 4)).toEqual([...why, 'web-a takes 100% of :80 (expected 50%)']);
    expect(n.state).toBe('escalated');
  });

  it('has no summary and no evidence when the incident has no diagnosis', () => {
    const n = dryRunPlanNotification({
      incident: withoutDiagnosis(incident('confirmed')),
      planHash: PLAN_HASH,
      steps,
    });
    expect(n.lines).toHaveLength(2);
    expect(n.evidence).toEqual([]);
  });

  it('renders the plan numbered in the body', () => {
    const body = renderNotificationBody(
      dryRunPlanNotification({ incident: incident('confirmed'), planHash: PLAN_HASH, steps }),
    );
    expect(body).toContain('Plan\n  1. RegisterTargets web-b: i-0c:80\n');
  });
});

describe('probeNotification', () => {
  const settings: HysteresisSettings = {
    consecutiveFailures: 4,
    failuresInWindow: 6,
    windowSize: 12,
    consecutiveSuccesses: 2,
    maxChangesPerHour: 8,
  };
  const RULE =
    'Rule: failing after 4 failures in a row or 6 of the last 12; recovered after 2 successes in a row; flapping at 8 changes an hour (thresholds.hysteresis).';

  const failing: ProbeNotification['notification'] = {
    kind: 'failing',
    at: AT,
    reason: '4 failures in a row',
  };
  const flapping: ProbeNotification['notification'] = {
    kind: 'flapping',
    at: AT,
    changesInLastHour: 8,
    status: 'failing',
  };

  const cases: readonly {
    kind: string;
    change: ProbeNotification['notification'];
    severity: string;
    state: string;
    subject: string;
    first: string;
  }[] = [
    {
      kind: 'failing',
      change: failing,
      severity: 'warning',
      state: 'probe-failing',
      subject: 'lbguard shop: probe home failing (4 failures in a row)',
      first: `Probe home was declared failing at ${AT}: 4 failures in a row.`,
    },
    {
      kind: 'recovered',
      change: { kind: 'recovered', at: AT, reason: '2 successes in a row' },
      severity: 'info',
      state: 'probe-recovered',
      subject: 'lbguard shop: probe home recovered',
      first: `Probe home was declared passing again at ${AT}: 2 successes in a row.`,
    },
    {
      kind: 'flapping',
      change: flapping,
      severity: 'warning',
      state: 'probe-flapping',
      subject: 'lbguard shop: probe home flapping (8 changes in an hour)',
      first: `Probe home changed between passing and failing 8 times in the hour up to ${AT}; it is failing right now.`,
    },
    {
      kind: 'settled',
      change: { kind: 'settled', at: AT, status: 'passing', flappingSince: '2026-11-03T12:30:00.000Z' },
      severity: 'info',
      state: 'probe-settled',
      subject: 'lbguard shop: probe home stopped flapping (passing)',
      first: `Probe home, flapping since 2026-11-03T12:30:00.000Z, settled passing at ${AT}; changes are notified one by one again.`,
    },
  ];

  it.each(cases)(
    'announces a probe $kind as state $state with severity $severity, ending on the rule',
    ({ change, severity, state, subject, first }) => {
      const n = probeNotification('shop', { probe: 'home', notification: change }, settings);
      expect(n.service).toBe('shop');
      expect(n.severity).toBe(severity);
      expect(n.state).toBe(state);
      expect(n.subject).toBe(subject);
      expect(n.lines[0]).toBe(first);
      expect(n.lines.at(-1)).toBe(RULE);
    },
  );

  it('tells a failing probe reader that load balancer faults come in their own incident message', () => {
    const n = probeNotification('shop', { probe: 'home', notification: failing }, settings);
    expect(n.lines[1]).toMatch(/incident message of its own/);
  });

  it('tells a flapping probe reader that changes are held back until it settles', () => {
    const n = probeNotification('shop', { probe: 'home', notification: flapping }, settings);
    expect(n.lines[1]).toMatch(/not notified one by one until it settles/);
  });

  it('states the default rule in words: 3 in a row or 5 of the last 10, 3 to recover, 6 changes an hour', () => {
    const n = probeNotification(
      'shop',
      { probe: 'home', notification: { kind: 'recovered', at: AT, reason: '3 successes in a row' } },
      DEFAULT_HYSTERESIS,
    );
    expect(n.lines.at(-1)).toBe(
      'Rule: failing after 3 failures in a row or 5 of the last 10; recovered after 3 successes in a row; flapping at 6 changes an hour (thresholds.hysteresis).',
    );
  });
});

describe('baselineNotification', () => {
  const drift = (summary: string) =>
    ({ ruleId: 'LBG-D3', kind: 'weights-changed', summary, remediable: true }) as const;
  const base = { service: 'shop', hash: 'a'.repeat(64), reason: 'healthy for 900 s since T' };

  it.each([
    ['the first baseline', {}, /\(0 changes\)$/, /^First last known good recorded: healthy for 900 s/, []],
    [
      'a baseline with no routing difference',
      { previousHash: 'b'.repeat(64) },
      /\(0 changes\)$/,
      /^Last known good moved from bbbbbbbbbbbb to aaaaaaaaaaaa: healthy/,
      ['no routing difference from the previous last known good'],
    ],
    [
      'a baseline with two changes',
      { previousHash: 'b'.repeat(64), changes: [drift('weights 50/50 → 60/40'), drift('rule /api added')] },
      /\(2 changes\)$/,
      /^Last known good moved from/,
      ['weights 50/50 → 60/40', 'rule /api added'],
    ],
  ])('announces %s with every difference as evidence', (_, extra, subject, first, evidence) => {
    const n = baselineNotification({ ...base, changes: [], ...extra });
    expect(n).toMatchObject({ service: 'shop', state: 'last-good-promoted', severity: 'info', evidence });
    expect(n.subject).toMatch(/^lbguard shop: new last known good aaaaaaaaaaaa/);
    expect(n.subject).toMatch(subject);
    expect(n.lines[0]).toMatch(first);
    expect(n.lines[1]).toContain('lbguard snapshot --service shop --promote');
  });

  it('says "1 change" for one', () => {
    const n = baselineNotification({ ...base, previousHash: 'b'.repeat(64), changes: [drift('x')] });
    expect(n.subject).toMatch(/\(1 change\)$/);
  });
});
