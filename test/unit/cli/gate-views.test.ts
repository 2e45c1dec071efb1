import { describe, expect, it } from 'vitest';
import { renderGate } from '../../../cli/gate-views.ts';
import { Renderer } from '../../../cli/render.ts';
import type { GateVerdict } from '../../../lib/gate.ts';

const plain = new Renderer(false);

const passed: GateVerdict = {
  service: 'shop',
  ok: true,
  cause: null,
  summary: 'traffic is spread as configured and probes are green',
  action: '',
  concentrations: [],
  health: { kind: 'green', since: '2026-11-24T14:01:31.000Z', results: 3 },
  differences: [
    {
      ruleId: 'LBG-D3',
      kind: 'weights-changed',
      summary: 'listener :80 default action weights web-a/web-b 50/50 → 60/40',
      verdict: 'benign',
      why: 'listener :80 default action still spreads traffic over 4 targets',
    },
  ],
  lastGood: true,
  diagnosis: { cause: 'healthy', summary: 'Healthy: probes green', evidence: [] },
};

describe('renderGate', () => {
  it('shows a passing service with each difference from last known good and its verdict', () => {
    expect(renderGate(plain, passed)).toEqual([
      '✓ shop: passed — traffic is spread as configured and probes are green',
      '  health: probes green (3 result(s) since 2026-11-24T14:01:31.000Z)',
      '  differences from last known good (1):',
      '    LBG-D3 weights-changed: listener :80 default action weights web-a/web-b 50/50 → 60/40 — benign: listener :80 default action still spreads traffic over 4 targets',
    ]);
  });

  it('names the cause, the evidence and what to do when it fails, and never claims unknown health', () => {
    const failed: GateVerdict = {
      ...passed,
      ok: false,
      cause: 'health-unknown',
      summary: 'no probe results since 2026-11-24T14:01:31.000Z: health unknown',
      action: 'run the probes',
      health: { kind: 'unknown', since: '2026-11-24T14:01:31.000Z' },
      differences: [],
      lastGood: false,
      diagnosis: { ...passed.diagnosis, evidence: ['probes: no results in the window, health unknown'] },
    };
    const lines = renderGate(plain, failed);
    expect(lines[0]).toBe(
      '✗ shop: FAILED (health-unknown) — no probe results since 2026-11-24T14:01:31.000Z: health unknown',
    );
    expect(lines).toContain('    what to do: run the probes');
    expect(lines).toContain('  health: no probe results since 2026-11-24T14:01:31.000Z: health unknown');
    expect(lines.at(-1)).toMatch(/differences from last known good: unknown, there is none yet/);
    expect(lines.join('\n')).not.toMatch(/probes green/);
  });
});
