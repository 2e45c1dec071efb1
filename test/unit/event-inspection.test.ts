// Which CloudTrail-woken inspections observe the load balancer, and which only record the change.
import { describe, expect, it } from 'vitest';
import { judgeEventInspection } from '../../lib/event-inspection.ts';
import type { Incident } from '../../lib/types/incident.ts';

const AT = '2026-12-05T10:10:00.000Z';
const change = { at: '2026-12-05T10:09:00.000Z', eventName: 'ModifyListener', principal: 'role deploy' };

function incident(state: Incident['state'], overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'shop#2026-12-05T10:09:30.000Z',
    service: 'shop',
    state,
    openedAt: '2026-12-05T10:09:30.000Z',
    updatedAt: '2026-12-05T10:09:30.000Z',
    breaches: 1,
    remediations: ['2026-12-05T10:09:30.000Z'],
    timeline: [
      { at: '2026-12-05T10:09:30.000Z', from: 'suspected', to: 'confirmed', what: 'Confirmed', evidence: [] },
    ],
    diagnosis: {
      cause: 'routing-skew',
      severity: 'critical',
      summary: 'skew',
      evidence: [],
      lbFault: true,
      remediable: true,
      drift: [],
      firstChange: change,
    },
    ...overrides,
  } as Incident;
}

/** A remediation under way for an incident whose diagnosis names no change yet. */
function unattributed(): Incident {
  const { firstChange: _, ...diagnosis } = incident('mitigating').diagnosis ?? ({} as never);
  return incident('mitigating', { diagnosis });
}

describe('judgeEventInspection', () => {
  it.each([
    ['no open incident', undefined, 'observe'],
    ['an incident handed to remediate moments ago', incident('confirmed'), 'record-only'],
    ['a remediation under way', incident('mitigating'), 'record-only'],
    ['a remediation being verified', incident('verifying'), 'record-only'],
    ['a suspicion', incident('suspected'), 'observe'],
    ['an escalated incident (a person owns it; the change may be theirs)', incident('escalated'), 'observe'],
    [
      'a confirmed incident never handed off (dry-run)',
      incident('confirmed', { remediations: [] }),
      'observe',
    ],
    [
      'a hand-off older than the stall window (it may have been lost)',
      incident('confirmed', {
        remediations: ['2026-12-05T10:00:00.000Z'],
        timeline: [
          {
            at: '2026-12-05T09:59:00.000Z',
            from: 'suspected',
            to: 'confirmed',
            what: 'Confirmed',
            evidence: [],
          },
        ],
      }),
      'observe',
    ],
    ['an incident that does not name who made the change yet', unattributed(), 'observe'],
  ] as const)('%s: %s', (_, open, kind) => {
    expect(judgeEventInspection(open, AT, 60).kind).toBe(kind);
  });
});
