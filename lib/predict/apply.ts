/**
 * Applies a template's ELBv2 resources to the live load balancer, as CloudFormation would, to
 * give the snapshot and target health the gate predicts for after the deploy.
 *
 * Which live resource a template resource is:
 * 1. the stack's own physical id (ListStackResources), when the stack is known;
 * 2. else a literal ARN where the template names one;
 * 3. else the live resource with the same natural key: the load balancer and a target group by
 *    `Name` (unique per account and region), a listener by load balancer and `Port`, a rule by listener and
 *    `Priority` (ALB allows one of each, so a deploy that declares it must be updating it);
 * 4. else it is new, known by a planned id (resolve.ts `plannedId`).
 * A stack resource the template no longer declares is deleted, as CloudFormation does.
 *
 * Health after the deploy is live health where a target stays registered in its group. A target
 * newly registered in a group starts `initial` on ALB (healthy-threshold × interval) and takes no
 * traffic, unless the same target (id and port) is healthy in another live group now: then it is
 * the same server answering the same port, and is predicted healthy. Targets an Auto Scaling group
 * or ECS service of the template will register in a new group are stand-ins, `initial`.
 */
import { normaliseSnapshot } from '../snapshot.ts';
import type { LbSnapshot, Listener, Rule, Target, TargetGroup, TargetHealth, TargetType } from '../types.ts';
import { targetKey } from '../types.ts';
import {
  list,
  readActions,
  readConditions,
  readHealthCheck,
  readTargets,
  readUnhealthyStateRouting,
  record,
} from './elements.ts';
import {
  type CfnResource,
  type CfnTemplate,
  isPlanned,
  type PlanContext,
  Resolver,
  Unresolvable,
} from './resolve.ts';

export const LISTENER = 'AWS::ElasticLoadBalancingV2::Listener';
export const LISTENER_RULE = 'AWS::ElasticLoadBalancingV2::ListenerRule';
export const TARGET_GROUP = 'AWS::ElasticLoadBalancingV2::TargetGroup';
const LOAD_BALANCER = 'AWS::ElasticLoadBalancingV2::LoadBalancer';
/** The resource types that decide routing. */
export const ROUTING_TYPES: ReadonlySet<string> = new Set([LISTENER, LISTENER_RULE, TARGET_GROUP]);

/** The load balancer as it is now: configuration and health. */
export interface LiveState {
  readonly snapshot: LbSnapshot;
  readonly health: readonly TargetHealth[];
  /** Groups outside the snapshot that the template forwards to by ARN, read by the caller. */
  readonly otherGroups?: readonly TargetGroup[];
}

export type AppliedTemplate =
  | {
      readonly kind: 'applied';
      readonly snapshot: LbSnapshot;
      readonly health: readonly TargetHealth[];
      /** What the deploy changes on this load balancer, one line each. */
      readonly changes: readonly string[];
      /** What the prediction assumes or leaves aside. */
      readonly notes: readonly string[];
      /** Target group ARNs the template forwards to that neither live state nor the template holds. */
      readonly unknownGroups: readonly string[];
      /**
       * Names of groups the template declares that match no group read yet: they may exist,
       * unattached to this load balancer (a blue/green standby), and then are not new.
       */
      readonly unknownGroupNames: readonly string[];
    }
  | { readonly kind: 'cannot-predict'; readonly reasons: readonly string[] };

/** Whether a template declares anything that routes (listeners, rules, target groups). */
export function declaresRouting(template: CfnTemplate): boolean {
  return Object.values(template.Resources ?? {}).some((r) => ROUTING_TYPES.has(r.Type));
}

/**
 * The load balancer after the deploy of `template`, or why it cannot be predicted (every
 * unresolvable reference that routing depends on, named by resource and property).
 */
