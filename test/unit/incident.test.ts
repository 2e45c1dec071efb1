import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Effect,
  type Incident,
  type IncidentEvent,
  type IncidentState,
  newIncidentId,
  startIncident,
  type TransitionContext,
  transition,
} from '../../lib/incident.ts';
import type {
  Diagnosis,
  RemediationMode,
  RemediationPolicy,
  RootCause,
  Thresholds,
} from '../../lib/types.ts';

const T0 = Date.parse('2025-02-25T14:00:00.000Z');
/** ISO time `seconds` after 14:00:00Z. */
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

const thresholds: Thresholds = {
  skew: { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 },
  errorRate: 0.05,
  consecutiveBreaches: 3,
  soakSeconds: 600,
};

function policy(overrides: Partial<RemediationPolicy> = {}): RemediationPolicy {
  return {
    mode: 'auto',
    cooldownSeconds: 300,
    maxPerHour: 2,
    maxSteps: 10,
    allowCreateRule: false,
    verifyDeadlineSeconds: 180,
    ...overrides,
  };
}

function ctxOf(
  p: Partial<RemediationPolicy> = {},
  extra: Partial<TransitionContext> = {},
): TransitionContext {
  return { policy: policy(p), thresholds, ...extra };
}

const LB_CAUSES: readonly RootCause[] = ['routing-skew', 'missing-targets', 'listener-drift'];

function diag(cause: RootCause, overrides: Partial<Diagnosis> = {}): Diagnosis {
  const lbFault = LB_CAUSES.includes(cause);
  return {
    cause,
    lbFault,
    remediable: lbFault,
    severity: cause === 'healthy' ? 'info' : 'critical',
    summary: cause === 'healthy' ? 'all probes green, routing balanced' : `${cause} on listener :80`,
    evidence: cause === 'healthy' ? [] : [`evidence for ${cause}`],
    drift: [],
    ...overrides,
  };
}

const skew = diag('routing-skew', {
  evidence: ['ModifyListener by role deploy-pipeline at 14:02:11Z (listener/app/shop/abc)'],
});
const healthy = diag('healthy');

function observed(seconds: number, diagnosis: Diagnosis, planHash?: string): IncidentEvent {
  const base = { type: 'observed' as const, at: at(seconds), diagnosis };
  return planHash === undefined ? base : { ...base, planHash, planSteps: [`step of ${planHash}`] };
}

interface Run {
  readonly incident: Incident;
  readonly effects: readonly Effect[];
  /** Effects of the last event only. */
  readonly last: readonly Effect[];
}

function run(events: readonly IncidentEvent[], ctx: TransitionContext, from?: Incident): Run {
  let incident = from ?? startIncident('shop', at(0));
  const effects: Effect[] = [];
  let last: readonly Effect[] = [];
  for (const event of events) {
    const result = transition(incident, event, ctx);
    incident = result.incident;
    last = result.effects;
    effects.push(...result.effects);
  }
  return { incident, effects, last };
}

const types = (effects: readonly Effect[]): string[] => effects.map((e) => e.type);
const threeBreaches = (d: Diagnosis, plan?: string): IncidentEvent[] => [
  observed(60, d, plan),
  observed(120, d, plan),
  observed(180, d, plan),
];

describe('incident ids', () => {
  it('are deterministic and sort by opening time within a service', () => {
    expect(newIncidentId('shop', at(0))).toBe('shop#2025-02-25T14:00:00.000Z');
    expect(newIncidentId('shop', at(0))).toBe(newIncidentId('shop', at(0)));
    expect([newIncidentId('shop', at(61)), newIncidentId('shop', at(60))].sort()).toEqual([
      newIncidentId('shop', at(60)),
      newIncidentId('shop', at(61)),
    ]);
  });

  it('start in state ok with an empty timeline', () => {
    const incident = startIncident('shop', at(0));
    expect(incident).toMatchObject({
      state: 'ok',
      breaches: 0,
      openedAt: at(0),
      remediations: [],
      timeline: [],
    });
    expect(incident.closedAt).toBeUndefined();
  });
});

