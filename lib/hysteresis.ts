/**
 * Hysteresis over probe results: when a probe is declared failing, when it has recovered, and
 * when it is flapping (issue 8, "Hysteresis that users can tune").
 *
 * One state per probe; `evaluateHysteresis` folds one result into it. A probe is declared failing
 * on "N in a row" or "X of the last Y" failures, and recovers only after M successes in a row.
 * Each declared change is one notification, until changes come so fast that they would be a
 * storm: the change that reaches the hourly cap is reported once as `flapping`, and the probe
 * stays quiet until the flapping has stopped, which is reported once as `settled`.
 *
 * Guarantee (property-tested): in any hour, a probe sends at most `maxChangesPerHour`
 * notifications, whatever its results do. The argument: a change is notified only while the
 * hour behind it holds fewer than the cap; flapping lasts at least an hour; and the end of
 * flapping counts as a change, so the changes notified after it leave room for it.
 */

import { DEFAULTS } from './config/defaults.ts';
import { LbGuardError } from './errors.ts';
import type { Diagnosis } from './types.ts';

const HOUR_MS = 3_600_000;

/** The knobs a user tunes per service (or per probe). */
export interface HysteresisSettings {
  /** Failures in a row that declare a passing probe failing. */
  readonly consecutiveFailures: number;
  /** Failures among the last `windowSize` results that declare a passing probe failing. */
  readonly failuresInWindow: number;
  /** How many recent results "X of the last Y" looks at. */
  readonly windowSize: number;
  /** Successes in a row that declare a failing probe recovered. */
  readonly consecutiveSuccesses: number;
  /**
   * State changes in an hour at which the probe is flapping: the change that reaches this count
   * is reported as `flapping` instead of on its own, so no hour carries more notifications.
   */
  readonly maxChangesPerHour: number;
}

/** Defaults, documented in docs/hysteresis.md: fail on 3 in a row or 5 of the last 10, recover on 3 in a row. */
/** The defaults live with every other default, in lib/config/defaults.ts. */
export const DEFAULT_HYSTERESIS: HysteresisSettings = DEFAULTS.thresholds.hysteresis;

/** What a probe is declared to be, after hysteresis. */
export type DeclaredStatus = 'passing' | 'failing';

/** What is shown for a probe: its declared status, or `flapping` while changes come too fast. */
export type HysteresisStatus = DeclaredStatus | 'flapping';

/**
 * Everything hysteresis remembers about one probe. Plain JSON, so it can be stored as is
 * (DynamoDB item, file) between probe runs.
 */
export interface HysteresisState {
  /** The declared status; it keeps changing underneath while the probe is flapping. */
  readonly status: DeclaredStatus;
  /** Results since the last declared change, oldest first, at most `windowSize` (true = ok). */
  readonly window: readonly boolean[];
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** Times of declared changes (and of flapping ending) within the last hour, oldest first. */
  readonly changes: readonly string[];
  /** When flapping was declared; absent when not flapping. */
  readonly flappingSince?: string;
  /** Time of the newest result folded in; older results are ignored. */
  readonly lastAt?: string;
}

export type HysteresisNotification =
  | {
      readonly kind: 'failing';
      readonly at: string;
      /** `3 failures in a row`, `5 of the last 10 results failed`. */
      readonly reason: string;
    }
  | { readonly kind: 'recovered'; readonly at: string; readonly reason: string }
  | {
      readonly kind: 'flapping';
      readonly at: string;
      /** Declared changes within the hour up to `at`, this one included. */
      readonly changesInLastHour: number;
      /** Declared status right now (it may change again, silently). */
      readonly status: DeclaredStatus;
    }
  | {
      readonly kind: 'settled';
      readonly at: string;
      /** Declared status the probe settled in. */
      readonly status: DeclaredStatus;
      readonly flappingSince: string;
    };

export interface HysteresisResult {
  readonly state: HysteresisState;
  readonly status: HysteresisStatus;
  readonly notifications: readonly HysteresisNotification[];
}

/** One probe outcome: when, and whether every assertion held. */
export interface ProbeOutcome {
  readonly at: string;
  readonly ok: boolean;
}

/** A probe nobody has seen yet: declared `status` (passing unless told), no history. */
export function initialHysteresisState(status: DeclaredStatus = 'passing'): HysteresisState {
  return { status, window: [], consecutiveFailures: 0, consecutiveSuccesses: 0, changes: [] };
}

/**
 * Problems with a settings object, each a sentence naming the field; empty when usable. The
 * config schema enforces the same ranges; this is for settings built in code.
 */