export function applyTemplate(template: CfnTemplate, context: PlanContext, live: LiveState): AppliedTemplate {
  const resources = Object.entries(template.Resources ?? {});
  const ofType = (type: string) => resources.filter(([, res]) => res.Type === type);
  const ids = new Map((context.stackResources ?? []).map((s) => [s.logicalId, s.physicalId]));
  const r = new Resolver(template, context, ids);
  const reasons: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof Unresolvable)) throw error;
      if (!reasons.includes(error.message)) reasons.push(error.message);
      return undefined;
    }
  };
  const quietly = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (error instanceof Unresolvable) return undefined;
      throw error;
    }
  };
  for (const [id, res] of resources) {
    if (ROUTING_TYPES.has(res.Type) && res.Condition !== undefined)
      reasons.push(`cannot predict: ${id}.Condition makes it exist only under condition ${res.Condition}`);
  }

  const lbArn = live.snapshot.loadBalancerArn;
  const groupsBefore = new Map(
    [...live.snapshot.targetGroups, ...(live.otherGroups ?? [])].map((g) => [g.arn, g]),
  );
  const groups = new Map(groupsBefore);
  const liveListeners = new Map(live.snapshot.listeners.map((l) => [l.arn, l]));
  matchByNaturalKey(ofType, ids, { groups, liveListeners, lbArn, quietly, r });

  const listeners = new Map(
    live.snapshot.listeners.map((l): [string, Draft] => [l.arn, { ...l, rules: [...l.rules] }]),
  );
  const changes: string[] = [];
  const notes: string[] = [];
  const declared = new Set(resources.map(([id]) => id));
  for (const s of context.stackResources ?? []) {
    if (declared.has(s.logicalId) || !ROUTING_TYPES.has(s.type)) continue;
    deleteResource(s.type, s.physicalId, s.logicalId, { groups, listeners, changes });
  }

  const registrars = runtimeRegistrations(resources, r, attempt);
  for (const [id, res] of ofType(TARGET_GROUP)) {
    const group = attempt(() => readGroup(id, res, r, groups, registrars));
    if (group === undefined) continue;
    const before = groups.get(group.arn);
    groups.set(group.arn, group);
    changes.push(...describeGroupChange(before, group));
    if (before !== undefined && JSON.stringify(before.healthCheck) !== JSON.stringify(group.healthCheck))
      notes.push(
        `the health check of ${group.name} changes: the prediction assumes its targets still pass it (their live health is kept)`,
      );
  }
  for (const [id, res] of ofType(LISTENER)) {
    const props = res.Properties ?? {};
    const on = attempt(() => r.string(props.LoadBalancerArn, `${id}.LoadBalancerArn`));
    if (on === undefined) continue;
    if (on !== lbArn) {
      // A load balancer the template declares, with no stack to say which one it is now: it may
      // well be this service's, and leaving its listeners aside would pass what was not judged.
      if (isPlanned(on) && context.stackName === undefined)
        reasons.push(
          `cannot predict: ${id}.LoadBalancerArn refers to a load balancer the template declares (${on}); name the stack (--stack) so its physical id is known`,
        );
      else notes.push(`listener ${id} is on another load balancer (${on}): not this service's`);
      continue;
    }
    const arn = r.resourceId(id, id);
    const port = attempt(() => r.number(props.Port, `${id}.Port`));
    const defaultActions = attempt(() => readActions(r, props.DefaultActions, `${id}.DefaultActions`));
    if (port === undefined || defaultActions === undefined) continue;
    const existing = listeners.get(arn);
    const protocol =
      quietly(() => r.string(props.Protocol, `${id}.Protocol`)) ?? existing?.protocol ?? 'HTTP';
    listeners.set(arn, { ...(existing ?? { rules: [] }), arn, port, protocol, defaultActions });
    changes.push(
      existing === undefined ? `listener :${port} (new)` : `listener :${port} default action replaced`,
    );
  }
  for (const [id, res] of ofType(LISTENER_RULE)) {
    const props = res.Properties ?? {};
    const on = attempt(() => r.string(props.ListenerArn, `${id}.ListenerArn`));
    if (on === undefined) continue;
    const listener = listeners.get(on);
    if (listener === undefined) {
      notes.push(`rule ${id} is on a listener that is not this load balancer's (${on})`);
      continue;
    }
    const arn = r.resourceId(id, id);
    const priority = attempt(() => r.number(props.Priority, `${id}.Priority`));
    const conditions = attempt(() => readConditions(r, props.Conditions, `${id}.Conditions`));
    const actions = attempt(() => readActions(r, props.Actions, `${id}.Actions`));
    if (priority === undefined || conditions === undefined || actions === undefined) continue;
    const existed = [...listeners.values()].some((l) => l.rules.some((x) => x.arn === arn));
    for (const l of listeners.values()) l.rules = l.rules.filter((x) => x.arn !== arn);
    const rule: Rule = { arn, priority, conditions, actions };
    listener.rules.push(rule);
    changes.push(`listener :${listener.port} rule ${priority} ${existed ? 'replaced' : '(new)'}`);
  }
  if (reasons.length > 0) return { kind: 'cannot-predict', reasons };

  const snapshot = normaliseSnapshot({
    loadBalancerArn: lbArn,
    listeners: [...listeners.values()],
    targetGroups: [...groups.values()],
  });
  return {
    kind: 'applied',
    snapshot,
    health: predictHealth(snapshot.targetGroups, [...groupsBefore.values()], live.health),
    changes,
    notes,
    unknownGroups: unknownGroupsOf(snapshot),
    unknownGroupNames: ofType(TARGET_GROUP).flatMap(([id, res]) => {
      const name = res.Properties?.Name;
      return typeof name === 'string' && isPlanned(r.resourceId(id, id)) ? [name] : [];
    }),
  };
}

