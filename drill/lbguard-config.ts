import { type LbGuardConfig, parseConfig } from '../lib/config/index.ts';
import type { World } from './world/world.ts';

/** Service name in the drill's lbguard config. */
export const DRILL_SERVICE = 'shop';

/** AWS seconds between probe rounds in the drill's config: the resolution of observed convergence. */
export const DRILL_PROBE_INTERVAL_SECONDS = 10;

/**
 * The drill's lbguard config: the shop, auto remediation, probes through the HAProxy listener.
 * Compressing time compresses lbguard's own traffic too (a served-by sample per AWS minute is one
 * per drill second), so probes are kept lean: a round every 20 AWS seconds and 30-request samples,
 * about 40 req/s on top of the customers'.
 */
export function drillConfig(
  world: World,
  remediation: { readonly allowCreateRule?: boolean } = {},
): LbGuardConfig {
  const base = world.listenerUrl();
  const input = {
    version: 1,
    schedule: {
      probeIntervalSeconds: DRILL_PROBE_INTERVAL_SECONDS,
      probeLoopSeconds: 50,
      inspectRateMinutes: 1,
      metricsPeriodSeconds: 60,
    },
    services: [
      {
        name: DRILL_SERVICE,
        loadBalancerArn: world.control.loadBalancerArn,
        listenerArns: [world.control.listenerArn],
        servedByHeader: 'X-Served-By',
        probes: [
          {
            name: 'home',
            url: `${base}/`,
            // The drill's listener is HAProxy on 127.0.0.1; a deployed lbguard never probes loopback.
            allowLoopback: true,
            timeoutMs: 2_000,
            latencyBudgetMs: 1_000,
            servedBySample: { requests: 30, concurrency: 3 },
          },
          {
            name: 'checkout-journey',
            allowLoopback: true,
            timeoutMs: 2_000,
            latencyBudgetMs: 1_500,
            steps: [
              { name: 'product', url: `${base}/products/42` },
              { name: 'cart', url: `${base}/cart` },
              { name: 'checkout', url: `${base}/checkout`, method: 'POST' },
            ],
          },
        ],
        // The shortest soak the schema allows: one AWS minute, one drill second.
        thresholds: { soakSeconds: 60, consecutiveBreaches: 2 },
        remediation: {
          mode: 'auto',
          verifyDeadlineSeconds: 300,
          cooldownSeconds: 600,
          maxPerHour: 3,
          ...remediation,
        },
      },
    ],
  };
  const parsed = parseConfig(JSON.stringify(input), 'drill config');
  if (!parsed.ok) {
    throw new Error(
      `drill config is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.config;
}