describe('detection: ok → suspected → confirmed', () => {
  it('ignores a healthy observation while ok', () => {
    const incident = startIncident('shop', at(0));
    expect(transition(incident, observed(60, healthy), ctxOf())).toEqual({ incident, effects: [] });
  });

  it('quietly suspects on the first breach', () => {
    const r = run([observed(60, skew)], ctxOf());
    expect(r.incident.state).toBe('suspected');
    expect(r.incident.breaches).toBe(1);
    expect(r.effects).toEqual([]);
    expect(r.incident.timeline).toHaveLength(1);
    expect(r.incident.timeline[0]).toMatchObject({ at: at(60), from: 'ok', to: 'suspected' });
    expect(r.incident.timeline[0]?.evidence).toEqual(skew.evidence);
  });

  it('treats a single bad minute followed by a good one as a blip and pages nobody', () => {
    const r = run([observed(60, skew), observed(120, healthy)], ctxOf());
    expect(r.incident.state).toBe('ok');
    expect(r.incident.breaches).toBe(0);
    expect(r.effects).toEqual([]);
    expect(r.incident.timeline.map((e) => e.to)).toEqual(['suspected', 'ok']);
  });

  it('forgets the diagnosis and plan of a blip', () => {
    const r = run([observed(60, skew, 'p1'), observed(120, healthy)], ctxOf());
    expect(r.incident.diagnosis).toBeUndefined();
    expect(r.incident.planHash).toBeUndefined();
    expect(r.incident.planSteps).toBeUndefined();
  });

  it('never carries a plan from an earlier observation into a later one', () => {
    const r = run([observed(60, skew, 'p1'), observed(120, skew, 'p1'), observed(180, skew)], ctxOf());
    expect(r.incident.planHash).toBeUndefined();
    expect(types(r.effects)).not.toContain('invoke-remediation');
    expect(r.effects).toContainEqual({
      type: 'escalate',
      reason: 'remediable but no remediation plan was produced',
    });
  });

  it('counts consecutive breaches without a timeline entry until it confirms', () => {
    const r = run([observed(60, skew), observed(120, skew)], ctxOf());
    expect(r.incident.state).toBe('suspected');
    expect(r.incident.breaches).toBe(2);
    expect(r.incident.timeline).toHaveLength(1);
  });

  it('confirms on the breach that reaches the threshold and notifies', () => {
    const r = run(threeBreaches(skew, 'p1'), ctxOf({ mode: 'off' }));
    expect(r.incident.state).toBe('confirmed');
    expect(r.incident.breaches).toBe(3);
    expect(r.last).toEqual([
      expect.objectContaining({ type: 'notify', severity: 'critical', lines: skew.evidence }),
    ]);
    expect(r.incident.timeline.at(-1)?.what).toContain('Confirmed after 3 consecutive breaches');
  });

  it('confirms on the first breach when one breach is enough', () => {
    const r = run([observed(60, skew, 'p1')], {
      ...ctxOf(),
      thresholds: { ...thresholds, consecutiveBreaches: 1 },
    });
    expect(r.incident.state).toBe('confirmed');
    expect(r.incident.timeline.map((e) => `${e.from}→${e.to}`)).toEqual([
      'ok→suspected',
      'suspected→confirmed',
    ]);
    expect(types(r.effects)).toEqual(['notify', 'invoke-remediation']);
  });

  it('confirms and remediates on the first breach when the configuration alone is decisive', () => {
    const decisive = diag('routing-skew', {
      decisive: 'listener :80 default action reaches 1 of the 4 targets last known good spread it over',
    });
    const r = run([observed(60, decisive, 'p1')], ctxOf());
    expect(r.incident.state).toBe('confirmed');
    expect(r.incident.breaches).toBe(1);
    expect(r.incident.timeline.map((e) => `${e.from}→${e.to}`)).toEqual([
      'ok→suspected',
      'suspected→confirmed',
    ]);
    expect(r.incident.timeline.at(-1)?.what).toContain(
      'Confirmed on configuration evidence alone (listener :80 default action reaches 1 of the 4 targets',
    );
    expect(types(r.effects)).toEqual(['notify', 'invoke-remediation']);
  });

  it('confirms a suspicion raised on noisy signals as soon as the configuration becomes decisive', () => {
    const decisive = diag('missing-targets', { decisive: 'target group web-b keeps 0 of its 2' });
    const r = run([observed(60, skew, 'p1'), observed(120, decisive, 'p2')], ctxOf());
    expect(r.incident.state).toBe('confirmed');
    expect(r.incident.breaches).toBe(2);
    expect(r.effects).toContainEqual({
      type: 'invoke-remediation',
      incidentId: r.incident.id,
      planHash: 'p2',
    });
  });

  it('keeps the hysteresis for a diagnosis that is not decisive', () => {
    const r = run([observed(60, skew, 'p1'), observed(120, skew, 'p1')], ctxOf());
    expect(r.incident.state).toBe('suspected');
    expect(r.effects).toEqual([]);
  });

  it('never confirms a non-LB cause early, even if a diagnosis claimed decisiveness', () => {
    const backend = diag('backend-errors-balanced', { decisive: 'a claim only the configuration may make' });
    const r = run([observed(60, backend)], ctxOf());
    expect(r.incident.state).toBe('suspected');
    expect(r.effects).toEqual([]);
  });

  it('pages at warning severity for a config-only problem with no customer impact yet', () => {
    const early = diag('routing-skew', { severity: 'info' });
    const r = run(threeBreaches(early, 'p1'), ctxOf({ mode: 'off' }));
    expect(r.last[0]).toMatchObject({ type: 'notify', severity: 'warning' });
  });

  it('keeps the newest unhealthy diagnosis and plan while suspected', () => {
    const missing = diag('missing-targets');
    const r = run([observed(60, skew, 'p1'), observed(120, missing, 'p2')], ctxOf());
    expect(r.incident.diagnosis).toBe(missing);
    expect(r.incident.planHash).toBe('p2');
    expect(r.incident.planSteps).toEqual(['step of p2']);
  });
});

