/** Accounts, regions and the ARNs that name them: what the fleet fan-out iterates over. */

/** One account and region: the unit the fan-out reads, reports and isolates errors by. */
export interface Scope {
  readonly account: string;
  readonly region: string;
}

/** `account/region`, the label a scope has in text output and maps. */
export function scopeKey(scope: Scope): string {
  return `${scope.account}/${scope.region}`;
}

/** The partition a region belongs to, for ARNs built by hand (`aws`, `aws-cn`, `aws-us-gov`). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The role the fan-out assumes in `account`: the same role name everywhere (`fleet.roleName`),
 * as a StackSet or an organisation-wide baseline creates it.
 */
export function fleetRoleArn(account: string, roleName: string, region: string): string {
  return `arn:${partitionOf(region)}:iam::${account}:role/${roleName}`;
}

/** The account and region an ELBv2 ARN names, or undefined when it is not one. */
export function scopeOfArn(arn: string): Scope | undefined {
  const [prefix, , service, region, account] = arn.split(':');
  if (
    prefix !== 'arn' ||
    service !== 'elasticloadbalancing' ||
    region === undefined ||
    account === undefined
  ) {
    return undefined;
  }
  return { account, region };
}

/** Whether the load balancer `arn` lives in `scope`. */
export function inScope(arn: string, scope: Scope): boolean {
  const of = scopeOfArn(arn);
  return of !== undefined && of.account === scope.account && of.region === scope.region;
}

/** Code-unit order, so sorted output is the same on every machine and locale. */
export function compareArns(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every account × region pair, accounts in the order given (the organisation's, or the config's)
 * and duplicates dropped.
 */
export function scopesOf(accounts: readonly string[], regions: readonly string[]): Scope[] {
  return [...new Set(accounts)].flatMap((account) =>
    [...new Set(regions)].map((region) => ({ account, region })),
  );
}
