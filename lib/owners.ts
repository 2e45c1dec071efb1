/**
 * Owners in flight (DESIGN.md "Owner in flight"): a CloudFormation stack or a CodeDeploy
 * deployment that is changing a guarded listener, rule or target group right now, or a deployment
 * service's recent change. Remediate restoring underneath one races it, so it defers instead. This
 * module decides what counts and what people are told; lambdas/adapters/deployment-owners.ts reads.
 */
import type { Action, ConfigChange, PlanStep } from './types.ts';

/** The ELBv2 resources a plan would write, by kind. */
export interface WrittenResources {
  readonly listeners: readonly string[];
  readonly rules: readonly string[];
  readonly targetGroups: readonly string[];
  /** Target groups the written actions forward to: a deployment shifting weights among them races the plan. */
  readonly forwardedTo: readonly string[];
}

/** A CloudFormation stack that holds written resources (in flight or not). */
export interface StackOwner {
  readonly stackName: string;
  readonly status: string;
  /** The written resources this stack holds (physical ids: their ARNs). */
  readonly resources: readonly string[];
}

export type DeploymentOwner =
  | ({ readonly kind: 'stack' } & StackOwner)
  | {
      readonly kind: 'codedeploy';
      readonly deploymentId: string;
      readonly application: string;
      readonly deploymentGroup: string;
      readonly status: string;
      /** The target groups its deployment group balances that the plan writes. */
      readonly targetGroups: readonly string[];
    }
  | { readonly kind: 'change'; readonly service: string; readonly change: ConfigChange };

export type OwnerLookup =
  /** `inFlight` empty means no owner; `stacks` are every stack holding a written resource. */
  | {
      readonly kind: 'looked';
      readonly inFlight: readonly DeploymentOwner[];
      readonly stacks: readonly StackOwner[];
    }
  /** A read failed: never "no owner". `permanent` when a retry cannot cure it (access denied). */
  | { readonly kind: 'failed'; readonly error: string; readonly permanent: boolean };

/** The AWS services whose changes are deployments: their writes are someone's plan in progress. */
export const DEPLOYMENT_SERVICES: readonly string[] = [
  'cloudformation.amazonaws.com',
  'codedeploy.amazonaws.com',
];

/** CodeDeploy statuses of a deployment that may still move traffic (all but Succeeded, Failed, Stopped). */
export const CODEDEPLOY_IN_FLIGHT: readonly string[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];

/** A stack is in flight in every `*_IN_PROGRESS` status, cleanup and rollback included. */
export function stackInFlight(status: string): boolean {
  return status.endsWith('_IN_PROGRESS');
}

/** What a plan writes. `RegisterTargets` writes its target group only. */
export function writtenResources(steps: readonly PlanStep[]): WrittenResources {
  const listeners = new Set<string>();
  const rules = new Set<string>();
  const targetGroups = new Set<string>();
  const forwardedTo = new Set<string>();
  const forwards = (actions: readonly Action[]) => {
    for (const a of actions)
      if (a.type === 'forward') for (const g of a.targetGroups) forwardedTo.add(g.targetGroupArn);
  };
  for (const step of steps) {
    switch (step.op) {
      case 'RegisterTargets':
        targetGroups.add(step.targetGroupArn);
        break;
      case 'ModifyListener':
        listeners.add(step.listenerArn);
        forwards(step.defaultActions);
        break;
      case 'CreateRule':
        listeners.add(step.listenerArn);
        forwards(step.actions);
        break;
      case 'ModifyRule':
        rules.add(step.ruleArn);
        forwards(step.actions);
        break;
      case 'SetRulePriorities':
        for (const p of step.priorities) rules.add(p.ruleArn);
        break;
    }
  }
  return {
    listeners: [...listeners],
    rules: [...rules],
    targetGroups: [...targetGroups],
    forwardedTo: [...forwardedTo],
  };
}

