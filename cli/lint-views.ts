/**
 * The `--json` shape and human rendering of lint findings, shared by `lbguard lint` and
 * `lbguard verify`. Pure: `lib/lint.ts` decides what is wrong; this only chooses how to show it.
 */
import type { LintFinding, LintReport } from '../lib/lint.ts';
import type { Renderer } from './render.ts';
import { indent } from './views.ts';

/** The `--json` shape of one service's lint (`lint.services[]`, `verify.lint[]`). */
export interface ServiceLint {
  readonly service: string;
  readonly loadBalancerArn: string;
  readonly errors: number;
  readonly warnings: number;
  readonly findings: readonly LintFinding[];
}

export function toServiceLint(
  service: { readonly name: string; readonly loadBalancerArn: string },
  report: LintReport,
): ServiceLint {
  return {
    service: service.name,
    loadBalancerArn: service.loadBalancerArn,
    errors: report.errors,
    warnings: report.warnings,
    findings: report.findings,
  };
}

/** Errors fail `lint` and `verify`; warnings are advice and never do. */
export function hasLintErrors(services: readonly ServiceLint[]): boolean {
  return services.some((s) => s.errors > 0);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `✗ error   LBG-L1  listener :80 default action`, then the message and the fix beneath it. */
export function renderLintFinding(render: Renderer, f: LintFinding): string {
  const tone = f.level === 'error' ? 'bad' : 'warn';
  return [
    render.mark(
      tone,
      `${render.paint(tone, f.level.padEnd(7))} ${render.paint('bold', f.ruleId)}  ${f.resource.name}`,
    ),
    `    ${f.message}`,
    `    ${render.paint('dim', 'fix:')} ${f.fix}`,
  ].join('\n');
}

/** One service: a header with the counts, then every finding, errors first as lib/ orders them. */
export function renderServiceLint(render: Renderer, s: ServiceLint): string {
  const counts =
    s.findings.length === 0
      ? render.paint('ok', 'no findings')
      : `${render.paint(s.errors > 0 ? 'bad' : 'ok', plural(s.errors, 'error'))}, ${render.paint(s.warnings > 0 ? 'warn' : 'ok', plural(s.warnings, 'warning'))}`;
  return [
    `${render.paint('bold', `service ${s.service}`)}  ${render.paint('dim', s.loadBalancerArn)}`,
    `  lint: ${counts}`,
    ...s.findings.map((f) => indent(renderLintFinding(render, f))),
  ].join('\n');
}

/** The rule ids that failed, per service: `shop: LBG-L1, LBG-L2`. */
function failingRules(services: readonly ServiceLint[]): string {
  return services
    .filter((s) => s.errors > 0)
    .map((s) => {
      const ids = [...new Set(s.findings.filter((f) => f.level === 'error').map((f) => f.ruleId))];
      return `${s.service}: ${ids.join(', ')}`;
    })
    .join('; ');
}

/** The last line of `lbguard lint`: passed (warnings allowed) or failed, naming the rules. */
export function renderLintVerdict(services: readonly ServiceLint[]): string {
  const warnings = services.reduce((sum, s) => sum + s.warnings, 0);
  if (!hasLintErrors(services)) {
    return `lint passed: no errors${warnings === 0 ? '' : ` (${plural(warnings, 'warning')}; they do not fail the lint)`}.`;
  }
  const errors = services.reduce((sum, s) => sum + s.errors, 0);
  return `lint FAILED: ${plural(errors, 'error')} (${failingRules(services)}). docs/lint-rules.md explains each rule and its fix.`;
}

/**
 * The lint section of `lbguard verify`: only services with findings are shown, and a failing
 * lint ends with the line that says why verify fails.
 */
export function renderVerifyLint(render: Renderer, services: readonly ServiceLint[]): string {
  const withFindings = services.filter((s) => s.findings.length > 0);
  if (withFindings.length === 0) return render.mark('ok', 'lint: no findings');
  const lines = withFindings.map(
    (s) =>
      `${render.mark(s.errors > 0 ? 'bad' : 'warn', `${render.paint('bold', s.service)}: lint ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}`)}\n${indent(s.findings.map((f) => renderLintFinding(render, f)).join('\n'))}`,
  );
  return lines.join('\n');
}

/** Why verify failed on lint alone, for its verdict line; undefined when lint has no errors. */
export function describeLintFailure(services: readonly ServiceLint[]): string | undefined {
  return hasLintErrors(services) ? `lint errors ${failingRules(services)}` : undefined;
}
