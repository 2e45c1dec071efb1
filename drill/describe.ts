import type { World } from './world/world.ts';

// One readable line for what the drill records: an ELBv2 write or action in the world's target
// group names, an error with its cause, any value as JSON.

/** A target group's name in the world, or the ARN as given when the world has no such group. */
export function targetGroupName(world: World, arn: unknown): string {
  return Object.values(world.control.targetGroups).find((g) => g.arn === arn)?.name ?? String(arn);
}

/** One readable line per write: what lbguard asked ELBv2 to do, in the world's names. */
export function describeWrite(world: World, op: string, input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  const groupName = (arn: unknown): string => targetGroupName(world, arn);
  switch (op) {
    case 'RegisterTargets':
    case 'DeregisterTargets': {
      const targets = (i.Targets as { Id?: string; Port?: number }[] | undefined) ?? [];
      return `${groupName(i.TargetGroupArn)}: ${targets.map((t) => `${t.Id}${t.Port === undefined ? '' : `:${t.Port}`}`).join(', ')}`;
    }
    case 'ModifyListener':
    case 'ModifyRule': {
      const actions =
        ((op === 'ModifyListener' ? i.DefaultActions : i.Actions) as unknown[] | undefined) ?? [];
      return actions.map((a) => describeSdkAction(a, groupName)).join(', ');
    }
    default:
      return safeJson(input).slice(0, 200);
  }
}

/** An SDK listener or rule action, e.g. `forward web-a=90/web-b=10`. */
export function describeSdkAction(a: unknown, groupName: (arn: unknown) => string): string {
  const action = a as {
    Type?: string;
    TargetGroupArn?: string;
    ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[] };
    FixedResponseConfig?: { StatusCode?: string };
  };
  if (action.Type === 'forward') {
    const groups = action.ForwardConfig?.TargetGroups ?? [
      { TargetGroupArn: action.TargetGroupArn, Weight: 1 },
    ];
    return `forward ${groups.map((g) => `${groupName(g.TargetGroupArn)}=${g.Weight ?? 1}`).join('/')}`;
  }
  if (action.Type === 'fixed-response')
    return `fixed-response ${action.FixedResponseConfig?.StatusCode ?? ''}`;
  return action.Type ?? 'action';
}

/** JSON for a log line; an Error as its name and message, anything unserialisable as a string. */
export function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    );
  } catch {
    return String(v);
  }
}

/** An error and its cause on one line. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.name} ${error.cause.message}` : '';
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
