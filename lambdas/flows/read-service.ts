import type { ServiceConfig } from '../../lib/config/index.ts';
import { normaliseSnapshot } from '../../lib/snapshot.ts';
import type { LbSnapshot, ZonalShift } from '../../lib/types.ts';
import type {
  LoadBalancerReader,
  LoadBalancerState,
  TargetGroupAttributes,
} from '../adapters/elbv2/ports.ts';
import { pickAttributes } from '../adapters/elbv2/ports.ts';
import type { Log } from '../adapters/log.ts';
import type { ZonalShifts } from '../adapters/zonal-shifts.ts';

/**
 * Reads a service's load balancer plus the target groups of last known good that no listener
 * forwards to any more. A deployment that drops a group from every action leaves it detached
 * from the load balancer, so the reader would not see it; without it, drift would call the group
 * removed and no plan could point traffic back at it. Which load balancers use each group comes
 * with it (`attachments`): a group named by last known good may be another load balancer's.
 */
export async function readServiceState(
  reader: LoadBalancerReader,
  service: Pick<ServiceConfig, 'loadBalancerArn' | 'listenerArns'>,
  lastGood: LbSnapshot | undefined,
  options: { readonly knownAttributes?: ReadonlyMap<string, TargetGroupAttributes> } = {},
): Promise<LoadBalancerState> {
  const state =
    options.knownAttributes === undefined
      ? await reader.readSnapshot(service.loadBalancerArn, service.listenerArns)
      : await reader.readSnapshot(service.loadBalancerArn, service.listenerArns, {
          knownAttributes: options.knownAttributes,
        });
  const have = new Set(state.snapshot.targetGroups.map((g) => g.arn));
  const missing = (lastGood?.targetGroups ?? []).map((g) => g.arn).filter((arn) => !have.has(arn));
  if (missing.length === 0) return state;
  const extra = await reader.describeTargetGroups(missing);
  return {
    snapshot: normaliseSnapshot({
      ...state.snapshot,
      targetGroups: [...state.snapshot.targetGroups, ...extra.groups],
    }),
    health: [...state.health, ...extra.health],
    attachments: new Map([...state.attachments, ...extra.attachments]),
  };
}

/**
 * The target group attributes a snapshot records, by group ARN: every group of it, with or without
 * a guard or algorithm (a group that has neither is known to have neither, not unknown).
 */
export function knownAttributesOf(snapshot: LbSnapshot): ReadonlyMap<string, TargetGroupAttributes> {
  return new Map(snapshot.targetGroups.map((g) => [g.arn, pickAttributes(g)]));
}

/**
 * A secondary read: a region without ARC, or a role without the grant, must not stop the guard.
 * Unread, the shifts are absent, and the diagnosis and plan know of none; the log says so.
 */
export async function readZonalShifts(
  port: ZonalShifts | undefined,
  loadBalancerArn: string,
  logger?: Log,
): Promise<readonly ZonalShift[] | undefined> {
  try {
    return await port?.activeFor(loadBalancerArn);
  } catch (error) {
    // Unknown, not "none": said in the log so that a missing grant or an ARC outage is seen.
    logger?.warn('zonal shifts unknown: the ARC read failed; judging without them', {
      loadBalancerArn,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return undefined;
  }
}