/** The target group's name, which is what CodeDeploy's `loadBalancerInfo` names it by. */
export function targetGroupName(arn: string): string {
  return /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/**
 * The deployment service behind a change, if any: the service that invoked the call, its user
 * agent or source, or the service-linked role the session was issued from.
 */
export function deploymentServiceOf(change: ConfigChange): string | undefined {
  const linked = /:role\/aws-service-role\/([^/]+)\//.exec(change.sessionIssuerArn ?? '')?.[1];
  const said = [change.invokedBy, change.userAgent, change.sourceIp, linked];
  return DEPLOYMENT_SERVICES.find((s) => said.includes(s));
}

/**
 * A deployment service's change is in flight until `quietSeconds` pass without another: the
 * signal for owners lbguard cannot look up (a stack in another account, a deployment it may not
 * read). Only changes to what the plan writes count, or to the load balancer itself.
 */
export function changesInFlight(
  changes: readonly ConfigChange[],
  written: WrittenResources,
  at: Date,
  quietSeconds: number,
): DeploymentOwner[] {
  const touched = new Set([
    ...written.listeners,
    ...written.rules,
    ...written.targetGroups,
    ...written.forwardedTo,
  ]);
  const since = at.getTime() - quietSeconds * 1000;
  return changes.flatMap((change) => {
    const service = deploymentServiceOf(change);
    const relevant = change.resources.some((r) => touched.has(r) || r.includes(':loadbalancer/'));
    return service !== undefined && relevant && Date.parse(change.at) >= since
      ? [{ kind: 'change' as const, service, change }]
      : [];
  });
}

/** The id a deferral records and the notification names. */
export function ownerId(owner: DeploymentOwner): string {
  switch (owner.kind) {
    case 'stack':
      return `stack ${owner.stackName}`;
    case 'codedeploy':
      return `deployment ${owner.deploymentId}`;
    case 'change':
      return `${owner.change.eventName} by ${owner.service} at ${owner.change.at}`;
  }
}

/** What the owners are doing and what to do about it: wait, or stop them with the exact command. */
export function deferralLines(owners: readonly DeploymentOwner[], quietSeconds: number): string[] {
  return owners.flatMap((o) => linesFor(o, quietSeconds));
}

const WAIT =
  'Let it finish; lbguard looks again at each inspection and acts only if the fault is still there.';

function linesFor(o: DeploymentOwner, quietSeconds: number): string[] {
  switch (o.kind) {
    case 'stack':
      return [
        `CloudFormation stack ${o.stackName} is ${o.status} and holds ${o.resources.join(', ')}. ${WAIT}`,
        o.status === 'UPDATE_IN_PROGRESS'
          ? `To stop it and roll the stack back: aws cloudformation cancel-update-stack --stack-name ${o.stackName}`
          : `Watch it: aws cloudformation describe-stack-events --stack-name ${o.stackName}`,
      ];
    case 'codedeploy':
      return [
        `CodeDeploy deployment ${o.deploymentId} (application ${o.application}, group ${o.deploymentGroup}) is ${o.status} and balances ${o.targetGroups.map(targetGroupName).join(', ') || 'a listener this plan writes'}. ${WAIT}`,
        `To stop it and roll back: aws deploy stop-deployment --deployment-id ${o.deploymentId} --auto-rollback-enabled`,
      ];
    case 'change':
      return [
        `${o.change.eventName} by ${o.change.principal} via ${o.service} at ${o.change.at}: a deployment is changing this routing; lbguard waits until ${quietSeconds} s pass without such a change (remediation.deploymentQuietSeconds).`,
      ];
  }
}

/** Why remediate deferred when it could not tell whether an owner is in flight. */
export function lookupFailedLines(error: string): string[] {
  return [
    `Could not tell whether a deployment owns this routing (${error}); lbguard writes nothing it cannot clear, and looks again at the next inspection.`,
  ];
}

/**
 * After lbguard restored resources a stack holds, the stack has drifted from its template; its
 * next update would put the fault back unless the template is made to match.
 */
export function stackDriftLines(stacks: readonly StackOwner[]): string[] {
  return stacks.map(
    (s) =>
      `Stack ${s.stackName} holds ${s.resources.join(', ')}, which lbguard just restored: the stack has drifted from its template, and its next update would undo this fix. Run aws cloudformation detect-stack-drift --stack-name ${s.stackName}, then make the template match the restored routing (or deploy the template's routing on purpose).`,
  );
}
