import { describe, expect, it } from 'vitest';
import { inspect as run } from '../../../lambdas/flows/inspect.ts';
import { LB_ARN, outageLastGood } from '../fixtures/topologies.ts';
import { scheduled, world } from './world.ts';

// Inspect reads the zonal shifts in effect through its port (ARC has no moto support: a fake).

async function inspectOnce(w: ReturnType<typeof world>) {
  const out = await run(scheduled, w.inspectDeps);
  if (out.kind !== 'inspected') throw new Error(`expected an inspection, got ${out.kind}`);
  const first = out.services[0];
  if (first === undefined) throw new Error('no service inspected');
  return first;
}

describe('inspect and zonal shifts', () => {
  it('asks for the shifts of the guarded load balancer and says the zone is shifted away', async () => {
    const w = world(outageLastGood());
    w.zonalShifts.shifts = [
      { id: 'zs-7', kind: 'zonal-shift', zone: 'euw1-az2', expiry: '2026-12-04T12:00:00Z' },
    ];
    const inspection = await inspectOnce(w);
    expect(w.zonalShifts.asked).toEqual([LB_ARN]);
    expect(inspection.diagnosis).toMatchObject({ cause: 'lb-protecting', lbFault: false, remediable: false });
    expect(inspection.diagnosis.summary).toMatch(
      /zone euw1-az2 is shifted away \(zonal shift zs-7 until 2026-12-04T12:00:00Z\)/,
    );
  });

  it('still inspects when the shifts cannot be read (no ARC in the region, no grant)', async () => {
    const w = world(outageLastGood());
    w.zonalShifts.failure = new Error('AccessDeniedException');
    const inspection = await inspectOnce(w);
    expect(inspection.diagnosis.cause).toBe('healthy');
    // Unknown is said, not taken for "no shift".
    expect(w.logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toContain(
      'zonal shifts unknown: the ARC read failed; judging without them',
    );
  });
});
