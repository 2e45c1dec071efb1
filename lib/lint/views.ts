/** Views of a snapshot that several lint rules share: where forwards sit, what a finding names. */
import { describeListener, describeRule } from '../snapshot.ts';
import type {
  ForwardAction,
  LbSnapshot,
  Listener,
  Rule,
  Target,
  TargetGroup,
  TargetHealthState,
} from '../types.ts';
import { targetKey } from '../types.ts';
import type { LintContext, LintFinding, LintOutcome, LintResource } from './types.ts';

/** States in which a registered target takes no traffic, not even when ALB fails open. */
const OUT_OF_SERVICE: ReadonlySet<TargetHealthState> = new Set(['draining', 'unhealthy.draining', 'unused']);

/** A place a forward action sits: a listener's default action or one of its rules. */
export interface ForwardSite {
  readonly listener: Listener;
  readonly rule?: Rule;
  readonly action: ForwardAction;
}

/** Every forward action of the snapshot, with the listener (and rule) it sits in. */
export function forwardSites(snapshot: LbSnapshot): ForwardSite[] {
  return snapshot.listeners.flatMap((listener) => [
    ...forwardsIn(listener.defaultActions).map((action) => ({ listener, action })),
    ...listener.rules.flatMap((rule) =>
      forwardsIn(rule.actions).map((action) => ({ listener, rule, action })),
    ),
  ]);
}

function forwardsIn(actions: ForwardSite['listener']['defaultActions']): ForwardAction[] {
  return actions.filter((a): a is ForwardAction => a.type === 'forward');
}

/** The resource a finding about a forward site is on: its rule, or its listener for a default action. */
export function siteResource(site: { readonly listener: Listener; readonly rule?: Rule }): LintResource {
  if (site.rule === undefined) return listenerResource(site.listener);
  return {
    kind: 'rule',
    arn: site.rule.arn,
    name: `${describeListener(site.listener)} ${describeRule(site.rule)}`,
  };
}

/** `listener :443 default action` or `listener :443 rule 10 (path /api/*)`. */
export function siteName(site: { readonly listener: Listener; readonly rule?: Rule }): string {
  return site.rule === undefined
    ? `${describeListener(site.listener)} default action`
    : `${describeListener(site.listener)} ${describeRule(site.rule)}`;
}

/** A listener as the resource of a finding. */
export function listenerResource(listener: Listener): LintResource {
  return { kind: 'listener', arn: listener.arn, name: describeListener(listener) };
}

/** A target group as the resource of a finding. */
export function groupResource(group: TargetGroup): LintResource {
  return { kind: 'target-group', arn: group.arn, name: `target group ${group.name}` };
}

/**
 * Registered targets that can take traffic: all of them without health records, else those not
 * draining or unused (routing.ts models those as gone).
 */
export function inServiceTargets(context: LintContext, group: TargetGroup): readonly Target[] {
  const records = context.health?.get(group.arn);
  if (records === undefined) return group.targets;
  const states = new Map(records.map((r) => [targetKey(r), r.state]));
  const byId = new Map(records.map((r) => [r.targetId, r.state]));
  return group.targets.filter((t) => {
    const state = states.get(targetKey(t)) ?? byId.get(t.id);
    return state === undefined || !OUT_OF_SERVICE.has(state);
  });
}

/** Build an outcome from the findings of the applicable parts; none applicable → not applicable. */
export function outcomeOf(applicable: number, findings: readonly LintFinding[], whyNot: string): LintOutcome {
  if (findings.length > 0) return { kind: 'non-compliant', findings };
  return applicable === 0 ? { kind: 'not-applicable', why: whyNot } : { kind: 'compliant' };
}

/** Groups a rule about targets can judge: not lambda (one function per group), targets known. */
export function groupsWithKnownTargets(context: LintContext): TargetGroup[] {
  return context.snapshot.targetGroups.filter(
    (g) => g.targetType !== 'lambda' && !context.unknownTargets.has(g.arn),
  );
}
