import {
  DescribeTargetGroupAttributesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AnomalyReport } from './alb-stand-in.ts';
import type { CounterSnapshot, Haproxy } from './haproxy.ts';
import type { HaproxyPlan } from './haproxy-plan.ts';
import { sleep } from './net.ts';

// ALB's automatic target weights, played on HAProxy: in a target group whose algorithm is
// `weighted_random` ALB compares each target's errors with its peers'; a target that answers far
// more errors is `anomalous`, and with `load_balancing.algorithm.anomaly_mitigation=on` its share
// of traffic is lowered step by step while it stays anomalous, never to zero, and ramped back
// step by step once it answers like its peers (AWS: "Automatic target weights", detection needs at
// least three healthy targets). The drill's rules for "far more" and the step sizes are its own
// (ALB does not publish them): an error rate of at least 20 % and at least twice the peers' plus
// 10 points, over the last two drill seconds; weights 100 → 50 → 25 → 10 (HAProxy's relative
// server weights); back up one step after two calm periods; at most half a group mitigated.
// `report()` is what the stand-in's DescribeTargetHealth `Include: AnomalyDetection` says.

export interface MitigationSettings {
  /** One detection period, drill ms. Default 500 (30 AWS seconds). */
  readonly periodMs: number;
  /** Periods one verdict looks back over. Default 4. */
  readonly windowPeriods: number;
  /** Fewer requests than this in the window (with errors) keeps the previous verdict. Default 8. */
  readonly minRequests: number;
  readonly minErrorRate: number;
  /** Server weights, full share first, most mitigated last. */
  readonly ladder: readonly number[];
  /** Calm periods before one step back up. Default 2. */
  readonly recoverPeriods: number;
  /** In-service targets a group needs for detection. Default 3. */
  readonly minTargets: number;
}

export const DEFAULT_MITIGATION: MitigationSettings = {
  periodMs: 500,
  windowPeriods: 4,
  minRequests: 8,
  minErrorRate: 0.2,
  ladder: [100, 50, 25, 10],
  recoverPeriods: 2,
  minTargets: 3,
};

/** One in-service target's requests and 5xx answers over the window. */
export interface TargetWindow {
  readonly targetId: string;
  readonly requests: number;
  readonly errors: number;
}

export interface TargetMitigation {
  readonly result: 'anomalous' | 'normal';
  /** Index into the ladder: 0 is the full share. */
  readonly level: number;
  readonly calmPeriods: number;
}

const NORMAL: TargetMitigation = { result: 'normal', level: 0, calmPeriods: 0 };

/**
 * One detection period for one group: verdicts from the window, then each target's step down
 * (anomalous and mitigation allowed) or up (calm for `recoverPeriods`). Pure.
 */
export function stepMitigation(
  previous: ReadonlyMap<string, TargetMitigation>,
  windows: readonly TargetWindow[],
  mitigate: boolean,
  s: MitigationSettings = DEFAULT_MITIGATION,
): Map<string, TargetMitigation> {
  const detect = windows.length >= s.minTargets;
  const verdicts = new Map<string, 'anomalous' | 'normal'>();
  for (const w of windows) {
    const before = previous.get(w.targetId) ?? NORMAL;
    if (!detect) {
      verdicts.set(w.targetId, 'normal');
      continue;
    }
    // A mitigated target gets a trickle: a clean window clears it, a thin one keeps the verdict.
    if (w.requests > 0 && w.errors === 0) {
      verdicts.set(w.targetId, 'normal');
      continue;
    }
    if (w.requests < s.minRequests) {
      verdicts.set(w.targetId, before.result);
      continue;
    }
    const peers = windows.filter((p) => p.targetId !== w.targetId);
    const peerRequests = peers.reduce((a, p) => a + p.requests, 0);
    const peerRate = peerRequests === 0 ? 0 : peers.reduce((a, p) => a + p.errors, 0) / peerRequests;
    const rate = w.errors / w.requests;
    verdicts.set(w.targetId, rate >= s.minErrorRate && rate >= 2 * peerRate + 0.1 ? 'anomalous' : 'normal');
  }
  const cap = Math.floor(windows.length / 2);
  let mitigated = windows.filter((w) => (previous.get(w.targetId)?.level ?? 0) > 0).length;
  const next = new Map<string, TargetMitigation>();
  const top = s.ladder.length - 1;
  for (const w of windows) {
    const before = previous.get(w.targetId) ?? NORMAL;
    const result = verdicts.get(w.targetId) ?? 'normal';
    if (result === 'anomalous' && mitigate) {
      const allowed = before.level > 0 || mitigated < cap;
      if (allowed && before.level === 0) mitigated++;
      next.set(w.targetId, { result, level: allowed ? Math.min(top, before.level + 1) : 0, calmPeriods: 0 });
      continue;
    }
    const calm = result === 'normal' ? before.calmPeriods + 1 : 0;
    const up = before.level > 0 && (calm >= s.recoverPeriods || !mitigate);
    next.set(w.targetId, {
      result,
      level: up ? before.level - 1 : before.level,
      calmPeriods: up ? 0 : calm,
    });
  }
  return next;
}

