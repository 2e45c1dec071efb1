import type { ServiceConfig } from '../../lib/config/index.ts';
// Not through index.ts, whose YAML parser no function bundles.
import { plainProbe, usesSecrets } from '../../lib/config/secrets.ts';
import type { DataPlaneSample } from '../../lib/convergence.ts';
import type { ServedBySample } from '../../lib/types.ts';
import type { Prober } from '../adapters/http-prober.ts';
import type { EvidenceStore } from '../adapters/state-store/ports.ts';

const NO_SECRET_VALUES: ReadonlyMap<string, string> = new Map();

/** What a look at the data plane reads through. */
export interface DataPlaneDeps {
  readonly prober: Prober;
  readonly store: Pick<EvidenceStore, 'recentServedBySamples'>;
}

/**
 * One look at the data plane after a write: a served-by burst per probe that asks for one (those
 * that send no secret: remediate may not read them), plus the bursts the probe function stored
 * since `since`. Empty when the service names no served-by header: nothing here can see targets.
 */
export async function sampleDataPlane(
  service: ServiceConfig,
  since: string,
  deps: DataPlaneDeps,
): Promise<DataPlaneSample[]> {
  const header = service.servedByHeader;
  if (header === undefined) return [];
  const bursts = service.probes.flatMap((configured) => {
    if (usesSecrets(configured)) return [];
    const p = plainProbe(configured, NO_SECRET_VALUES);
    const first = p.steps[0];
    if (p.servedBySample === undefined || first === undefined) return [];
    return [
      deps.prober.sampleServedBy(service.name, first.url, header, {
        requests: p.servedBySample.requests,
        concurrency: p.servedBySample.concurrency,
        timeoutMs: p.timeoutMs,
        headers: first.headers,
        allowLoopback: p.allowLoopback,
      }),
    ];
  });
  const [ran, stored] = await Promise.all([
    Promise.all(bursts),
    deps.store.recentServedBySamples(service.name, since),
  ]);
  return [...ran, ...stored.filter((s) => s.at > since)].map(servedBy);
}

function servedBy(s: ServedBySample): DataPlaneSample {
  return { source: 'served-by', at: s.at, counts: s.counts };
}
