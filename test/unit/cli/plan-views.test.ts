import { describe, expect, it } from 'vitest';
import { renderPlanGate } from '../../../cli/plan-views.ts';
import { Renderer } from '../../../cli/render.ts';
import type { PlanGateResult } from '../../../lambdas/flows/plan-gate.ts';

// The human output of `lbguard verify --plan`: the verdict line a pipeline log ends with, the
// before/after table, one line per finding, and what cannot be predicted.

const render = new Renderer(false);

function result(verdict: PlanGateResult['stacks'][number]['verdict']): PlanGateResult {
  return {
    service: 'shop',
    ok: verdict.ok,
    stacks: [{ label: 'edge.json', stackName: null, stackExists: null, verdict }],
  };
}

describe('renderPlanGate', () => {
  it('shows changes, the before/after table, each finding and each note, then fails', () => {
    const text = renderPlanGate(render, [
      result({
        kind: 'predicted',
        ok: false,
        findings: [
          {
            kind: 'single-healthy-target',
            route: 'listener :80 default action',
            targetGroup: 'web-a',
            why: 'one target left',
          },
        ],
        routes: [
          {
            route: 'listener :80 default action',
            rows: [
              { destination: 'i-0a:80', group: 'web-a', before: 0.5, after: 1 },
              { destination: 'i-0b:80', group: 'web-a', before: 0.5, after: 0 },
              { destination: 'i-0z:80', group: 'web-a', before: 0, after: 0 },
            ],
          },
        ],
        changes: ['target group web-a: deregisters i-0b:80'],
        notes: ['the health check of web-a changes'],
      }),
    ]);
    expect(text.split('\n')).toEqual([
      'service shop',
      '✗ edge.json: 1 finding(s)',
      '    changes:',
      '      target group web-a: deregisters i-0b:80',
      '    ROUTE                        TARGET   GROUP  BEFORE  AFTER',
      '    ---------------------------  -------  -----  ------  -----',
      '    listener :80 default action  i-0a:80  web-a  50%     100%',
      '    listener :80 default action  i-0b:80  web-a  50%     0%',
      '    ✗ single-healthy-target: one target left',
      '    note: the health check of web-a changes',
      '',
      'verify --plan FAILED: the deploy would concentrate traffic under live health (shop: edge.json). Do not deploy it as it is.',
    ]);
  });

  it('says what cannot be predicted and never passes it', () => {
    const text = renderPlanGate(render, [
      result({
        kind: 'cannot-predict',
        ok: false,
        reasons: ['cannot predict: WebA.Targets[0].Id uses Fn::If'],
      }),
    ]);
    expect(text).toMatch(
      /✗ edge.json: cannot predict\n {4}cannot predict: WebA.Targets\[0\].Id uses Fn::If\n/,
    );
    expect(text).toMatch(
      /verify --plan FAILED: cannot predict shop: edge.json; the gate does not pass what it cannot predict.$/,
    );
  });

  it('passes a plan that touches no routing, saying so', () => {
    expect(renderPlanGate(render, [{ service: 'shop', ok: true, stacks: [] }])).toBe(
      [
        'service shop',
        '  no stack of the plan declares or owns listeners, rules or target groups: nothing to predict',
        '',
        'verify --plan passed: under live health the deploy keeps traffic spread.',
      ].join('\n'),
    );
  });
});
