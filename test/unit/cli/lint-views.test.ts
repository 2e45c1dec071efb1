import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeLintFailure,
  hasLintErrors,
  renderLintFinding,
  renderLintVerdict,
  renderServiceLint,
  renderVerifyLint,
  type ServiceLint,
  toServiceLint,
} from '../../../cli/lint-views.ts';
import { Renderer, stripAnsi } from '../../../cli/render.ts';
import { type LintFinding, lintSnapshot } from '../../../lib/lint.ts';
import {
  arbSnapshotWithHealth,
  forward,
  healthOf,
  LB_ARN,
  listener,
  snapshot,
  targetGroup,
} from '../fixtures/topologies.ts';

const plain = new Renderer(false);
const SHOP = { name: 'shop', loadBalancerArn: LB_ARN };

/** 100/0 to web-a while web-b still has two targets: the outage's first step, LBG-L1. */
function concentrated(): ServiceLint {
  const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
  const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
  const snap = snapshot([listener(80, [forward([webA, 100], [webB, 0])])], [webA, webB]);
  return toServiceLint(SHOP, lintSnapshot(snap, healthOf(snap)));
}

function balanced(): ServiceLint {
  const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
  const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
  const snap = snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]);
  return toServiceLint(SHOP, lintSnapshot(snap, healthOf(snap)));
}

const warningOnly: ServiceLint = {
  service: 'checkout',
  loadBalancerArn: LB_ARN.replace('/shop/', '/checkout/'),
  errors: 0,
  warnings: 1,
  findings: [
    {
      ruleId: 'LBG-L6',
      level: 'warning',
      resource: { kind: 'target-group', arn: 'tg', name: 'target group web' },
      message: 'every target of web is in one zone',
      fix: 'register targets in a second zone',
    },
  ],
};

const clean: ServiceLint = { ...warningOnly, warnings: 0, findings: [] };

describe('toServiceLint', () => {
  it('carries the report counts and findings under the service name and load balancer', () => {
    const s = concentrated();
    expect(s).toMatchObject({ service: 'shop', loadBalancerArn: LB_ARN });
    expect(s.errors).toBe(s.findings.filter((f) => f.level === 'error').length);
    expect(s.warnings).toBe(s.findings.filter((f) => f.level === 'warning').length);
    expect(s.findings.map((f) => f.ruleId)).toContain('LBG-L1');
  });

  it('counts exactly the findings lib/lint reports, for any load balancer', () => {
    fc.assert(
      fc.property(arbSnapshotWithHealth(), ({ snapshot: snap, health }) => {
        const report = lintSnapshot(snap, health);
        const s = toServiceLint(SHOP, report);
        expect(s.errors + s.warnings).toBe(s.findings.length);
        expect(hasLintErrors([s])).toBe(report.errors > 0);
      }),
    );
  });
});

describe('hasLintErrors and describeLintFailure', () => {
  it.each([
    ['no services', [], false],
    ['a clean service', [clean], false],
    ['warnings only', [warningOnly], false],
    ['an error in one of two services', [warningOnly, concentrated()], true],
  ] as const)('with %s, fails: %s', (_, services, fails) => {
    expect(hasLintErrors(services)).toBe(fails);
    expect(describeLintFailure(services) !== undefined).toBe(fails);
  });

  it('names each failing service with its failing rule ids once', () => {
    const s = concentrated();
    const twice: ServiceLint = { ...s, errors: 2, findings: [...s.findings, ...s.findings] };
    expect(describeLintFailure([twice, warningOnly])).toBe('lint errors shop: LBG-L1');
  });
});

describe('renderLintFinding', () => {
  it.each([
    ['error', '✗'],
    ['warning', '!'],
  ] as const)('marks a%s finding with its symbol, rule id, resource, message and fix', (level, symbol) => {
    const finding: LintFinding = { ...(warningOnly.findings[0] as LintFinding), level };
    const text = renderLintFinding(plain, finding);
    expect(text.split('\n')).toEqual([
      `${symbol} ${level.padEnd(7)} LBG-L6  target group web`,
      '    every target of web is in one zone',
      '    fix: register targets in a second zone',
    ]);
  });

  it('colours only when the renderer does, and the text is the same without the colour', () => {
    const finding = concentrated().findings[0] as LintFinding;
    const coloured = renderLintFinding(new Renderer(true), finding);
    expect(coloured).toContain('\u001b[31m');
    expect(stripAnsi(coloured)).toBe(renderLintFinding(plain, finding));
  });
});

describe('renderServiceLint', () => {
  it('heads the findings with the service, its load balancer and the counts', () => {
    const text = renderServiceLint(plain, concentrated());
    const [head, counts] = text.split('\n');
    expect(head).toBe(`service shop  ${LB_ARN}`);
    expect(counts).toMatch(/^ {2}lint: [1-9]\d* errors?, \d+ warnings?$/);
    expect(text).toContain('  ✗ error   LBG-L1  listener :80');
    expect(text).toContain('web-a carries all traffic while web-b (2 registered targets) get none');
  });

  it('says "no findings" for a clean service and lists nothing else', () => {
    expect(renderServiceLint(plain, clean).split('\n')).toEqual([
      `service checkout  ${clean.loadBalancerArn}`,
      '  lint: no findings',
    ]);
  });
});

describe('renderLintVerdict', () => {
  it.each([
    [[clean], 'lint passed: no errors.'],
    [[warningOnly], 'lint passed: no errors (1 warning; they do not fail the lint).'],
    [[balanced()], /^lint passed: no errors/],
    [[concentrated(), warningOnly], /^lint FAILED: \d+ errors? \(shop: LBG-L1\)\. docs\/lint-rules\.md/],
  ] as const)('for %#, reads %s', (services, expected) => {
    if (typeof expected === 'string') expect(renderLintVerdict(services)).toBe(expected);
    else expect(renderLintVerdict(services)).toMatch(expected);
  });
});

describe('renderVerifyLint', () => {
  it('says so in one line when no service has findings', () => {
    expect(renderVerifyLint(plain, [clean])).toBe('✓ lint: no findings');
  });

  it('shows only the services with findings, errors marked bad and warnings marked warn', () => {
    const text = renderVerifyLint(plain, [concentrated(), clean, warningOnly]);
    expect(text).toMatch(/^✗ shop: lint \d+ errors?, \d+ warnings?\n/);
    expect(text).toContain('\n! checkout: lint 0 errors, 1 warning\n');
    expect(text).toContain('  ✗ error   LBG-L1');
    expect(text).not.toContain(`checkout  ${clean.loadBalancerArn}`);
  });
});