export interface GroupAlgorithm {
  readonly algorithm: string;
  readonly anomalyMitigation: boolean;
}

export interface MitigationEvent {
  readonly at: number;
  readonly targetGroupArn: string;
  readonly targetId: string;
  readonly result: 'anomalous' | 'normal';
  readonly weight: number;
}

export interface AnomalyMitigationOptions {
  readonly haproxy: Pick<Haproxy, 'runtime' | 'sample'>;
  readonly plan: () => HaproxyPlan;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly settings?: Partial<MitigationSettings>;
}

/** The loop: reads the groups' algorithm attributes, samples HAProxy, sets server weights. */
export class AnomalyMitigation {
  readonly events: MitigationEvent[] = [];
  readonly #opts: AnomalyMitigationOptions;
  readonly #s: MitigationSettings;
  readonly #groups = new Map<string, GroupAlgorithm>();
  readonly #state = new Map<string, Map<string, TargetMitigation>>();
  readonly #history: CounterSnapshot[] = [];
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  #periods = 0;

  constructor(opts: AnomalyMitigationOptions) {
    this.#opts = opts;
    this.#s = { ...DEFAULT_MITIGATION, ...opts.settings };
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** What ALB's DescribeTargetHealth would say of a target; undefined outside `weighted_random`. */
  report(targetGroupArn: string, targetId: string): AnomalyReport | undefined {
    const g = this.#groups.get(targetGroupArn);
    if (g?.algorithm !== 'weighted_random') return undefined;
    const m = this.#state.get(targetGroupArn)?.get(targetId) ?? NORMAL;
    return { result: m.result, mitigationInEffect: g.anomalyMitigation && m.level > 0 };
  }

  /** The server weight the data plane gives a target now (100 = full share). */
  weight(targetGroupArn: string, targetId: string): number {
    return this.#s.ladder[this.#state.get(targetGroupArn)?.get(targetId)?.level ?? 0] ?? 100;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const started = Date.now();
      try {
        await this.periodOnce();
      } catch {
        // A failed period (HAProxy reloading, moto busy) is skipped; the next one reads afresh.
      }
      await sleep(Math.max(0, this.#s.periodMs - (Date.now() - started)));
    }
  }

  /** One detection period. Exposed for tests. */
  async periodOnce(): Promise<void> {
    const plan = this.#opts.plan();
    if (this.#periods++ % 4 === 0) await this.#readAttributes(plan);
    const sample = await this.#opts.haproxy.sample();
    this.#history.push(sample);
    if (this.#history.length > this.#s.windowPeriods + 1) this.#history.shift();
    const oldest = this.#history[0];
    if (oldest === undefined || oldest === sample) return;
    const status = new Map(sample.rows.map((r) => [`${r.proxy}/${r.server}`, r]));
    for (const [arn, g] of this.#groups) {
      const servers = plan.servers.filter((s) => s.targetGroupArn === arn && !s.backup);
      const inService = servers.filter((s) => (status.get(s.key)?.status ?? '').startsWith('UP'));
      const windows = inService.map((s) => {
        const now = sample.totals.get(s.key);
        const then = oldest.totals.get(s.key);
        return {
          targetId: s.targetId,
          requests: (now?.req_tot ?? 0) - (then?.req_tot ?? 0),
          errors: (now?.hrsp_5xx ?? 0) - (then?.hrsp_5xx ?? 0),
        };
      });
      const before = this.#state.get(arn) ?? new Map<string, TargetMitigation>();
      const weighted = g.algorithm === 'weighted_random';
      const next = weighted ? stepMitigation(before, windows, g.anomalyMitigation, this.#s) : new Map();
      this.#state.set(arn, next);
      for (const s of servers) {
        const m = next.get(s.targetId) ?? NORMAL;
        const was = before.get(s.targetId) ?? NORMAL;
        const weight = this.#s.ladder[m.level] ?? 100;
        if (m.level !== was.level || m.result !== was.result)
          this.events.push({
            at: Date.now(),
            targetGroupArn: arn,
            targetId: s.targetId,
            result: m.result,
            weight,
          });
        // Re-applied every period: a reload may bring back the configuration's weight.
        if (status.get(s.key)?.weight !== weight)
          await this.#opts.haproxy.runtime(`set server ${s.key} weight ${weight}`);
      }
    }
  }

  async #readAttributes(plan: HaproxyPlan): Promise<void> {
    for (const b of plan.backends) {
      if (b.kind !== 'target-group') continue;
      const out = await this.#opts.elbv2.send(
        new DescribeTargetGroupAttributesCommand({ TargetGroupArn: b.targetGroupArn }),
      );
      const attr = (key: string): string | undefined => out.Attributes?.find((a) => a.Key === key)?.Value;
      this.#groups.set(b.targetGroupArn, {
        algorithm: attr('load_balancing.algorithm.type') ?? 'round_robin',
        anomalyMitigation: attr('load_balancing.algorithm.anomaly_mitigation') === 'on',
      });
    }
  }
}