/** A listener being edited: its rules replaced as the template's rules are read. */
type Draft = Omit<Listener, 'rules'> & { rules: Rule[] };

interface Matching {
  readonly groups: ReadonlyMap<string, TargetGroup>;
  readonly liveListeners: ReadonlyMap<string, Listener>;
  readonly lbArn: string;
  readonly r: Resolver;
  quietly<T>(read: () => T): T | undefined;
}

/** Rule 3 of the header: live resources the template declares without the stack's physical id. */
function matchByNaturalKey(
  ofType: (type: string) => [string, CfnResource][],
  ids: Map<string, string>,
  m: Matching,
): void {
  const { r, quietly } = m;
  for (const [id, res] of ofType(LOAD_BALANCER)) {
    // A load balancer's name is in its ARN (`loadbalancer/app/<name>/<id>`) and unique per region.
    const name = quietly(() => r.string(res.Properties?.Name, `${id}.Name`));
    if (!ids.has(id) && name !== undefined && m.lbArn.includes(`:loadbalancer/app/${name}/`))
      ids.set(id, m.lbArn);
  }
  for (const [id, res] of ofType(TARGET_GROUP)) {
    if (ids.has(id)) continue;
    const name = quietly(() => r.string(res.Properties?.Name, `${id}.Name`));
    const live = [...m.groups.values()].find((g) => g.name === name);
    if (live !== undefined) ids.set(id, live.arn);
  }
  for (const [id, res] of ofType(LISTENER)) {
    if (ids.has(id)) continue;
    const on = quietly(() => r.string(res.Properties?.LoadBalancerArn, `${id}.LoadBalancerArn`));
    const port = quietly(() => r.number(res.Properties?.Port, `${id}.Port`));
    const live = [...m.liveListeners.values()].find((l) => on === m.lbArn && l.port === port);
    if (live !== undefined) ids.set(id, live.arn);
  }
  for (const [id, res] of ofType(LISTENER_RULE)) {
    if (ids.has(id)) continue;
    const on = quietly(() => r.string(res.Properties?.ListenerArn, `${id}.ListenerArn`));
    const priority = quietly(() => r.number(res.Properties?.Priority, `${id}.Priority`));
    const live =
      on === undefined ? undefined : m.liveListeners.get(on)?.rules.find((x) => x.priority === priority);
    if (live !== undefined) ids.set(id, live.arn);
  }
}

