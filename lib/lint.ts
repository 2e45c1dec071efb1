/**
 * The load-balancer configuration linter: "patch the configuration so it cannot happen again"
 * (issue 8). Each rule is a pure check with an explicit id, in the manner of cdk-nag, answering
 * compliant, non-compliant (with findings) or not applicable for one snapshot.
 *
 * The same rules run from `lbguard lint`, inside `verify`, and in users' own CDK apps through
 * infra/lint-plugin.ts, where the snapshot is built from a synthesized template. A template does
 * not always know a group's targets (an Auto Scaling group or ECS service registers them at run
 * time); rules that need them are not applicable to such groups rather than guessing.
 *
 * docs/lint-rules.md is the rules table (id, what, why, how to fix); keep it in step.
 */
import { plural } from './format.ts';
import { dnsFailoverBelowRouting, weightedToUnhealthyGroup } from './lint/failover-rules.ts';
import {
  defaultFixed5xx,
  forwardConcentrated,
  forwardToEmptyGroup,
  ruleShadowed,
} from './lint/listener-rules.ts';
import {
  healthCheckTooLax,
  healthCheckTooStrict,
  noHealthyMinimum,
  singleZone,
  tooFewTargets,
} from './lint/target-group-rules.ts';
import { rewriteCanFail } from './lint/transform-rules.ts';
import type { LintContext, LintOptions, LintReport, LintRule } from './lint/types.ts';
import { normaliseSnapshot } from './snapshot.ts';
import type { LbSnapshot, TargetHealth } from './types.ts';

export type {
  LintContext,
  LintFinding,
  LintLevel,
  LintOptions,
  LintOutcome,
  LintReport,
  LintResource,
  LintRule,
} from './lint/types.ts';

/** Every lint rule, in id order: the order their findings are reported. */
export const LINT_RULES: readonly LintRule[] = [
  forwardConcentrated,
  forwardToEmptyGroup,
  ruleShadowed,
  defaultFixed5xx,
  tooFewTargets,
  singleZone,
  noHealthyMinimum,
  healthCheckTooLax,
  healthCheckTooStrict,
  weightedToUnhealthyGroup,
  dnsFailoverBelowRouting,
  rewriteCanFail,
];

/**
 * Run every rule of `LINT_RULES` over `snapshot` (and target health, when given). Deterministic:
 * the snapshot is put in canonical order first, so the same routing always gives the same report.
 */
export function lintSnapshot(
  snapshot: LbSnapshot,
  health?: readonly TargetHealth[],
  options: LintOptions = {},
): LintReport {
  const context: LintContext = {
    snapshot: normaliseSnapshot(snapshot),
    unknownTargets: new Set(options.unknownTargets ?? []),
    ...(health === undefined ? {} : { health: groupHealth(health) }),
  };
  const outcomes = LINT_RULES.map((rule) => ({ ruleId: rule.id, outcome: rule.check(context) }));
  const findings = outcomes.flatMap(({ outcome }) =>
    outcome.kind === 'non-compliant' ? outcome.findings : [],
  );
  return {
    findings,
    errors: findings.filter((f) => f.level === 'error').length,
    warnings: findings.filter((f) => f.level === 'warning').length,
    outcomes: outcomes.map(({ ruleId, outcome }) => ({ ruleId, outcome: outcome.kind })),
  };
}

function groupHealth(health: readonly TargetHealth[]): Map<string, TargetHealth[]> {
  const byGroup = new Map<string, TargetHealth[]>();
  for (const record of health) {
    const list = byGroup.get(record.targetGroupArn) ?? [];
    list.push(record);
    byGroup.set(record.targetGroupArn, list);
  }
  return byGroup;
}

/**
 * The report as text for a terminal: one block per finding (level, rule id, resource, message,
 * fix), then a count line. `No findings.` when clean.
 */
export function formatLintReport(report: LintReport): string {
  const blocks = report.findings.map(
    (f) =>
      `${f.level.padEnd(7)} ${f.ruleId}  ${f.resource.name}\n        ${f.message}\n        fix: ${f.fix}`,
  );
  const summary =
    report.findings.length === 0
      ? 'No findings.'
      : `${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}`;
  return [...blocks, summary].join('\n');
}
