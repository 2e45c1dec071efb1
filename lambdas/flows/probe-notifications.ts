import {
  advanceProbeHysteresis,
  type HysteresisSettings,
  type ProbeNotification,
} from '../../lib/hysteresis.ts';
import { probeNotification } from '../../lib/messages.ts';
import type { ProbeResult } from '../../lib/types.ts';
import type { Log } from '../adapters/log.ts';
import type { Notifier } from '../adapters/notifier.ts';
import type { EvidenceStore } from '../adapters/state-store/ports.ts';

export interface ProbeNotificationDeps {
  readonly store: EvidenceStore;
  readonly notifier: Notifier;
  readonly logger: Log;
}

/**
 * Folds the probe results not yet seen into the stored hysteresis states and tells people about
 * every declared change: failing, recovered, flapping (once, instead of a stream) and settled.
 * The states are claimed with a conditional write before anything is sent, so two inspections
 * running at once send each message once; if sending fails, the claim is handed back (best
 * effort) and the error thrown, so the retry sends it again rather than never.
 */
export async function notifyProbeChanges(
  service: string,
  results: readonly ProbeResult[],
  settings: HysteresisSettings,
  now: string,
  deps: ProbeNotificationDeps,
): Promise<readonly ProbeNotification[]> {
  const stored = await deps.store.getProbeHysteresis(service);
  const advanced = advanceProbeHysteresis(stored?.states ?? {}, results, settings, now);
  if (!advanced.changed) return [];
  const claim = await deps.store.putProbeHysteresis(service, advanced.states, stored?.version);
  if (!claim.written) {
    deps.logger.info('probe hysteresis advanced by another run', { service });
    return [];
  }
  try {
    for (const n of advanced.notifications) {
      await deps.notifier.notify(probeNotification(service, n, settings));
    }
  } catch (error) {
    const claimed = (stored?.version ?? 0) + 1;
    await deps.store.putProbeHysteresis(service, stored?.states ?? {}, claimed).catch((cause: unknown) => {
      deps.logger.error('could not hand back the probe hysteresis claim', { service, cause });
    });
    throw error;
  }
  return advanced.notifications;
}