function deleteResource(
  type: string,
  physicalId: string,
  logicalId: string,
  into: {
    groups: Map<string, TargetGroup>;
    listeners: Map<string, Draft>;
    changes: string[];
  },
): void {
  if (type === TARGET_GROUP) {
    const group = into.groups.get(physicalId);
    if (group !== undefined)
      into.changes.push(`target group ${group.name} deleted (${logicalId} is no longer in the template)`);
    into.groups.delete(physicalId);
  } else if (type === LISTENER) {
    const listener = into.listeners.get(physicalId);
    if (listener !== undefined)
      into.changes.push(`listener :${listener.port} deleted (${logicalId} is no longer in the template)`);
    into.listeners.delete(physicalId);
  } else {
    for (const l of into.listeners.values()) {
      const rule = l.rules.find((x) => x.arn === physicalId);
      if (rule === undefined) continue;
      into.changes.push(
        `listener :${l.port} rule ${rule.priority} deleted (${logicalId} is no longer in the template)`,
      );
      l.rules = l.rules.filter((x) => x.arn !== physicalId);
    }
  }
}

/** Targets an Auto Scaling group or ECS service registers at run time, by group id (ARN or planned id). */
type Registrations = ReadonlyMap<string, readonly { readonly by: string; readonly count: number }[]>;

function runtimeRegistrations(
  resources: readonly (readonly [string, CfnResource])[],
  r: Resolver,
  attempt: <T>(read: () => T) => T | undefined,
): Registrations {
  const byGroup = new Map<string, { by: string; count: number }[]>();
  const add = (group: string | undefined, by: string, count: number | undefined) => {
    if (group === undefined || count === undefined) return;
    byGroup.set(group, [...(byGroup.get(group) ?? []), { by, count }]);
  };
  for (const [id, res] of resources) {
    const props = res.Properties ?? {};
    if (res.Type === 'AWS::AutoScaling::AutoScalingGroup' && props.TargetGroupARNs !== undefined) {
      // The minimum is what the group may shrink to, so it is what the gate judges.
      const min = attempt(() => r.number(props.MinSize, `${id}.MinSize`));
      for (const [i, arn] of (
        attempt(() => list(r, props.TargetGroupARNs, `${id}.TargetGroupARNs`)) ?? []
      ).entries())
        add(
          attempt(() => r.string(arn, `${id}.TargetGroupARNs[${i}]`)),
          id,
          min,
        );
    } else if (res.Type === 'AWS::ECS::Service' && props.LoadBalancers !== undefined) {
      const desired = attempt(() => r.number(props.DesiredCount, `${id}.DesiredCount`)) ?? 1;
      for (const [i, lb] of (
        attempt(() => list(r, props.LoadBalancers, `${id}.LoadBalancers`)) ?? []
      ).entries()) {
        const tg = record(lb).TargetGroupArn;
        if (tg !== undefined)
          add(
            attempt(() => r.string(tg, `${id}.LoadBalancers[${i}].TargetGroupArn`)),
            id,
            desired,
          );
      }
    }
  }
  return byGroup;
}

