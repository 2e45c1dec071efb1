import { describe, expect, it } from 'vitest';
import { inspect } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { remediate as run } from '../../../lambdas/flows/remediate.ts';
import { InspectEventSchema, type RemediateRequest } from '../../../lambdas/runtime/events.ts';
import type { LbSnapshot } from '../../../lib/types.ts';
import { LB_ARN, outageCurrent, outageLastGood } from '../fixtures/topologies.ts';
import { scheduled, world } from './world.ts';

// Remediate re-plans under its lock with the zonal shifts in effect, as inspect plans: a shift
// that began after inspect handed off must not be undone by the restore (ARC has no moto: a fake).

type World = ReturnType<typeof world>;

/** The outage's last known good with its targets in zones: i-0d alone in eu-west-1b. */
function zonedLastGood(): LbSnapshot {
  const good = outageLastGood();
  return {
    ...good,
    targetGroups: good.targetGroups.map((g) => ({
      ...g,
      targets: g.targets.map((t) => ({
        ...t,
        availabilityZone: t.id === 'i-0d' ? 'eu-west-1b' : 'eu-west-1a',
      })),
    })),
  };
}

async function tick(w: World, advanceMs = 60_000) {
  w.clock.advance(advanceMs);
  await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
  return inspect(InspectEventSchema.parse(scheduled), w.inspectDeps);
}

/** Last known good promoted, then the outage confirmed with no shift in effect: inspect's request. */
async function confirmedOutage(w: World): Promise<RemediateRequest> {
  await tick(w, 0);
  await tick(w, 121_000);
  w.lb.snapshot = outageCurrent();
  w.prober.answer = () => ({ ok: false, status: 503 });
  await tick(w);
  await tick(w);
  const request = w.invoker.requests.at(-1);
  if (!request) throw new Error('inspect did not request remediation');
  // Once routing is back, the site answers.
  w.prober.answer = () => ({ ok: true, status: 200 });
  return request;
}

function registered(w: World): string[] {
  return w.lb.writes.flatMap((s) => (s.op === 'RegisterTargets' ? s.targets.map((t) => t.id) : [])).sort();
}

describe('remediate and zonal shifts', () => {
  it("leaves a shifted zone's targets unregistered in the re-plan under the lock, and verifies without them", async () => {
    const w = world(zonedLastGood());
    const request = await confirmedOutage(w);
    w.zonalShifts.shifts = [
      { id: 'zs-4', kind: 'zonal-shift', zone: 'eu-west-1b', expiry: '2026-12-04T12:00:00Z' },
    ];
    const out = await run(request, w.remediateDeps());
    expect(w.zonalShifts.asked.at(-1)).toBe(LB_ARN);
    expect(registered(w)).toEqual(['i-0b', 'i-0c']);
    expect(out.outcome).toBe('resolved');
  });

  it('registers that target when no shift is in effect, or when the shifts cannot be read', async () => {
    for (const failure of [undefined, new Error('AccessDeniedException')]) {
      const w = world(zonedLastGood());
      const request = await confirmedOutage(w);
      w.zonalShifts.failure = failure;
      expect((await run(request, w.remediateDeps())).outcome).toBe('resolved');
      expect(registered(w)).toEqual(['i-0b', 'i-0c', 'i-0d']);
    }
  });
});
