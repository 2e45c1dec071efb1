// The seed outage driven through the real flows on the unit world: probe and inspect ticks, and
// the remediation request inspect hands over once the outage is confirmed.
import { inspect } from '../../../lambdas/flows/inspect.ts';
import { probe } from '../../../lambdas/flows/probe.ts';
import { InspectEventSchema, type RemediateRequest } from '../../../lambdas/runtime/events.ts';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import { outageCurrent, outageLastGood } from '../fixtures/topologies.ts';
import { scheduled, type world } from './world.ts';

export type World = ReturnType<typeof world>;

/** One probe round and one scheduled inspection, `advanceMs` after the previous tick. */
export async function tick(w: World, advanceMs = 60_000) {
  w.clock.advance(advanceMs);
  await probe({ kind: 'probe', loopSeconds: 0 }, w.probeDeps);
  return inspect(InspectEventSchema.parse(scheduled), w.inspectDeps);
}

/** Last known good promoted, then the outage, confirmed: the request inspect handed over. */
export async function confirmedOutage(w: World): Promise<RemediateRequest> {
  await tick(w, 0);
  await tick(w, 121_000);
  // The promotion's own message (tested in inspect.test.ts) is not what these tests look at.
  w.notifier.sent.length = 0;
  w.lb.snapshot = outageCurrent();
  // The site answers 503 until routing is restored.
  w.prober.answer = () =>
    hashSnapshot(w.lb.snapshot) === hashSnapshot(outageLastGood())
      ? { ok: true, status: 200 }
      : { ok: false, status: 503 };
  await tick(w);
  await tick(w);
  const request = w.invoker.requests.at(-1);
  if (!request) throw new Error('inspect did not request remediation');
  return request;
}
