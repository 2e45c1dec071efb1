import type { ApprovalPolicy, RemediationPolicy, Thresholds } from '../types.ts';

/**
 * Every default of `lbguard.config.yaml`, in one place.
 *
 * The schema reads its defaults from here and docs/configuration.md documents each of them (a
 * unit test checks that every value below appears in that document), so changing a default
 * here is the whole change: the JSON Schema is regenerated from the schema.
 */
export const DEFAULTS = {
  version: 1,
  schedule: {
    probeIntervalSeconds: 10,
    probeLoopSeconds: 50,
    inspectRateMinutes: 1,
    metricsPeriodSeconds: 300,
  },
  probe: {
    method: 'GET',
    timeoutMs: 5000,
    latencyBudgetMs: 2000,
    expect: { status: [200] },
    servedBySample: { requests: 50, concurrency: 5 },
  },
  thresholds: {
    skew: { minSamples: 30, falsePositiveRate: 0.0001, minEffectSize: 0.2 },
    hysteresis: {
      consecutiveFailures: 3,
      failuresInWindow: 5,
      windowSize: 10,
      consecutiveSuccesses: 3,
      maxChangesPerHour: 6,
    },
    errorRate: 0.05,
    consecutiveBreaches: 2,
    soakSeconds: 900,
  },
  remediation: {
    mode: 'dry-run',
    cooldownSeconds: 600,
    maxPerHour: 3,
    maxSteps: 10,
    allowCreateRule: false,
    verifyDeadlineSeconds: 300,
    deploymentQuietSeconds: 300,
    // Approve mode: nothing runs unasked unless listed in trustedSteps.
    approval: { expiresAfterMinutes: 60, remindAfterMinutes: 15, escalateAfterMinutes: 30, trustedSteps: [] },
  },
  notifications: { emails: [], httpsEndpoints: [] },
  // The HTTPS approval endpoint is a deployment's choice, made explicitly.
  approval: { endpoint: false },
} as const satisfies {
  readonly thresholds: Thresholds;
  readonly remediation: RemediationPolicy & {
    readonly deploymentQuietSeconds: number;
    readonly approval: ApprovalPolicy;
  };
  readonly [section: string]: unknown;
};
