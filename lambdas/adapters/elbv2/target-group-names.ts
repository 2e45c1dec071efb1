import {
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';

// Target groups by name, for the predictive gate (lambdas/flows/plan-gate.ts): a template that
// declares a group by `Name` may mean one that exists unattached to the load balancer (a
// blue/green standby). CLI and drill only; no Lambda imports this file.

/** ARNs of the groups with these names; a name no group has is left out, not an error. */
export async function targetGroupArnsByName(
  client: ElasticLoadBalancingV2Client,
  names: readonly string[],
): Promise<string[]> {
  const arns: string[] = [];
  // One name per call: ELBv2 fails a whole call when any name in it is unknown.
  for (const name of new Set(names)) {
    try {
      const out = await client.send(new DescribeTargetGroupsCommand({ Names: [name] }));
      for (const g of out.TargetGroups ?? []) if (g.TargetGroupArn !== undefined) arns.push(g.TargetGroupArn);
    } catch (error) {
      if ((error as Error).name !== 'TargetGroupNotFoundException') throw error;
    }
  }
  return arns;
}