describe('guardrails on confirmation', () => {
  const cases: readonly {
    readonly name: string;
    readonly diagnosis: Diagnosis;
    readonly plan?: string;
    readonly mode: RemediationMode;
    readonly previous?: readonly number[];
    readonly state: IncidentState;
    readonly effects: readonly string[];
    readonly reason?: string;
  }[] = [
    {
      name: 'invokes remediation in auto mode for a remediable load balancer fault',
      diagnosis: skew,
      plan: 'p1',
      mode: 'auto',
      state: 'confirmed',
      effects: ['notify', 'invoke-remediation'],
    },
    {
      name: 'shows the plan and changes nothing in dry-run mode',
      diagnosis: skew,
      plan: 'p1',
      mode: 'dry-run',
      state: 'confirmed',
      effects: ['notify', 'notify-plan'],
    },
    {
      name: 'only notifies in dry-run mode when no plan was produced',
      diagnosis: skew,
      mode: 'dry-run',
      state: 'confirmed',
      effects: ['notify'],
    },
    {
      name: 'only notifies when remediation is off',
      diagnosis: skew,
      plan: 'p1',
      mode: 'off',
      state: 'confirmed',
      effects: ['notify'],
    },
    {
      name: 'escalates and never touches the load balancer when backends fail behind balanced routing',
      diagnosis: diag('backend-errors-balanced'),
      plan: 'p1',
      mode: 'auto',
      state: 'escalated',
      effects: ['notify', 'notify', 'escalate'],
      reason: 'the load balancer is not the cause (backend-errors-balanced); page the service owner',
    },
    {
      name: 'escalates when every target is unhealthy and routing is unchanged',
      diagnosis: diag('no-healthy-targets'),
      mode: 'auto',
      state: 'escalated',
      effects: ['notify', 'notify', 'escalate'],
      reason: 'the load balancer is not the cause (no-healthy-targets); page the service owner',
    },
    {
      name: 'escalates even in off mode when the load balancer is not the cause',
      diagnosis: diag('targets-unhealthy-balanced'),
      mode: 'off',
      state: 'escalated',
      effects: ['notify', 'notify', 'escalate'],
      reason: 'the load balancer is not the cause (targets-unhealthy-balanced); page the service owner',
    },
    {
      name: 'escalates a load balancer fault that has no last known good to restore',
      diagnosis: diag('routing-skew', { remediable: false }),
      plan: 'p1',
      mode: 'auto',
      state: 'escalated',
      effects: ['notify', 'notify', 'escalate'],
      reason:
        'load balancer fault (routing-skew) that restoring last known good cannot fix; a human must repair routing',
    },
    {
      name: 'opens the circuit and escalates when the hourly budget is spent',
      diagnosis: skew,
      plan: 'p1',
      mode: 'auto',
      previous: [-3000, -1000],
      state: 'escalated',
      effects: ['notify', 'notify', 'escalate'],
      reason: 'circuit open: 2 remediations in the last hour',
    },
    {
      name: 'does not count remediations older than an hour against the budget',
      diagnosis: skew,
      plan: 'p1',
      mode: 'auto',
      previous: [-3500, -3450],
      state: 'confirmed',
      effects: ['notify', 'invoke-remediation'],
    },
    {
      name: 'waits out the cooldown after a recent remediation',
      diagnosis: skew,
      plan: 'p1',
      mode: 'auto',
      previous: [0],
      state: 'confirmed',
      effects: ['notify'],
    },
    {
      name: 'escalates in auto mode when no plan was produced for a remediable fault',
      diagnosis: skew,
      mode: 'auto',
      state: 'escalated',
      effects: ['notify', 'notify', 'escalate'],
      reason: 'remediable but no remediation plan was produced',
    },
  ];

  it.each(cases)('$name', (c) => {
    const previousRemediations = (c.previous ?? []).map(at);
    const r = run(threeBreaches(c.diagnosis, c.plan), ctxOf({ mode: c.mode }, { previousRemediations }));
    expect(r.incident.state).toBe(c.state);
    expect(types(r.effects)).toEqual(c.effects);
    if (c.reason !== undefined) {
      expect(r.effects).toContainEqual({ type: 'escalate', reason: c.reason });
      expect(r.incident.timeline.at(-1)).toMatchObject({ from: 'confirmed', to: 'escalated' });
      expect(r.incident.timeline.at(-1)?.what).toBe(`Escalated: ${c.reason}`);
      expect(r.incident.closedAt).toBeUndefined();
    }
  });

  it('invokes remediation with the incident id and plan hash and records the attempt', () => {
    const r = run(threeBreaches(skew, 'p1'), ctxOf());
    expect(r.last).toContainEqual({ type: 'invoke-remediation', incidentId: r.incident.id, planHash: 'p1' });
    expect(r.incident.remediations).toEqual([at(180)]);
    expect(r.incident.timeline.at(-1)?.what).toContain('remediating with plan p1');
  });

  it('names the cooldown end in the confirmation and invokes once it has passed', () => {
    const ctx = ctxOf({}, { previousRemediations: [at(0)] });
    const waiting = run(threeBreaches(skew, 'p1'), ctx);
    expect(waiting.incident.timeline.at(-1)?.what).toContain(`cooldown until ${at(300)}`);
    const still = run([observed(240, skew, 'p1')], ctx, waiting.incident);
    expect(still.effects).toEqual([]);
    expect(still.incident.breaches).toBe(4);
    const after = run([observed(300, skew, 'p1')], ctx, still.incident);
    expect(types(after.effects)).toEqual(['invoke-remediation']);
    expect(after.incident.state).toBe('confirmed');
  });

  it('does not invoke again while a remediation it asked for has not started', () => {
    const invoked = run(threeBreaches(skew, 'p1'), ctxOf());
    const again = run([observed(240, skew, 'p1')], ctxOf(), invoked.incident);
    expect(again.effects).toEqual([]);
  });

  it('re-sends a dry-run plan only when the plan changes', () => {
    const ctx = ctxOf({ mode: 'dry-run' });
    const shown = run(threeBreaches(skew, 'p1'), ctx);
    expect(run([observed(240, skew, 'p1')], ctx, shown.incident).effects).toEqual([]);
    const changed = run([observed(240, skew, 'p2')], ctx, shown.incident);
    expect(changed.effects).toEqual([{ type: 'notify-plan', planHash: 'p2', steps: ['step of p2'] }]);
  });

  it('stays confirmed and quiet on later observations when remediation is off', () => {
    const ctx = ctxOf({ mode: 'off' });
    const confirmed = run(threeBreaches(skew, 'p1'), ctx);
    const later = run([observed(240, skew, 'p1')], ctx, confirmed.incident);
    expect(later.incident.state).toBe('confirmed');
    expect(later.effects).toEqual([]);
  });

  it('escalates a confirmed incident whose diagnosis turns out not to be the load balancer', () => {
    const ctx = ctxOf({ mode: 'off' });
    const confirmed = run(threeBreaches(skew, 'p1'), ctx);
    const later = run([observed(240, diag('backend-errors-balanced'))], ctx, confirmed.incident);
    expect(later.incident.state).toBe('escalated');
    expect(types(later.effects)).toEqual(['notify', 'escalate']);
  });

  it('resolves a confirmed incident that recovers by itself and keeps the root cause', () => {
    const confirmed = run(threeBreaches(skew, 'p1'), ctxOf({ mode: 'off' }));
    const r = run([observed(240, healthy)], ctxOf({ mode: 'off' }), confirmed.incident);
    expect(r.incident.state).toBe('resolved');
    expect(r.incident.closedAt).toBe(at(240));
    expect(r.incident.diagnosis).toBe(skew);
    expect(r.effects).toEqual([expect.objectContaining({ type: 'notify', severity: 'info' })]);
    expect(r.incident.timeline.at(-1)?.what).toContain('Recovered without remediation');
  });
});

