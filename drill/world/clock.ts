// The drill's compressed time. By default one drill second stands for one AWS minute: the
// schedules that run every minute in AWS (inspect, probe, CloudWatch's 60 s metric period)
// run every second in the drill, and ALB health-check timings are divided by the same factor
// (a 30 s interval becomes 500 ms, 5 × 30 s to healthy becomes 2.5 s). Timestamps written
// into moto (CloudWatch datapoints, lambda event times) follow the AWS-side clock, so a
// 2-minute drill writes two hours of CloudWatch history.

/**
 * The honest clock (`lbguard drill --real-clock`): one drill second is one AWS second. Schedules
 * run at their configured cadence (inspect every minute, a probe round every 10 s), HAProxy's
 * health checks at the target group's configured interval and thresholds, a crashed server stays
 * down its three real minutes, and every figure is wall-clock seconds a team would live through.
 */
export const REAL_TIME: DrillClockOptions = { awsSecondsPerDrillSecond: 1 };

/**
 * CloudTrail → EventBridge delivery on the real clock. AWS documents this path as best effort and
 * publishes no latency figure, so this is an assumption, chosen on the slow side: twice the
 * compressed drill's 15 AWS seconds, so the real-clock MTTD is not flattered by an optimistic
 * feed. A later event changes little: the one-minute inspect schedule bounds detection anyway.
 */
export const REAL_CLOCK_CLOUDTRAIL_DELAY_SECONDS = 30;

export interface DrillClockOptions {
  /** AWS seconds per drill (wall-clock) second. Default 60. */
  readonly awsSecondsPerDrillSecond?: number;
  /** AWS time at drill start, ISO. Default: the wall clock at start, floored to the minute. */
  readonly awsStart?: string;
  /** Wall clock in epoch ms; injectable for tests. Default Date.now. */
  readonly now?: () => number;
}

export class DrillClock {
  /** Wall-clock epoch ms at which the drill started. */
  readonly realStartMs: number;
  /** AWS epoch ms at drill start. */
  readonly awsStartMs: number;
  /** AWS ms per wall-clock ms. */
  readonly factor: number;
  readonly #now: () => number;

  constructor(opts: DrillClockOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.factor = opts.awsSecondsPerDrillSecond ?? 60;
    if (!(this.factor > 0)) throw new Error('awsSecondsPerDrillSecond must be positive');
    this.realStartMs = this.#now();
    this.awsStartMs =
      opts.awsStart === undefined
        ? Math.floor(this.realStartMs / 60_000) * 60_000
        : Date.parse(opts.awsStart);
    if (Number.isNaN(this.awsStartMs)) throw new Error(`awsStart is not a date: ${opts.awsStart}`);
  }

  /** Wall-clock epoch ms. */
  nowMs(): number {
    return this.#now();
  }

  /** Wall-clock ms since the drill started. */
  elapsedMs(realMs: number = this.#now()): number {
    return realMs - this.realStartMs;
  }

  /** AWS epoch ms corresponding to a wall-clock instant. */
  awsMs(realMs: number = this.#now()): number {
    return this.awsStartMs + (realMs - this.realStartMs) * this.factor;
  }

  awsDate(realMs: number = this.#now()): Date {
    return new Date(this.awsMs(realMs));
  }

  awsIso(realMs: number = this.#now()): string {
    return this.awsDate(realMs).toISOString();
  }

  /** Wall-clock instant at which the AWS clock reads `awsMs`. */
  realMsAt(awsMs: number): number {
    return this.realStartMs + (awsMs - this.awsStartMs) / this.factor;
  }

  /** Wall-clock ms that an AWS duration takes in the drill (60 s → 1000 ms by default). */
  drillMs(awsDurationMs: number): number {
    return awsDurationMs / this.factor;
  }

  /** AWS duration that a wall-clock duration stands for. */
  awsDurationMs(drillDurationMs: number): number {
    return drillDurationMs * this.factor;
  }

  /** True when drill time is AWS time (`REAL_TIME`): nothing is compressed. */
  get realTime(): boolean {
    return this.factor === 1;
  }

  /** Wall-clock length of one AWS minute (a CloudWatch period, a 1-minute schedule). */
  get awsMinuteMs(): number {
    return this.drillMs(60_000);
  }
}
