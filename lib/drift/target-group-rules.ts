/** Drift rules about target groups (LBG-D10 to LBG-D13): their targets and their settings. */
import { canonicalJson, describeTargets } from '../snapshot.ts';
import type { Target, TargetGroup } from '../types.ts';
import { targetKey } from '../types.ts';
import { defineRule } from './define-rule.ts';

export const targetGroupRemoved = defineRule(
  'LBG-D10',
  'target-group-removed',
  'A target group of last known good is no longer in the snapshot.',
  (p) =>
    p.removedTargetGroups.map((g) => ({
      targetGroupArn: g.arn,
      summary: `target group ${g.name} is no longer attached to the load balancer (deleted, or nothing forwards to it)`,
      before: g,
      remediable: false,
    })),
);

function missingTargets(from: readonly Target[], present: readonly Target[]): Target[] {
  const keys = new Set(present.map(targetKey));
  return from.filter((t) => !keys.has(targetKey(t)));
}

export const targetsDeregistered = defineRule(
  'LBG-D11',
  'targets-deregistered',
  'Targets registered in last known good are no longer registered.',
  (p) =>
    p.targetGroups.flatMap(({ current, lastGood }) => {
      const gone = missingTargets(lastGood.targets, current.targets);
      if (gone.length === 0) return [];
      const remaining = lastGood.targets.length - gone.length;
      return [
        {
          targetGroupArn: current.arn,
          summary: `target group ${current.name}: ${gone.length} target(s) deregistered (${describeTargets(gone)}); ${remaining} of ${lastGood.targets.length} last-known-good targets remain`,
          before: lastGood.targets,
          after: current.targets,
          remediable: true,
        },
      ];
    }),
);

export const targetsRegistered = defineRule(
  'LBG-D12',
  'targets-registered',
  'Targets registered since last known good (benign: more capacity).',
  (p) =>
    p.targetGroups.flatMap(({ current, lastGood }) => {
      const added = missingTargets(current.targets, lastGood.targets);
      if (added.length === 0) return [];
      return [
        {
          targetGroupArn: current.arn,
          summary: `target group ${current.name}: ${added.length} target(s) registered (${describeTargets(added)})`,
          before: lastGood.targets,
          after: current.targets,
          remediable: false,
        },
      ];
    }),
);

/** The target-group settings that decide which targets receive traffic. */
function groupSettings(g: TargetGroup): Record<string, unknown> {
  return {
    healthCheck: g.healthCheck,
    unhealthyStateRouting: g.unhealthyStateRouting,
    dnsFailover: g.dnsFailover,
    loadBalancingAlgorithm: g.loadBalancingAlgorithm,
    anomalyMitigation: g.anomalyMitigation,
    slowStartSeconds: g.slowStartSeconds,
    stickiness: g.stickiness,
    targetControlPort: g.targetControlPort,
    protocol: g.protocol,
    port: g.port,
    targetType: g.targetType,
  };
}

/** `{ healthCheck: { path: '/x' } }` → `healthCheck.path` → `"/x"` (canonical JSON). */
function flatten(value: unknown, prefix: string, into: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, into);
  } else if (value !== undefined) {
    into.set(prefix, canonicalJson(value));
  }
  return into;
}

export const healthCheckChanged = defineRule(
  'LBG-D13',
  'health-check-changed',
  "A target group's health check or other traffic-deciding setting changed (reported, not planned).",
  (p) =>
    p.targetGroups.flatMap(({ current, lastGood }) => {
      const now = flatten(groupSettings(current), '', new Map());
      const before = flatten(groupSettings(lastGood), '', new Map());
      const changes = [...new Set([...before.keys(), ...now.keys()])]
        .sort()
        .filter((k) => now.get(k) !== before.get(k))
        .map((k) => `${k} ${before.get(k) ?? 'unset'} → ${now.get(k) ?? 'unset'}`);
      if (changes.length === 0) return [];
      return [
        {
          targetGroupArn: current.arn,
          summary: `target group ${current.name}: ${changes.join(', ')}`,
          before: groupSettings(lastGood),
          after: groupSettings(current),
          remediable: false,
        },
      ];
    }),
);