describe('remediation lifecycle', () => {
  const ctx = ctxOf();
  const confirmed = run(threeBreaches(skew, 'p1'), ctx).incident;

  it('goes confirmed → mitigating → verifying → resolved and records each step', () => {
    const r = run(
      [
        { type: 'remediation-started', at: at(190), planHash: 'p1' },
        { type: 'remediation-applied', at: at(195), steps: ['ModifyListener :80 web-a/web-b 50/50'] },
        { type: 'verified', at: at(360), evidence: ['probe checkout: 10 of 10 passed'] },
      ],
      ctx,
      confirmed,
    );
    expect(r.incident.state).toBe('resolved');
    expect(r.incident.closedAt).toBe(at(360));
    expect(r.incident.planSteps).toEqual(['ModifyListener :80 web-a/web-b 50/50']);
    expect(r.incident.timeline.slice(-3).map((e) => `${e.from}→${e.to}`)).toEqual([
      'confirmed→mitigating',
      'mitigating→verifying',
      'verifying→resolved',
    ]);
    expect(r.incident.timeline.at(-1)?.evidence).toEqual(['probe checkout: 10 of 10 passed']);
    expect(types(r.effects)).toEqual(['notify', 'notify', 'notify']);
    // The invoke recorded the attempt; the start must not count it twice.
    expect(r.incident.remediations).toEqual([at(180)]);
  });

  describe('a CloudTrail event that arrives after detection', () => {
    const change = { at: at(170), eventName: 'ModifyListener', principal: 'role deploy-pipeline' };
    const attributed = diag('routing-skew', {
      evidence: ['listener :80 sends 100% to web-a', 'changed at … by role deploy-pipeline'],
      firstChange: change,
    });
    const mitigating = run(
      [{ type: 'remediation-started', at: at(190), planHash: 'p1' }],
      ctx,
      confirmed,
    ).incident;

    it.each([
      ['mitigating', mitigating],
      [
        'verifying',
        run([{ type: 'remediation-applied', at: at(195), steps: ['s'] }], ctx, mitigating).incident,
      ],
      [
        'escalated',
        run([{ type: 'remediation-failed', at: at(195), error: 'throttled' }], ctx, mitigating).incident,
      ],
    ])('names who changed what on a %s incident, once, without a page or a state change', (_, from) => {
      const r = run([observed(200, attributed), observed(210, attributed)], ctx, from);
      expect(r.incident.state).toBe(from.state);
      expect(r.incident.diagnosis?.firstChange).toEqual(change);
      expect(r.incident.diagnosis?.evidence).toEqual(attributed.evidence);
      expect(r.incident.timeline.length).toBe(from.timeline.length + 1);
      expect(r.incident.timeline.at(-1)?.what).toMatch(/^Attributed: ModifyListener by role deploy-pipeline/);
      expect(r.effects).toEqual([]);
    });

    it('keeps an attribution already known, and never takes one for another cause', () => {
      const known = run([observed(200, attributed)], ctx, mitigating).incident;
      const other = { ...change, principal: 'user mallory' };
      expect(run([observed(210, { ...attributed, firstChange: other })], ctx, known).incident).toBe(known);
      const missing = diag('missing-targets', { firstChange: other });
      expect(run([observed(210, missing)], ctx, mitigating).incident).toBe(mitigating);
    });
  });

  it('records an operator-started remediation against the budget', () => {
    const dry = run(threeBreaches(skew, 'p1'), ctxOf({ mode: 'dry-run' })).incident;
    const r = run([{ type: 'remediation-started', at: at(200), planHash: 'p1' }], ctx, dry);
    expect(r.incident.state).toBe('mitigating');
    expect(r.incident.remediations).toEqual([at(200)]);
    expect(r.incident.timeline.at(-1)?.evidence).toEqual(['step of p1']);
  });

  it('starts with no plan lines when the started plan is not the one last observed', () => {
    const r = transition(confirmed, { type: 'remediation-started', at: at(190), planHash: 'p9' }, ctx);
    expect(r.incident.planHash).toBe('p9');
    expect(r.incident.timeline.at(-1)?.evidence).toEqual([]);
  });

  it('shows a dry-run plan that came without readable steps', () => {
    const bare: IncidentEvent = { type: 'observed', at: at(60), diagnosis: skew, planHash: 'p1' };
    const ctx1 = { ...ctxOf({ mode: 'dry-run' }), thresholds: { ...thresholds, consecutiveBreaches: 1 } };
    const r = run([bare], ctx1);
    expect(r.effects).toContainEqual({ type: 'notify-plan', planHash: 'p1', steps: [] });
    const started = transition(r.incident, { type: 'remediation-started', at: at(70), planHash: 'p1' }, ctx1);
    expect(started.incident.timeline.at(-1)?.evidence).toEqual([]);
  });

  it('measures a stall from the opening time of an incident stored without a timeline', () => {
    const stored: Incident = { ...startIncident('shop', at(0)), state: 'mitigating' };
    expect(transition(stored, observed(360, skew), ctx).incident.state).toBe('mitigating');
    expect(transition(stored, observed(361, skew), ctx).incident.state).toBe('escalated');
  });

  it('escalates when verification fails', () => {
    const r = run(
      [
        { type: 'remediation-started', at: at(190), planHash: 'p1' },
        { type: 'remediation-applied', at: at(195), steps: ['step'] },
        { type: 'verification-failed', at: at(400), evidence: ['probe checkout: 10 of 10 failed'] },
      ],
      ctx,
      confirmed,
    );
    expect(r.incident.state).toBe('escalated');
    expect(r.last).toEqual([
      expect.objectContaining({ type: 'notify', severity: 'critical' }),
      { type: 'escalate', reason: 'verification failed after remediation' },
    ]);
    expect(r.incident.timeline.at(-1)?.evidence).toEqual(['probe checkout: 10 of 10 failed']);
  });

  it.each<IncidentState>(['confirmed', 'mitigating', 'verifying'])(
    'escalates when remediation fails while %s',
    (state) => {
      const events: IncidentEvent[] = [
        { type: 'remediation-started', at: at(190), planHash: 'p1' },
        { type: 'remediation-applied', at: at(195), steps: ['step'] },
      ];
      const upTo = { confirmed: 0, mitigating: 1, verifying: 2 }[state as 'confirmed'];
      const before = run(events.slice(0, upTo), ctx, confirmed).incident;
      expect(before.state).toBe(state);
      const r = transition(before, { type: 'remediation-failed', at: at(200), error: 'AccessDenied' }, ctx);
      expect(r.incident.state).toBe('escalated');
      expect(r.effects).toContainEqual({ type: 'escalate', reason: 'remediation failed: AccessDenied' });
    },
  );

  it('records a held lock in the timeline without changing state', () => {
    const r = transition(confirmed, { type: 'lock-held', at: at(185) }, ctx);
    expect(r.incident.state).toBe('confirmed');
    expect(r.effects).toEqual([]);
    expect(r.incident.timeline.at(-1)).toMatchObject({ from: 'confirmed', to: 'confirmed', at: at(185) });
    expect(r.incident.timeline).toHaveLength(confirmed.timeline.length + 1);
  });

  it('ignores observations while mitigating within the verification deadline', () => {
    const mitigating = run(
      [{ type: 'remediation-started', at: at(190), planHash: 'p1' }],
      ctx,
      confirmed,
    ).incident;
    expect(transition(mitigating, observed(190 + 360, healthy), ctx)).toEqual({
      incident: mitigating,
      effects: [],
    });
  });

  it('escalates a remediation that never reported back', () => {
    const verifying = run(
      [
        { type: 'remediation-started', at: at(190), planHash: 'p1' },
        { type: 'remediation-applied', at: at(195), steps: ['step'] },
      ],
      ctx,
      confirmed,
    ).incident;
    const r = transition(verifying, observed(190 + 361, skew), ctx);
    expect(r.incident.state).toBe('escalated');
    expect(r.effects).toContainEqual({
      type: 'escalate',
      reason: 'remediation stalled: no verification 361 s after it started (deadline 180 s)',
    });
  });
});

