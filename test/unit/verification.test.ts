import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/config/defaults.ts';
import { type PlanOutcome, planRestore } from '../../lib/plan.ts';
import type { Diagnosis, ProbeResult, ProbeStepResult, TargetHealth } from '../../lib/types.ts';
import { judgeDeployment, judgeRecovery, unknownServiceFinding } from '../../lib/verification.ts';
import { healthOf, outageCurrent, outageLastGood, tgArn } from './fixtures/topologies.ts';

const AT = '2026-11-03T14:00:00.000Z';
const CONVERGED: PlanOutcome = { kind: 'nothing-to-do', leftAlone: [] };

function step(overrides: Partial<ProbeStepResult> = {}): ProbeStepResult {
  return {
    name: 'home',
    url: 'https://shop.example.com/',
    method: 'GET',
    ok: true,
    status: 200,
    latencyMs: 12,
    failures: [],
    ...overrides,
  };
}

function probe(name: string, steps: readonly ProbeStepResult[], totalMs = 42): ProbeResult {
  return { service: 'shop', probe: name, at: AT, ok: steps.every((s) => s.ok), steps, totalMs };
}

const green = probe('home', [step()]);

function health(...states: readonly TargetHealth['state'][]): TargetHealth[] {
  return states.map((state, i) => ({ targetGroupArn: tgArn('web-a'), targetId: `i-0${i}`, port: 80, state }));
}