export function checkHysteresisSettings(settings: HysteresisSettings): string[] {
  const problems: string[] = [];
  const whole = (field: keyof HysteresisSettings, min: number, max: number) => {
    const value = settings[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${field} must be a whole number from ${min} to ${max}`);
    }
  };
  whole('consecutiveFailures', 1, 100);
  whole('failuresInWindow', 1, 100);
  whole('windowSize', 1, 100);
  whole('consecutiveSuccesses', 1, 100);
  // With a cap of 1 the first change would already be "flapping": nothing could ever be reported.
  whole('maxChangesPerHour', 2, 60);
  if (settings.failuresInWindow > settings.windowSize) {
    problems.push(
      'failuresInWindow must not exceed windowSize (it counts failures among the last windowSize results)',
    );
  }
  return problems;
}

/**
 * Fold one probe outcome into a probe's hysteresis state. Pure and deterministic: the same state,
 * outcome and settings always give the same result. Outcomes older than the newest one already
 * folded in are ignored (a late duplicate must not rewrite history). Throws `LbGuardError` when
 * `outcome.at` is not a timestamp, since time is what every rule here is measured in.
 */
export function evaluateHysteresis(
  state: HysteresisState,
  outcome: ProbeOutcome,
  settings: HysteresisSettings,
): HysteresisResult {
  const now = parseTime(outcome.at);
  if (state.lastAt !== undefined && now < parseTime(state.lastAt)) {
    return { state, status: shownStatus(state), notifications: [] };
  }
  const window = [...state.window, outcome.ok].slice(-settings.windowSize);
  const consecutiveFailures = outcome.ok ? 0 : state.consecutiveFailures + 1;
  const consecutiveSuccesses = outcome.ok ? state.consecutiveSuccesses + 1 : 0;
  const changes = withinHour(state.changes, now);
  const counted: HysteresisState = {
    ...state,
    window,
    consecutiveFailures,
    consecutiveSuccesses,
    changes,
    lastAt: outcome.at,
  };

  const change = declaredChange(counted, outcome.ok, settings);
  if (change === undefined) return settleIfQuiet(counted, now, outcome.at, settings);

  // Evidence for the next verdict is gathered afresh: failures that led to "failing" must not
  // count again towards the next "failing" after a recovery.
  const changed: HysteresisState = {
    ...counted,
    status: change.status,
    window: [],
    changes: [...changes, outcome.at],
  };
  if (changed.flappingSince !== undefined) {
    return { state: changed, status: 'flapping', notifications: [] };
  }
  if (changed.changes.length >= settings.maxChangesPerHour) {
    const flapping: HysteresisState = { ...changed, flappingSince: outcome.at };
    return {
      state: flapping,
      status: 'flapping',
      notifications: [
        {
          kind: 'flapping',
          at: outcome.at,
          changesInLastHour: changed.changes.length,
          status: change.status,
        },
      ],
    };
  }
  const notification: HysteresisNotification =
    change.status === 'failing'
      ? { kind: 'failing', at: outcome.at, reason: change.reason }
      : { kind: 'recovered', at: outcome.at, reason: change.reason };
  return { state: changed, status: change.status, notifications: [notification] };
}

/**
 * Fold a sequence of outcomes in order, collecting every notification. Convenient for replaying
 * stored results and for tests.
 */
export function replayHysteresis(
  outcomes: readonly ProbeOutcome[],
  settings: HysteresisSettings,
  state: HysteresisState = initialHysteresisState(),
): HysteresisResult {
  let current: HysteresisResult = { state, status: shownStatus(state), notifications: [] };
  const notifications: HysteresisNotification[] = [];
  for (const outcome of outcomes) {
    current = evaluateHysteresis(current.state, outcome, settings);
    notifications.push(...current.notifications);
  }
  return { ...current, notifications };
}

interface Change {
  readonly status: DeclaredStatus;
  readonly reason: string;
}

function declaredChange(
  state: HysteresisState,
  ok: boolean,
  settings: HysteresisSettings,
): Change | undefined {
  switch (state.status) {
    case 'passing': {
      // Only a failure can declare failing: a success arriving while old failures still sit in
      // the window is no evidence of anything new.
      if (ok) return undefined;
      if (state.consecutiveFailures >= settings.consecutiveFailures) {
        return { status: 'failing', reason: `${state.consecutiveFailures} failures in a row` };
      }
      const failures = state.window.filter((result) => !result).length;
      if (failures >= settings.failuresInWindow) {
        return {
          status: 'failing',
          reason: `${failures} of the last ${state.window.length} results failed`,
        };
      }
      return undefined;
    }
    case 'failing':
      return state.consecutiveSuccesses >= settings.consecutiveSuccesses
        ? { status: 'passing', reason: `${state.consecutiveSuccesses} successes in a row` }
        : undefined;
  }
}

/**
 * Flapping ends once it has lasted an hour and the last hour held at most half the cap of
 * changes. Ending counts as a change, which is what keeps any hour within the cap.
 */
function settleIfQuiet(
  state: HysteresisState,
  now: number,
  at: string,
  settings: HysteresisSettings,
): HysteresisResult {
  const since = state.flappingSince;
  if (since === undefined) return { state, status: state.status, notifications: [] };
  const quiet =
    now - parseTime(since) >= HOUR_MS && state.changes.length <= Math.floor(settings.maxChangesPerHour / 2);
  if (!quiet) return { state, status: 'flapping', notifications: [] };
  const { flappingSince: _, ...rest } = state;
  const settled: HysteresisState = { ...rest, changes: [...state.changes, at] };
  return {
    state: settled,
    status: settled.status,
    notifications: [{ kind: 'settled', at, status: settled.status, flappingSince: since }],
  };
}

function shownStatus(state: HysteresisState): HysteresisStatus {
  return state.flappingSince === undefined ? state.status : 'flapping';
}

/** Changes inside the hour that ends at `now`: (now − 1 h, now]. */
function withinHour(changes: readonly string[], now: number): string[] {
  return changes.filter((at) => parseTime(at) > now - HOUR_MS);
}

function parseTime(at: string): number {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new LbGuardError(`probe result time is not an ISO-8601 timestamp: ${at}`);
  return ms;
}

/**
 * Breaches in a row before a suspected cause is confirmed (the incident's `suspected →
 * confirmed`). Noisy signals (probes, observed shares, error rates) need `consecutiveBreaches`, so
 * one bad minute pages nobody. Configuration evidence is deterministic: when the diagnosis found
 * the configuration alone decisive (`Diagnosis.decisive`, lib/diagnosis/decisive.ts), a second
 * look would read the same configuration and only lengthen the outage, so the first breach
 * confirms. A configuration that changes again before the next look is a new observation either way.
 */
export function breachesToConfirm(
  diagnosis: Pick<Diagnosis, 'decisive' | 'lbFault'>,
  consecutiveBreaches: number,
): number {
  // Only the configuration can be decisive: a cause outside it never skips the hysteresis.
  return diagnosis.decisive !== undefined && diagnosis.lbFault ? 1 : consecutiveBreaches;
}

/** A hysteresis notification, for one probe. */
export interface ProbeNotification {
  readonly probe: string;
  readonly notification: HysteresisNotification;
}

/** Stored hysteresis state of one service's probes, by probe name. */
export type ProbeHysteresisStates = Readonly<Record<string, HysteresisState>>;

/** A probe not heard from for this long is forgotten, so removed probes do not pile up. */
const FORGET_AFTER_MS = 24 * HOUR_MS;

/**
 * Folds the results not yet seen (strictly newer than each probe's `lastAt`) into a service's
 * stored probe states, in time order, and returns the new states with the notifications they
 * raised. Re-running it over an overlapping window is harmless: results already folded in are
 * skipped, so a notification is raised once however often the window is read. `changed` says
 * whether anything needs storing.
 */
export function advanceProbeHysteresis(
  states: ProbeHysteresisStates,
  results: readonly { readonly probe: string; readonly at: string; readonly ok: boolean }[],
  settings: HysteresisSettings,
  now: string,
): {
  readonly states: Record<string, HysteresisState>;
  readonly notifications: ProbeNotification[];
  readonly changed: boolean;
} {
  const next: Record<string, HysteresisState> = { ...states };
  const notifications: ProbeNotification[] = [];
  let changed = false;
  const ordered = results.toSorted((a, b) => parseTime(a.at) - parseTime(b.at));
  for (const r of ordered) {
    const state = next[r.probe] ?? initialHysteresisState();
    if (state.lastAt !== undefined && parseTime(r.at) <= parseTime(state.lastAt)) continue;
    const result = evaluateHysteresis(state, { at: r.at, ok: r.ok }, settings);
    next[r.probe] = result.state;
    changed = true;
    for (const notification of result.notifications) notifications.push({ probe: r.probe, notification });
  }
  const cutoff = parseTime(now) - FORGET_AFTER_MS;
  for (const [probe, state] of Object.entries(next)) {
    if (state.lastAt !== undefined && parseTime(state.lastAt) < cutoff) {
      delete next[probe];
      changed = true;
    }
  }
  return { states: next, notifications, changed };
}
