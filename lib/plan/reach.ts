/**
 * Reach: the guardrail that refuses a plan whose writes would reach beyond the guarded load
 * balancer, into another load balancer's target group or to a redirect host, page or identity
 * provider the live configuration does not use.
 *
 * The threat is a last known good that was tampered with (or corrupted) where it is stored.
 * Every step is copied from last known good, so comparing a step with last known good's own
 * listener or rule would pass whatever the record says. Each check compares the step with what
 * is live instead, which a stored record cannot forge:
 * - a target group with ELBv2's record of which load balancers use it (`attachments`). One that
 *   another load balancer uses carries someone else's traffic, whether or not ours uses it too.
 *   One that no load balancer uses is what a deployment leaves when it drops a group of last known
 *   good from every action, and may be pointed back at. One whose load balancers were not read is
 *   refused: the groups of last known good are read into `current` by ARN (that is how a detached
 *   group is found), so being in `current` proves nothing about whose group it is.
 * - a redirect, fixed response or any other action that is not a forward with the live listener
 *   (default action) or rule the step writes: the action is new unless that listener or rule has
 *   it now (the same one, whatever its order; for a redirect, one to the same protocol, host and
 *   port, the path being ours to send). Restoring one a deployment removed is refused as well:
 *   lbguard puts back where traffic is forwarded, and cannot tell a genuine redirect host, page
 *   or identity provider in a stored record from a forged one, so that is left to people.
 */
import type { SnapshotPairing } from '../drift.ts';
import { canonicalJson } from '../snapshot.ts';
import type { Action, PlanStep, RedirectAction, TargetGroupAttachments } from '../types.ts';
import { describeStep } from './describe-step.ts';

/** Why a plan reaching beyond the guarded load balancer is refused, most serious first. */
export type ReachReason = 'foreign-target-group' | 'new-redirect' | 'new-fixed-response' | 'new-action';

export interface ReachRefusal {
  readonly reason: ReachReason;
  /** Every finding, each naming the step and what it would have touched. */
  readonly detail: string;
}

interface Finding {
  readonly reason: ReachReason;
  readonly why: string;
}

const SEVERITY: readonly ReachReason[] = [
  'foreign-target-group',
  'new-redirect',
  'new-fixed-response',
  'new-action',
];

/**
 * The refusal of a plan with a step that registers targets in or forwards to a target group
 * another load balancer uses (or one whose load balancers are unknown), or that writes a
 * redirect, fixed response or other non-forward action its live listener or rule does not have;
 * undefined when every step stays within the guarded load balancer.
 */
export function checkReach(
  p: SnapshotPairing,
  steps: readonly PlanStep[],
  attachments: TargetGroupAttachments,
): ReachRefusal | undefined {
  const guarded = p.current.loadBalancerArn;
  const findings = steps.flatMap((step) => {
    const label = describeStep(step, p.current);
    return [
      ...groupsOf(step).flatMap(({ arn, verb }) => {
        const why = foreignGroup(attachments.get(arn), guarded);
        return why === undefined
          ? []
          : [
              {
                reason: 'foreign-target-group' as const,
                why: `${label}: ${verb} target group ${p.name(arn)}, ${why}`,
              },
            ];
      }),
      ...newActions(p, step).map((f) => ({ ...f, why: `${label}: ${f.why}` })),
    ];
  });
  const [first] = [...findings].sort((a, b) => SEVERITY.indexOf(a.reason) - SEVERITY.indexOf(b.reason));
  if (first === undefined) return undefined;
  return { reason: first.reason, detail: findings.map((f) => f.why).join('; ') };
}

/** Why a group with these load balancers is out of reach; undefined when it is ours alone or unused. */
function foreignGroup(loadBalancers: readonly string[] | undefined, guarded: string): string | undefined {
  if (loadBalancers === undefined) {
    return "whose load balancers are not known (ELBv2 did not report them), so lbguard cannot tell it is not another load balancer's";
  }
  const others = loadBalancers.filter((arn) => arn !== guarded);
  if (others.length === 0) return undefined;
  const who = `${others.length === 1 ? 'load balancer' : 'load balancers'} ${others.map(lbLabel).join(', ')}`;
  const also = others.length < loadBalancers.length ? ' as well as the guarded one' : '';
  return `which ${who} ${others.length === 1 ? 'uses' : 'use'}${also}: the step would change another load balancer's traffic`;
}