describe('events that make no sense in a state', () => {
  const ctx = ctxOf();
  const ok = startIncident('shop', at(0));
  const suspected = run([observed(60, skew)], ctx).incident;
  const confirmed = run(threeBreaches(skew, 'p1'), ctx).incident;
  const resolved = run([observed(240, healthy)], ctx, confirmed).incident;
  const escalated = run(threeBreaches(diag('unknown')), ctx).incident;

  const cases: readonly [string, Incident, IncidentEvent][] = [
    ['verified while ok', ok, { type: 'verified', at: at(1), evidence: [] }],
    ['remediation-started while ok', ok, { type: 'remediation-started', at: at(1), planHash: 'p' }],
    [
      'remediation-applied while confirmed',
      confirmed,
      { type: 'remediation-applied', at: at(200), steps: [] },
    ],
    [
      'verification-failed while confirmed',
      confirmed,
      { type: 'verification-failed', at: at(200), evidence: [] },
    ],
    ['remediation-failed while suspected', suspected, { type: 'remediation-failed', at: at(70), error: 'x' }],
    ['lock-held while ok', ok, { type: 'lock-held', at: at(1) }],
    ['an observation after resolution', resolved, observed(300, skew, 'p1')],
    ['an observation after escalation', escalated, observed(300, skew, 'p1')],
    [
      'remediation-started after escalation',
      escalated,
      { type: 'remediation-started', at: at(300), planHash: 'p' },
    ],
    ['lock-held after resolution', resolved, { type: 'lock-held', at: at(300) }],
  ];

  it.each(cases)('ignores %s', (_name, incident, event) => {
    expect(transition(incident, event, ctx)).toEqual({ incident, effects: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random event sequences
// ---------------------------------------------------------------------------------------------

const arbDiagnosis: fc.Arbitrary<Diagnosis> = fc
  .record({
    cause: fc.constantFrom<RootCause>(
      'healthy',
      'routing-skew',
      'missing-targets',
      'listener-drift',
      'no-healthy-targets',
      'targets-unhealthy-balanced',
      'backend-errors-balanced',
      'unknown',
    ),
    remediable: fc.boolean(),
  })
  .map(({ cause, remediable }) => {
    const d = diag(cause);
    return { ...d, remediable: d.lbFault && remediable };
  });

/** Event kinds with a time delta; times are made monotonic when the sequence is assembled. */
const arbStep: fc.Arbitrary<{ readonly dt: number; readonly make: (t: string) => IncidentEvent }> = fc.record(
  {
    dt: fc.integer({ min: 0, max: 900 }),
    make: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.tuple(arbDiagnosis, fc.option(fc.constantFrom('p1', 'p2'), { nil: undefined })).map(
          ([diagnosis, planHash]) =>
            (t: string): IncidentEvent =>
              planHash === undefined
                ? { type: 'observed', at: t, diagnosis }
                : { type: 'observed', at: t, diagnosis, planHash, planSteps: [planHash] },
        ),
      },
      fc.constant((t: string): IncidentEvent => ({ type: 'remediation-started', at: t, planHash: 'p1' })),
      fc.constant((t: string): IncidentEvent => ({ type: 'remediation-applied', at: t, steps: ['s'] })),
      fc.constant((t: string): IncidentEvent => ({ type: 'remediation-failed', at: t, error: 'boom' })),
      fc.constant((t: string): IncidentEvent => ({ type: 'verified', at: t, evidence: [] })),
      fc.constant((t: string): IncidentEvent => ({ type: 'verification-failed', at: t, evidence: [] })),
      fc.constant((t: string): IncidentEvent => ({ type: 'lock-held', at: t })),
    ),
  },
);

const arbEvents: fc.Arbitrary<IncidentEvent[]> = fc.array(arbStep, { maxLength: 60 }).map((steps) => {
  let t = 60;
  return steps.map((s) => {
    t += s.dt;
    return s.make(at(t));
  });
});

const arbCtx: fc.Arbitrary<TransitionContext> = fc
  .record({
    mode: fc.constantFrom<RemediationMode>('off', 'dry-run', 'auto'),
    cooldownSeconds: fc.constantFrom(0, 60, 300, 900),
    maxPerHour: fc.integer({ min: 0, max: 4 }),
    verifyDeadlineSeconds: fc.constantFrom(60, 180, 600),
    consecutiveBreaches: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ consecutiveBreaches, ...p }) => ({
    policy: policy(p),
    thresholds: { ...thresholds, consecutiveBreaches },
  }));

const TERMINAL: ReadonlySet<IncidentState> = new Set(['resolved']);

interface Simulation {
  readonly invokes: readonly number[];
  readonly steps: readonly {
    before: Incident;
    event: IncidentEvent;
    after: Incident;
    effects: readonly Effect[];
  }[];
}

/** Drives a service the way inspect does: a new incident after each terminal one, budget carried over. */
function simulate(events: readonly IncidentEvent[], base: TransitionContext): Simulation {
  let incident = startIncident('shop', at(0));
  let previous: string[] = [];
  const invokes: number[] = [];
  const steps: Simulation['steps'][number][] = [];
  for (const event of events) {
    if (TERMINAL.has(incident.state)) {
      previous = [...previous, ...incident.remediations];
      incident = startIncident('shop', event.at);
    }
    const result = transition(incident, event, { ...base, previousRemediations: previous });
    for (const e of result.effects) if (e.type === 'invoke-remediation') invokes.push(Date.parse(event.at));
    steps.push({ before: incident, event, after: result.incident, effects: result.effects });
    incident = result.incident;
  }
  return { invokes, steps };
}

describe('the hourly budget across incidents', () => {
  it('opens the circuit on the third failed restore within an hour when two are allowed', () => {
    const cycle = (t: number): IncidentEvent[] => [
      observed(t, skew, 'p1'),
      observed(t + 60, skew, 'p1'),
      observed(t + 120, skew, 'p1'),
      { type: 'remediation-started', at: at(t + 125), planHash: 'p1' },
      { type: 'remediation-applied', at: at(t + 130), steps: ['step'] },
      { type: 'verification-failed', at: at(t + 300), evidence: [] },
      // The site recovers (a human fixed it), closing the escalated incident; then it breaks again.
      observed(t + 400, healthy),
    ];
    const sim = simulate(
      [...cycle(0), ...cycle(600), ...cycle(1200)],
      ctxOf({ cooldownSeconds: 300, maxPerHour: 2 }),
    );
    expect(sim.invokes).toEqual([Date.parse(at(120)), Date.parse(at(720))]);
    const third = sim.steps.find((s) => s.after.state === 'escalated' && s.event.at === at(1320));
    expect(third?.effects).toContainEqual({
      type: 'escalate',
      reason: 'circuit open: 2 remediations in the last hour',
    });
  });
});

describe('incident properties', () => {
  it('never invokes remediation in dry-run or off mode', () => {
    fc.assert(
      fc.property(
        arbEvents,
        arbCtx,
        fc.constantFrom<RemediationMode>('off', 'dry-run'),
        (events, ctx, mode) => {
          const sim = simulate(events, { ...ctx, policy: { ...ctx.policy, mode } });
          expect(sim.invokes).toEqual([]);
        },
      ),
    );
  });

  it('never invokes remediation more than maxPerHour times in any hour', () => {
    fc.assert(
      fc.property(arbEvents, arbCtx, (events, ctx) => {
        const { invokes } = simulate(events, ctx);
        for (const t of invokes) {
          const inHour = invokes.filter((u) => u <= t && t - u < 3_600_000).length;
          expect(inHour).toBeLessThanOrEqual(ctx.policy.maxPerHour);
        }
      }),
    );
  });

  it('appends one timeline entry per state change, plus one per held lock, chained from the old state', () => {
    fc.assert(
      fc.property(arbEvents, arbCtx, (events, ctx) => {
        for (const { before, event, after } of simulate(events, ctx).steps) {
          const added = after.timeline.slice(before.timeline.length);
          expect(after.timeline.slice(0, before.timeline.length)).toEqual(before.timeline);
          const changes = added.filter((e) => e.from !== e.to);
          const locks = added.filter((e) => e.from === e.to);
          expect(locks.length).toBe(event.type === 'lock-held' && added.length > 0 ? 1 : 0);
          if (before.state === after.state) expect(changes).toEqual([]);
          let state = before.state;
          for (const entry of changes) {
            expect(entry.from).toBe(state);
            expect(entry.at).toBe(event.at);
            state = entry.to;
          }
          expect(state).toBe(after.state);
        }
      }),
    );
  });

  it('notifies on every state change except into and out of suspicion', () => {
    fc.assert(
      fc.property(arbEvents, arbCtx, (events, ctx) => {
        for (const { before, after, effects } of simulate(events, ctx).steps) {
          const loud = after.timeline
            .slice(before.timeline.length)
            .filter((e) => e.from !== e.to && e.to !== 'suspected' && e.from !== 'suspected');
          const confirms = after.timeline
            .slice(before.timeline.length)
            .filter((e) => e.from === 'suspected' && e.to === 'confirmed');
          const notifies = effects.filter((e) => e.type === 'notify').length;
          expect(notifies).toBe(loud.length + confirms.length);
        }
      }),
    );
  });

  it('keeps an escalated incident quiet while unhealthy and closes it once healthy again', () => {
    fc.assert(
      fc.property(arbEvents, arbCtx, arbDiagnosis, (events, ctx, diagnosis) => {
        for (const { after } of simulate(events, ctx).steps) {
          if (after.state !== 'escalated') continue;
          const next = transition(
            after,
            { type: 'observed', at: at(100_000), diagnosis, planHash: 'p1' },
            ctx,
          );
          if (diagnosis.cause === 'healthy') {
            expect(next.incident.state).toBe('resolved');
            expect(next.incident.closedAt).toBe(at(100_000));
            expect(types(next.effects)).toEqual(['notify']);
          } else {
            expect(next).toEqual({ incident: after, effects: [] });
          }
        }
      }),
    );
  });

  it('treats resolved as terminal for observations', () => {
    fc.assert(
      fc.property(arbEvents, arbCtx, arbDiagnosis, (events, ctx, diagnosis) => {
        for (const { after } of simulate(events, ctx).steps) {
          if (!TERMINAL.has(after.state)) continue;
          const next = transition(
            after,
            { type: 'observed', at: at(100_000), diagnosis, planHash: 'p1' },
            ctx,
          );
          expect(next).toEqual({ incident: after, effects: [] });
        }
      }),
    );
  });

  it('escalates instead of remediating once the hourly budget is spent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 3599 }), { minLength: 5, maxLength: 8 }),
        (maxPerHour, agesSeconds) => {
          const previousRemediations = agesSeconds.map((age) => at(180 - age));
          const ctx = ctxOf({ maxPerHour, cooldownSeconds: 0 }, { previousRemediations });
          const r = run(threeBreaches(skew, 'p1'), ctx);
          expect(r.incident.state).toBe('escalated');
          expect(types(r.effects)).not.toContain('invoke-remediation');
          expect(r.effects).toContainEqual(
            expect.objectContaining({
              type: 'escalate',
              reason: expect.stringMatching(/^circuit open: \d+ remediations? in the last hour$/),
            }),
          );
        },
      ),
    );
  });
});