describe('judgeRecovery: configuration', () => {
  it('passes a converged load balancer whose probes all passed, saying it matches last known good', () => {
    const verdict = judgeRecovery({
      replanned: CONVERGED,
      live: outageLastGood(),
      health: healthOf(outageLastGood()),
      probes: [green, probe('checkout', [step({ name: 'cart' })], 77)],
    });
    expect(verdict).toEqual({
      ok: true,
      configConverged: true,
      evidence: [
        'config: live routing matches last known good (nothing left to restore)',
        'targets: 4 healthy',
        'probe home: ok in 42 ms',
        'probe checkout: ok in 77 ms',
      ],
    });
  });

  it('fails while a plan is left, naming each step still to apply against the live snapshot', () => {
    const live = outageCurrent();
    const replanned = planRestore({
      current: live,
      lastGood: outageLastGood(),
      health: healthOf(live),
      attachments: new Map(live.targetGroups.map((g) => [g.arn, [live.loadBalancerArn]])),
      policy: DEFAULTS.remediation,
    });
    expect(replanned.kind).toBe('plan');
    const verdict = judgeRecovery({ replanned, live, health: healthOf(live), probes: [green] });
    expect(verdict.ok).toBe(false);
    expect(verdict.evidence[0]).toBe(
      'config: not converged (RegisterTargets web-a: i-0b:80; RegisterTargets web-b: i-0c:80, i-0d:80; ' +
        'ModifyListener :80 default action → forward web-a/web-b 50/50)',
    );
  });

  it('fails when the re-plan is rejected, quoting why', () => {
    const live = outageCurrent();
    const replanned = planRestore({
      current: live,
      lastGood: outageLastGood(),
      health: healthOf(live),
      attachments: new Map(live.targetGroups.map((g) => [g.arn, [live.loadBalancerArn]])),
      policy: { ...DEFAULTS.remediation, maxSteps: 1 },
    });
    expect(replanned.kind).toBe('rejected');
    const verdict = judgeRecovery({ replanned, live, health: healthOf(live), probes: [green] });
    expect(verdict.ok).toBe(false);
    expect(verdict.evidence[0]).toBe(
      'config: not converged (the plan needs 3 calls; the policy allows at most 1)',
    );
  });

  it('fails a converged load balancer whose probe failed, while still reporting the configuration converged', () => {
    const verdict = judgeRecovery({
      replanned: CONVERGED,
      live: outageLastGood(),
      health: [],
      probes: [probe('home', [step({ ok: false, status: 503, failures: ['status 503 not in [200]'] })])],
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.evidence[0]).toMatch(/matches last known good/);
  });
});

describe('judgeRecovery: probes', () => {
  const cases: readonly { name: string; steps: readonly ProbeStepResult[]; line: string }[] = [
    {
      name: 'names the failing step and its first assertion failure',
      steps: [
        step({ name: 'home' }),
        step({
          name: 'cart',
          ok: false,
          status: 503,
          failures: ['status 503 not in [200]', 'body too short'],
        }),
        step({ name: 'pay', ok: false, status: 500, failures: ['status 500 not in [200]'] }),
      ],
      line: 'probe journey: failed at cart: status 503 not in [200]',
    },
    {
      name: 'names a transport error when no assertion failed',
      steps: [step({ ok: false, error: 'timeout after 5000 ms', failures: [] })],
      line: 'probe journey: failed at home: timeout after 5000 ms',
    },
    {
      name: 'falls back to the status when neither an assertion nor an error is recorded',
      steps: [step({ ok: false, status: 502, failures: [] })],
      line: 'probe journey: failed at home: status 502',
    },
    {
      name: 'says only "failed" when no step is marked failing',
      steps: [],
      line: 'probe journey: failed',
    },
  ];

  it.each(cases)('$name', ({ steps, line }) => {
    const failing: ProbeResult = { ...probe('journey', steps), ok: false };
    const verdict = judgeRecovery({
      replanned: CONVERGED,
      live: outageLastGood(),
      health: [],
      probes: [failing],
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.evidence).toContain(line);
  });

  it('fails when one probe of several failed, listing every probe in order', () => {
    const verdict = judgeRecovery({
      replanned: CONVERGED,
      live: outageLastGood(),
      health: [],
      probes: [green, probe('api', [step({ name: 'status', ok: false, status: 500, failures: ['boom'] })])],
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.evidence.slice(2)).toEqual([
      'probe home: ok in 42 ms',
      'probe api: failed at status: boom',
    ]);
  });

  it('passes a converged load balancer with no probes to contradict it', () => {
    const verdict = judgeRecovery({ replanned: CONVERGED, live: outageLastGood(), health: [], probes: [] });
    expect(verdict.ok).toBe(true);
    expect(verdict.evidence).toHaveLength(2);
  });
});

describe('judgeRecovery: target health', () => {
  it.each([
    { states: [], line: 'targets: none registered' },
    { states: ['healthy', 'unused', 'healthy'], line: 'targets: 2 healthy, 1 unused' },
    { states: ['initial', 'initial', 'initial'], line: 'targets: 3 initial' },
    { states: ['unhealthy', 'healthy', 'draining'], line: 'targets: 1 unhealthy, 1 healthy, 1 draining' },
  ] as const)('counts $states as "$line", in order of first appearance', ({ states, line }) => {
    const verdict = judgeRecovery({
      replanned: CONVERGED,
      live: outageLastGood(),
      health: health(...states),
      probes: [green],
    });
    expect(verdict.evidence[1]).toBe(line);
  });

  it('does not let unhealthy targets fail a converged recovery whose probes pass', () => {
    const verdict = judgeRecovery({
      replanned: CONVERGED,
      live: outageLastGood(),
      health: health('unhealthy', 'unhealthy'),
      probes: [green],
    });
    expect(verdict.ok).toBe(true);
  });
});

describe('judgeDeployment', () => {
  function diagnosis(overrides: Partial<Diagnosis>): Diagnosis {
    return {
      cause: 'healthy',
      lbFault: false,
      remediable: false,
      severity: 'info',
      summary: 'all probes green, routing balanced',
      evidence: ['probe home: ok'],
      drift: [],
      ...overrides,
    };
  }

  it('blocks a deployment that left the load balancer at fault, keeping its diagnosis', () => {
    const finding = judgeDeployment(
      'shop',
      diagnosis({
        cause: 'routing-skew',
        lbFault: true,
        remediable: true,
        severity: 'critical',
        summary: 'web-a takes 100% of :80',
        evidence: ['weights 100/0'],
      }),
    );
    expect(finding).toEqual({
      service: 'shop',
      ok: false,
      cause: 'routing-skew',
      severity: 'critical',
      summary: 'web-a takes 100% of :80',
      evidence: ['weights 100/0'],
    });
  });

  it('passes a deployment whose only fault is in the application, keeping the summary to report', () => {
    const finding = judgeDeployment(
      'shop',
      diagnosis({
        cause: 'backend-errors-balanced',
        severity: 'warning',
        summary: '5xx from every target alike',
      }),
    );
    expect(finding.ok).toBe(true);
    expect(finding.cause).toBe('backend-errors-balanced');
    expect(finding.summary).toBe('5xx from every target alike');
  });

  it('passes a healthy deployment', () => {
    expect(judgeDeployment('shop', diagnosis({})).ok).toBe(true);
  });
});

describe('unknownServiceFinding', () => {
  it('fails the gate for a service that is not guarded, naming it', () => {
    expect(unknownServiceFinding('shpo')).toEqual({
      service: 'shpo',
      ok: false,
      cause: 'unknown',
      severity: 'warning',
      summary: 'no guarded service named shpo',
      evidence: [],
    });
  });

  it('fails the gate when no service was named, saying "(none)"', () => {
    const finding = unknownServiceFinding(undefined);
    expect(finding.ok).toBe(false);
    expect(finding.service).toBe('(none)');
    expect(finding.summary).toBe('no guarded service named (none)');
  });
});