/** `app/billing/7f3a9c1e0b2d4e6f` from a load balancer ARN. */
function lbLabel(arn: string): string {
  return arn.replace(/^.*:loadbalancer\//, '');
}

function groupsOf(step: PlanStep): { arn: string; verb: string }[] {
  if (step.op === 'RegisterTargets') return [{ arn: step.targetGroupArn, verb: 'registers targets in' }];
  const arns = new Set(
    actionsOf(step).flatMap((a) => (a.type === 'forward' ? a.targetGroups.map((g) => g.targetGroupArn) : [])),
  );
  return [...arns].map((arn) => ({ arn, verb: 'forwards to' }));
}

function actionsOf(step: PlanStep): readonly Action[] {
  switch (step.op) {
    case 'ModifyListener':
      return step.defaultActions;
    case 'ModifyRule':
    case 'CreateRule':
      return step.actions;
    default:
      return [];
  }
}

/** Non-forward actions of a step that its live listener or rule does not have. */
function newActions(p: SnapshotPairing, step: PlanStep): Finding[] {
  const live = liveOf(p, step);
  const findings: Finding[] = [];
  for (const action of actionsOf(step)) {
    switch (action.type) {
      case 'forward':
        break;
      case 'redirect': {
        const to = redirectTarget(action);
        if (!live.actions.some((a) => a.type === 'redirect' && redirectTarget(a) === to)) {
          findings.push({ reason: 'new-redirect', why: `writes a redirect to ${to}, ${live.lacks}` });
        }
        break;
      }
      case 'fixed-response':
        if (!live.actions.some((a) => sameAction(a, action))) {
          const body = action.messageBody === undefined ? '' : ` "${clip(action.messageBody)}"`;
          const what = `a fixed response ${action.statusCode}${action.contentType === undefined ? '' : ` ${action.contentType}`}${body}`;
          findings.push({ reason: 'new-fixed-response', why: `writes ${what}, ${live.lacks}` });
        }
        break;
      default:
        if (!live.actions.some((a) => sameAction(a, action))) {
          findings.push({
            reason: 'new-action',
            why: `writes ${action.type} ${canonicalJson(action.config)}, ${live.lacks}`,
          });
        }
    }
  }
  return findings;
}

/** The live actions a step replaces (the step's own description names where they are). */
function liveOf(p: SnapshotPairing, step: PlanStep): { actions: readonly Action[]; lacks: string } {
  switch (step.op) {
    case 'ModifyListener':
      return {
        actions: p.current.listeners
          .filter((l) => l.arn === step.listenerArn)
          .flatMap((l) => l.defaultActions),
        lacks: 'which the live default action does not have',
      };
    case 'ModifyRule':
      return {
        actions: p.current.listeners
          .flatMap((l) => l.rules)
          .filter((r) => r.arn === step.ruleArn)
          .flatMap((r) => r.actions),
        lacks: 'which the live rule does not have',
      };
    default:
      return { actions: [], lacks: 'which no live rule has (the step creates the rule)' };
  }
}

/** Where a redirect sends people: `HTTPS://#{host}:443`, ALB's placeholders for what it keeps. */
function redirectTarget(a: RedirectAction): string {
  return `${a.protocol ?? '#{protocol}'}://${(a.host ?? '#{host}').toLowerCase()}:${a.port ?? '#{port}'}`;
}

/** Equal whatever their `order`, which only sequences actions of one list. */
function sameAction(a: Action, b: Action): boolean {
  return canonicalJson({ ...a, order: undefined }) === canonicalJson({ ...b, order: undefined });
}

function clip(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 119)}…`;
}
