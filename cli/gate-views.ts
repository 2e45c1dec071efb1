/**
 * The human rendering of the deployment gate (`lbguard verify`): per service the verdict and its
 * cause, the evidence and what to do, what health rests on, and every difference from last known
 * good with its verdict. Pure: `lib/gate.ts` decides; this only chooses how to show it.
 */
import { type GateHealth, type GateVerdict, unknownLine } from '../lib/gate.ts';
import type { Renderer } from './render.ts';

const SHOWN_EVIDENCE = 6;

export function renderGate(render: Renderer, v: GateVerdict): string[] {
  const bullet = (line: string) => `    ${render.paint('dim', '•')} ${line}`;
  const head = v.ok
    ? render.mark('ok', `${render.paint('bold', v.service)}: passed — ${v.summary}`)
    : render.mark(
        'bad',
        `${render.paint('bold', v.service)}: FAILED (${render.paint('bad', v.cause ?? '')}) — ${v.summary}`,
      );
  const evidence = v.ok
    ? []
    : [...v.concentrations.map((c) => c.evidence), ...v.diagnosis.evidence]
        .slice(0, SHOWN_EVIDENCE)
        .map(bullet);
  const lines = [head, ...evidence];
  if (!v.ok) lines.push(`    ${render.paint('accent', 'what to do:')} ${v.action}`);
  lines.push(`  health: ${describeHealth(v.health)}`);
  if (!v.lastGood)
    lines.push(
      '  differences from last known good: unknown, there is none yet (lbguard snapshot --promote once healthy)',
    );
  else if (v.differences.length === 0) lines.push('  differences from last known good: none');
  else {
    lines.push(`  differences from last known good (${v.differences.length}):`);
    for (const d of v.differences) {
      const tone = d.verdict === 'harmful' ? 'bad' : 'ok';
      lines.push(`    ${d.ruleId} ${d.kind}: ${d.summary} — ${render.paint(tone, d.verdict)}: ${d.why}`);
    }
  }
  return lines;
}

export function describeHealth(h: GateHealth): string {
  switch (h.kind) {
    case 'green':
      return `probes green (${h.results} result(s) since ${h.since})`;
    case 'failing':
      return `probes failing: ${h.failures.join('; ')}`;
    case 'unknown':
      return unknownLine(h.since);
  }
}