describe('an incident escalated because the data plane is not following', () => {
  const notFollowing = diag('data-plane-not-following');
  const escalated = (): Incident => {
    const confirmed = run(threeBreaches(skew, 'p1'), ctxOf()).incident;
    return run(
      [
        { type: 'remediation-started', at: at(200), planHash: 'p1' },
        { type: 'remediation-applied', at: at(201), steps: ['ModifyListener'] },
        { type: 'verification-failed', at: at(500), evidence: ['still 15/15/0/0'], diagnosis: notFollowing },
      ],
      ctxOf(),
      confirmed,
    ).incident;
  };
  const healthyWith = (seconds: number, dataPlane?: 'converged' | 'converging' | 'unobserved') => ({
    ...(observed(seconds, healthy) as Extract<IncidentEvent, { type: 'observed' }>),
    ...(dataPlane === undefined ? {} : { dataPlane }),
  });

  it.each(['converging', 'unobserved'] as const)(
    'stays escalated on a healthy minute whose newest write is %s: nothing saw the traffic move',
    (dataPlane) => {
      const before = escalated();
      expect(before.state).toBe('escalated');
      const after = transition(before, healthyWith(560, dataPlane), ctxOf());
      expect(after).toEqual({ incident: before, effects: [] });
    },
  );

  it.each([
    ['observed converged', 'converged'],
    ['no write in question any more', undefined],
  ] as const)('closes as recovered once healthy with %s', (_, dataPlane) => {
    const after = transition(escalated(), healthyWith(560, dataPlane), ctxOf());
    expect(after.incident.state).toBe('resolved');
    expect(after.incident.timeline.at(-1)?.what).toMatch(/^Recovered after escalation/);
  });
});
