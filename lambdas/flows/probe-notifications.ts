import {
  advanceProbeHysteresis,
  type HysteresisSettings,
  type ProbeNotification,
} from '../../lib/hysteresis.ts';
import type { ProbeResult } from '../../lib/types.ts';
import type { Notification, Notifier } from '../adapters/notifier.ts';
import type { StateStore } from '../adapters/state-store.ts';
import type { Log } from '../adapters/log.ts';

/** The hysteresis rule in words, so a reader of the message knows what "failing" meant. */
function ruleOf(s: HysteresisSettings): string {
  return `failing after ${s.consecutiveFailures} failures in a row or ${s.failuresInWindow} of the last ${s.windowSize}; recovered after ${s.consecutiveSuccesses} successes in a row; flapping at ${s.maxChangesPerHour} changes an hour`;
}

/** The message people get for one probe's declared change (lib/hysteresis.ts). */
export function probeNotificationFor(
  service: string,
  { probe, notification: n }: ProbeNotification,
  settings: HysteresisSettings,
): Notification {
  const rule = `Rule: ${ruleOf(settings)} (thresholds.hysteresis).`;
  switch (n.kind) {
    case 'failing':
      return {
        service,
        severity: 'warning',
        state: 'probe-failing',
        subject: `lbguard ${service}: probe ${probe} failing (${n.reason})`,
        lines: [
          `Probe ${probe} was declared failing at ${n.at}: ${n.reason}.`,
          'If the load balancer is involved, lbguard says so in an incident message of its own.',
          rule,
        ],
      };
    case 'recovered':
      return {
        service,
        severity: 'info',
        state: 'probe-recovered',
        subject: `lbguard ${service}: probe ${probe} recovered`,
        lines: [`Probe ${probe} was declared passing again at ${n.at}: ${n.reason}.`, rule],
      };
    case 'flapping':
      return {
        service,
        severity: 'warning',
        state: 'probe-flapping',
        subject: `lbguard ${service}: probe ${probe} flapping (${n.changesInLastHour} changes in an hour)`,
        lines: [
          `Probe ${probe} changed between passing and failing ${n.changesInLastHour} times in the hour up to ${n.at}; it is ${n.status} right now.`,
          'Further changes are not notified one by one until it settles (an hour at most half as many changes); one of N targets failing behind the load balancer looks like this.',
          rule,
        ],
      };
    case 'settled':
      return {
        service,
        severity: 'info',
        state: 'probe-settled',
        subject: `lbguard ${service}: probe ${probe} stopped flapping (${n.status})`,
        lines: [
          `Probe ${probe}, flapping since ${n.flappingSince}, settled ${n.status} at ${n.at}; changes are notified one by one again.`,
          rule,
        ],
      };
  }
}

export interface ProbeNotificationDeps {
  readonly store: Pick<StateStore, 'getProbeHysteresis' | 'putProbeHysteresis'>;
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
      await deps.notifier.notify(probeNotificationFor(service, n, settings));
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