function readGroup(
  id: string,
  res: CfnResource,
  r: Resolver,
  groups: ReadonlyMap<string, TargetGroup>,
  registrars: Registrations,
): TargetGroup {
  const props = res.Properties ?? {};
  const arn = r.resourceId(id, id);
  const existing = groups.get(arn);
  const targetType = existing?.targetType ?? parseTargetType(props.TargetType);
  const port = r.number(props.Port, `${id}.Port`) ?? existing?.port;
  const declared =
    props.Targets === undefined
      ? undefined
      : readTargets(
          r,
          props.Targets,
          `${id}.Targets`,
          port === undefined ? { targetType } : { port, targetType },
        );
  // An existing group keeps what run-time registrars registered; a new one gets their stand-ins.
  const standIns: Target[] =
    existing !== undefined || !isPlanned(arn)
      ? []
      : (registrars.get(arn) ?? []).flatMap(({ by, count }) =>
          Array.from({ length: count }, (_, i) =>
            port === undefined ? { id: `${by}#${i + 1}` } : { id: `${by}#${i + 1}`, port },
          ),
        );
  const targets = [...(declared ?? existing?.targets ?? []), ...standIns];
  const routing =
    props.TargetGroupAttributes === undefined
      ? existing?.unhealthyStateRouting
      : readUnhealthyStateRouting(r, props.TargetGroupAttributes, `${id}.TargetGroupAttributes`);
  const name = props.Name === undefined ? (existing?.name ?? id) : r.string(props.Name, `${id}.Name`);
  const { unhealthyStateRouting: _, ...rest } = existing ?? ({} as Partial<TargetGroup>);
  return {
    ...rest,
    arn,
    name,
    targetType,
    healthCheck: { ...existing?.healthCheck, ...readHealthCheck(r, props, id) },
    targets,
    ...(port === undefined ? {} : { port }),
    ...(routing === undefined ? {} : { unhealthyStateRouting: routing }),
  };
}

function parseTargetType(value: unknown): TargetType {
  return value === 'ip' || value === 'lambda' || value === 'alb' ? value : 'instance';
}

function describeGroupChange(before: TargetGroup | undefined, after: TargetGroup): string[] {
  if (before === undefined)
    return [`target group ${after.name} (new) with ${after.targets.length} target(s)`];
  const was = new Set(before.targets.map((t) => targetKey(t)));
  const now = new Set(after.targets.map((t) => targetKey(t)));
  const gone = [...was].filter((k) => !now.has(k));
  const added = [...now].filter((k) => !was.has(k));
  return [
    ...(gone.length === 0 ? [] : [`target group ${after.name}: deregisters ${gone.join(', ')}`]),
    ...(added.length === 0 ? [] : [`target group ${after.name}: registers ${added.join(', ')}`]),
  ];
}

/**
 * The header's health rule: a target registered in its group now keeps its live record (or its
 * lack of one); a newly registered one is healthy only if healthy in another group now.
 */
export function predictHealth(
  groups: readonly TargetGroup[],
  liveGroups: readonly TargetGroup[],
  live: readonly TargetHealth[],
): TargetHealth[] {
  const registered = new Set(liveGroups.flatMap((g) => g.targets.map((t) => `${g.arn}|${targetKey(t)}`)));
  const healthyElsewhere = new Set(live.filter((h) => h.state === 'healthy').map((h) => targetKey(h)));
  const kept = live.filter((h) =>
    groups.some(
      (g) =>
        g.arn === h.targetGroupArn &&
        g.targets.some((t) => targetKey(t) === targetKey(h) || t.id === h.targetId),
    ),
  );
  const added = groups.flatMap((g) =>
    g.targets
      .filter((t) => !registered.has(`${g.arn}|${targetKey(t)}`))
      .map((t): TargetHealth => {
        const base =
          t.port === undefined
            ? { targetGroupArn: g.arn, targetId: t.id }
            : { targetGroupArn: g.arn, targetId: t.id, port: t.port };
        return healthyElsewhere.has(targetKey(t))
          ? { ...base, state: 'healthy', description: 'predicted: healthy in another group now' }
          : {
              ...base,
              state: 'initial',
              reason: 'Elb.RegistrationInProgress',
              description: 'predicted: newly registered',
            };
      }),
  );
  return [...kept, ...added];
}

function unknownGroupsOf(snapshot: LbSnapshot): string[] {
  const have = new Set(snapshot.targetGroups.map((g) => g.arn));
  const wanted = snapshot.listeners.flatMap((l) =>
    [...l.defaultActions, ...l.rules.flatMap((x) => x.actions)].flatMap((a) =>
      a.type === 'forward' ? a.targetGroups.map((g) => g.targetGroupArn) : [],
    ),
  );
  return [...new Set(wanted)].filter((arn) => !have.has(arn) && !isPlanned(arn));
}
