/**
 * What a postmortem proposes so the same outage cannot happen again, by root cause: the
 * reference postmortem's "Corrective and Preventative Measures".
 */
import type { RootCause } from '../types.ts';

interface Measures {
  readonly improvements: readonly string[];
  readonly tasks: readonly string[];
}

const GATE = 'Gate deployments on `lbguard verify` so a change that breaks routing fails the pipeline.';
const HEALTH_REQUIREMENTS =
  'Add target-group health requirements (minimum healthy targets) so ALB fails open instead of overloading a single survivor.';

function measuresFor(cause: RootCause, service: string): Measures {
  switch (cause) {
    case 'routing-skew':
      return {
        improvements: [GATE, HEALTH_REQUIREMENTS, 'Require review for listener weight changes.'],
        tasks: [
          `Review lbguard's remediation mode for ${service}: restore automatically once dry-run plans have been trusted.`,
          'Add served-by sampling to probes so per-target skew is observed, not only modelled.',
        ],
      };
    case 'missing-targets':
      return {
        improvements: [
          GATE,
          'Never deregister the last targets of a group a listener forwards to: check registrations in the deploy pipeline.',
          HEALTH_REQUIREMENTS,
        ],
        tasks: ['Alarm on HealthyHostCount below the intended size of each target group.'],
      };
    case 'listener-drift':
      return {
        improvements: [
          GATE,
          'Require review for listener and rule changes (actions, priorities, conditions).',
          'Manage listener rules in one place (infrastructure as code) so hand edits show up as drift.',
        ],
        tasks: ['Alert on ModifyListener/ModifyRule calls from principals outside the deploy pipeline.'],
      };
    case 'no-healthy-targets':
      return {
        improvements: [
          'Check the health check itself (path, port, matcher, thresholds) against what the application serves.',
          'Alarm on UnHealthyHostCount per target group before every target is failing.',
        ],
        tasks: [
          'Find why every target failed its health check: application logs and recent application deploys.',
        ],
      };
    case 'single-survivor':
      return {
        improvements: [
          HEALTH_REQUIREMENTS,
          'Check the health check itself (path, port, matcher, thresholds) against what the application serves: one bad check setting takes N-1 targets out at once.',
        ],
        tasks: [
          'Set target_group_health.unhealthy_state_routing.minimum_healthy_targets.count to 2 or more (lint rule LBG-L7).',
          'Find why the other targets failed their health checks before the survivor was overloaded.',
        ],
      };
    case 'targets-unhealthy-balanced':
      return {
        improvements: [
          'Investigate why targets fail health checks: capacity, application errors or dependencies; the load balancer spread traffic correctly.',
          'Scale on request count per target so the fleet absorbs load before targets fail.',
          HEALTH_REQUIREMENTS,
        ],
        tasks: ['Load-test the service at peak traffic with one target lost.'],
      };
    case 'backend-errors-balanced':
      return {
        improvements: [
          'Investigate the backend dependency (database, downstream APIs) behind the 5xx: the load balancer spread traffic correctly.',
          'Add dependency latency and error metrics to the service dashboard next to the load balancer panels.',
        ],
        tasks: ['Add a probe step that exercises the failing dependency end to end.'],
      };
    case 'lb-protecting':
      return {
        improvements: [
          'Find why the load balancer flagged the target (its 5xx, latency and logs) or why the zone was shifted; the routing configuration was not at fault.',
        ],
        tasks: ['Alarm on AnomalousHostCount and MitigatedHostCount per target group.'],
      };
    case 'data-plane-not-following':
      return {
        improvements: [
          'Gate deployments on observed traffic (lbguard verify --wait), not on the API accepting the change.',
          'Keep old targets until the new shares are observed: scale away only after convergence.',
        ],
        tasks: ['Open an AWS support case with the write time and the propagation lag lbguard measured.'],
      };
    case 'unknown':
      return {
        improvements: [
          'Extend probes and served-by sampling so the next failure can be attributed.',
          'Review ALB access logs for the incident window (target:port and status per request).',
        ],
        tasks: ['Add the missing signal that would have explained this incident to lbguard.'],
      };
    case 'healthy':
      return { improvements: ['None required: no fault was found.'], tasks: [] };
    case 'state-integrity':
      return {
        improvements: [
          "Restrict who can write lbguard's state table and use its state key to lbguard's roles and the operators who promote (docs/threat-model.md).",
          'Turn on CloudTrail data events for the state table so every write is attributable.',
        ],
        tasks: [
          'Find who or what wrote the item that failed the check (CloudTrail), then re-promote with lbguard snapshot --promote.',
        ],
      };
  }
}

/** The measures section for `cause`: improvements, then tasks ending with sharing the learnings. */
export function renderMeasures(cause: RootCause, service: string): string[] {
  const { improvements, tasks } = measuresFor(cause, service);
  return [
    '- **Improvements**:',
    ...improvements.map((m) => `  - ${m}`),
    '- **Tasks**:',
    ...[...tasks, 'Document the incident and share learnings with the team.'].map((t) => `  - ${t}`),
  ];
}
