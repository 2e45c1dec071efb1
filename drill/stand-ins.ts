import type { Log } from '../lambdas/adapters/log.ts';
import type { Notification, Notifier } from '../lambdas/adapters/notifier.ts';
import type { RemediationInvoker } from '../lambdas/adapters/remediation-handoff.ts';
import type { RemediateOutcome } from '../lambdas/flows/remediate.ts';
import type { RemediateRequest } from '../lambdas/runtime/events.ts';
import { describeError, safeJson } from './describe.ts';
import type { NotificationRecord, RemediationRecord } from './run-types.ts';
import { sleep } from './world/net.ts';

// The drill's stand-ins for three of lbguard's ports, each keeping what the report needs: the
// log lines, the notifications people would have received, and every remediation attempt.

/** A log that keeps the last lines for the report and drops the rest. */
export class BoundedLog implements Log {
  readonly lines: string[] = [];
  readonly #max: number;

  constructor(max = 2_000) {
    this.#max = max;
  }

  #push(level: string, message: string, extra: unknown[]): void {
    if (this.lines.length >= this.#max) this.lines.shift();
    const tail = extra.length === 0 ? '' : ` ${safeJson(extra.length === 1 ? extra[0] : extra)}`;
    this.lines.push(`${new Date().toISOString()} ${level} ${message}${tail}`);
  }

  debug(message: string, ...extra: unknown[]): void {
    this.#push('debug', message, extra);
  }
  info(message: string, ...extra: unknown[]): void {
    this.#push('info', message, extra);
  }
  warn(message: string, ...extra: unknown[]): void {
    this.#push('warn', message, extra);
  }
  error(message: string, ...extra: unknown[]): void {
    this.#push('error', message, extra);
  }
}

/** Publishes to the world's SNS and keeps what people would have received. */
export class RecordingNotifier implements Notifier {
  readonly sent: NotificationRecord[];
  readonly #inner: Notifier;

  /** `sent` may be shared, so that two functions' notifiers keep one record of what people got. */
  constructor(inner: Notifier, sent: NotificationRecord[] = []) {
    this.#inner = inner;
    this.sent = sent;
  }

  async notify(n: Notification): Promise<{ readonly messageId?: string }> {
    this.sent.push({ at: Date.now(), subject: n.subject, severity: n.severity, state: n.state });
    return this.#inner.notify(n);
  }
}

/**
 * Stands in for the hand-off to remediate (a publish to the remediation topic, which SNS delivers
 * as an asynchronous invoke): returns at once and runs remediate in this process, retrying a
 * thrown error twice after a pause, as Lambda does for async events.
 */
export class InProcessRemediation implements RemediationInvoker {
  readonly records: RemediationRecord[] = [];
  readonly #pending = new Set<Promise<void>>();
  readonly #run: (request: RemediateRequest, lockOwner: string) => Promise<RemediateOutcome>;
  readonly #retryDelayMs: number;
  #count = 0;

  constructor(
    run: (request: RemediateRequest, lockOwner: string) => Promise<RemediateOutcome>,
    retryDelayMs: number,
  ) {
    this.#run = run;
    this.#retryDelayMs = retryDelayMs;
  }

  async invoke(request: RemediateRequest): Promise<void> {
    this.#count++;
    const lockOwner = `drill-remediate-${this.#count}`;
    const p = this.#invokeWithRetries(request, lockOwner);
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #invokeWithRetries(request: RemediateRequest, lockOwner: string): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const requestedAt = Date.now();
      try {
        const outcome = await this.#run(request, lockOwner);
        this.records.push({ requestedAt, endedAt: Date.now(), request, attempt, outcome });
        return;
      } catch (error) {
        this.records.push({
          requestedAt,
          endedAt: Date.now(),
          request,
          attempt,
          error: describeError(error),
        });
        await sleep(this.#retryDelayMs);
      }
    }
  }

  /** Waits for remediations under way, at most `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#pending]), sleep(timeoutMs)]);
  }
}
