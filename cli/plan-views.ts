/**
 * The human rendering of the predictive gate (`lbguard verify --plan`): per service and stack,
 * what the deploy changes, a before/after table of predicted shares per target, one line per
 * finding with why, and what the prediction assumes. Pure: lib/predict.ts decides.
 */
import type { PlanGateResult, StackVerdict } from '../lambdas/flows/plan-gate.ts';
import { formatPercent } from '../lib/routing.ts';
import type { Renderer } from './render.ts';

export function renderPlanGate(render: Renderer, results: readonly PlanGateResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    lines.push(render.paint('bold', `service ${result.service}`));
    if (result.stacks.length === 0) {
      lines.push(
        '  no stack of the plan declares or owns listeners, rules or target groups: nothing to predict',
        '',
      );
    }
    for (const stack of result.stacks) lines.push(...renderStack(render, stack), '');
  }
  lines.push(verdictLine(results));
  return lines.join('\n');
}

function renderStack(render: Renderer, s: StackVerdict): string[] {
  const head = `  ${s.label}${s.stackExists === false ? ' — a new stack' : ''}`;
  const v = s.verdict;
  switch (v.kind) {
    case 'cannot-predict':
      return [
        render.mark('bad', `${head.trim()}: cannot predict`),
        ...v.reasons.map((r) => `    ${r}`),
        `    ${render.paint('accent', 'what to do:')} give the value a literal or a parameter (with --plan on a change set, its parameters count), or deploy this part separately; the gate never passes what it cannot predict`,
      ];
    case 'needs-groups':
      // The flow reads the groups and judges again; this is never what it returns.
      return [render.mark('bad', `${head.trim()}: target groups not read: ${v.targetGroupArns.join(', ')}`)];
    case 'predicted': {
      const lines = [
        v.ok
          ? render.mark('ok', `${head.trim()}: traffic stays spread under live health`)
          : render.mark('bad', `${head.trim()}: ${v.findings.length} finding(s)`),
      ];
      if (v.changes.length > 0) lines.push('    changes:', ...v.changes.map((c) => `      ${c}`));
      const rows = v.routes.flatMap((r) =>
        r.rows
          .filter((row) => row.before > 0 || row.after > 0)
          .map((row) => [
            r.route,
            row.destination,
            row.group ?? '',
            formatPercent(row.before),
            paintShift(render, row.before, row.after),
          ]),
      );
      if (rows.length > 0) {
        lines.push(
          ...render
            .table(['ROUTE', 'TARGET', 'GROUP', 'BEFORE', 'AFTER'], rows)
            .split('\n')
            .map((l) => `    ${l}`),
        );
      }
      for (const f of v.findings)
        lines.push(`    ${render.mark('bad', `${render.paint('bad', f.kind)}: ${f.why}`)}`);
      for (const n of v.notes) lines.push(`    ${render.paint('dim', `note: ${n}`)}`);
      return lines;
    }
  }
}

function paintShift(render: Renderer, before: number, after: number): string {
  const text = formatPercent(after);
  if (after > before + 1e-9 && after >= 0.5) return render.paint('warn', text);
  return text;
}

function verdictLine(results: readonly PlanGateResult[]): string {
  const stacks = results.flatMap((r) => r.stacks.map((s) => ({ service: r.service, ...s })));
  const unpredictable = stacks.filter((s) => s.verdict.kind !== 'predicted');
  const failing = stacks.filter((s) => s.verdict.kind === 'predicted' && !s.verdict.ok);
  if (unpredictable.length > 0)
    return `verify --plan FAILED: cannot predict ${unpredictable.map((s) => `${s.service}: ${s.label}`).join('; ')}; the gate does not pass what it cannot predict.`;
  if (failing.length > 0)
    return `verify --plan FAILED: the deploy would concentrate traffic under live health (${failing.map((s) => `${s.service}: ${s.label}`).join('; ')}). Do not deploy it as it is.`;
  return 'verify --plan passed: under live health the deploy keeps traffic spread.';
}
