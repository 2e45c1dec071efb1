import { readOnlyNotification } from '../../lib/messages.ts';
import { findReadOnlyListeners, readOnlySetChanged } from '../../lib/read-only.ts';
import type { LbSnapshot } from '../../lib/types.ts';
import type { Log } from '../adapters/log.ts';
import type { Notifier } from '../adapters/notifier.ts';

/**
 * One notification when the set of read-only listeners changes between the latest stored snapshot
 * and this one. The stored snapshot is the whole dedupe state: the set is a function of the
 * snapshot, and a snapshot is stored whenever its hash changes. Call it before storing the new
 * snapshot, so that a failed publish is retried with the same comparison.
 */
export async function notifyReadOnlyChange(
  service: string,
  previous: LbSnapshot | undefined,
  current: LbSnapshot,
  deps: { readonly notifier: Notifier; readonly logger: Log },
): Promise<void> {
  const before = previous === undefined ? [] : findReadOnlyListeners(previous);
  const now = findReadOnlyListeners(current);
  if (!readOnlySetChanged(before, now)) return;
  deps.logger.warn('read-only listeners changed', {
    service,
    readOnly: now.map((l) => ({ port: l.port, elements: l.elements })),
  });
  await deps.notifier.notify(readOnlyNotification(service, before, now));
}
