// Whether an inspect cycle fits its schedule: pure, so the verdict rule is tested on its own.

/** A cycle against the one-minute schedule and the Lambda timeout. */
export type ScheduleVerdict =
  | { readonly kind: 'fits'; readonly headroomMs: number }
  /** Longer than the schedule: the next scheduled invocation starts before this one ends. */
  | { readonly kind: 'overruns-schedule'; readonly overByMs: number }
  /** Longer than the timeout: Lambda kills the cycle and the services after the cut are never inspected. */
  | { readonly kind: 'times-out'; readonly overByMs: number };

/** Judges one cycle's wall time against the schedule period and the function's timeout. */
export function judgeSchedule(cycleMs: number, scheduleMs: number, timeoutMs: number): ScheduleVerdict {
  if (cycleMs > timeoutMs) return { kind: 'times-out', overByMs: cycleMs - timeoutMs };
  if (cycleMs > scheduleMs) return { kind: 'overruns-schedule', overByMs: cycleMs - scheduleMs };
  return { kind: 'fits', headroomMs: scheduleMs - cycleMs };
}

/** One line for the tables: `fits (42.1 s to spare)`, `**over by 3.2 s**`. */
export function describeVerdict(v: ScheduleVerdict): string {
  switch (v.kind) {
    case 'fits':
      return `fits (${(v.headroomMs / 1000).toFixed(1)} s to spare)`;
    case 'overruns-schedule':
      return `**overruns the schedule by ${(v.overByMs / 1000).toFixed(1)} s**`;
    case 'times-out':
      return `**exceeds the timeout by ${(v.overByMs / 1000).toFixed(1)} s**`;
  }
}
