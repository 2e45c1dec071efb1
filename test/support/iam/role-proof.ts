import type { UnusedGrant } from '../../../infra/iam-unused-grants.ts';
import { wildcardMatch } from '../../unit/infra/policy-check.ts';
import {
  FUNCTIONS,
  type FunctionName,
  type Grant,
  grantsMatching,
  type RoleGrants,
} from './template-grants.ts';

// The comparison the IAM proof ends with, per role: what was used against what is granted, and
// what the list of unused grants says. Pure, so its rules are unit-tested
// (test/unit/iam-role-proof.test.ts) apart from moto.
//
// A wildcard grant (`kms:GenerateDataKey*`) is expanded to the operations of the service's SDK
// client that it matches, when lbguard has that client; it counts as used only when every one of
// those operations is, so a wide pattern of which the code uses one operation still needs its
// reason. A wildcard that cannot be expanded (no SDK client here) always needs one.

/** Per function: each action used, and the scenario groups that used it. */
export type UsedActions = ReadonlyMap<FunctionName, ReadonlyMap<string, ReadonlySet<string>>>;

/** Per IAM prefix: the operations its SDK client offers (undefined when lbguard has no client). */
export type Operations = (prefix: string) => readonly string[] | undefined;

/** One granted pattern and how the proof found it. */
export interface GrantRow {
  readonly action: string;
  /** Each statement granting it, with what it is granted on. */
  readonly sources: readonly string[];
  /** The operations a wildcard stands for; undefined for a plain action or an unexpandable one. */
  readonly expansion?: readonly string[];
  /** The used actions it covers, each with the groups that used it. */
  readonly usedAs: readonly { readonly action: string; readonly suites: readonly string[] }[];
  /** Every action it stands for was used (a plain action: it was used). */
  readonly fullyUsed: boolean;
  readonly unused?: UnusedGrant;
}

export interface RoleProof {
  readonly fn: FunctionName;
  readonly roleId: string;
  readonly rows: readonly GrantRow[];
  /** Used actions no Allow grants, or a Deny refuses. */
  readonly usedNotGranted: readonly string[];
  /** Grants neither fully used nor listed with a reason. */
  readonly unexplained: readonly string[];
  /** List entries for an action no longer granted, or now fully used. */
  readonly stale: readonly string[];
}

export function isWildcard(action: string): boolean {
  return /[*?]/.test(action);
}

/** The operations `pattern` matches among its service's SDK operations; undefined if unknown. */
export function expand(pattern: string, operations: Operations): string[] | undefined {
  const [prefix] = pattern.split(':');
  const known = prefix === undefined ? undefined : operations(prefix);
  if (known === undefined) return undefined;
  return known.map((op) => `${prefix}:${op}`).filter((a) => wildcardMatch(pattern, a, true));
}

/** Compares one role's grants with what it used and with its list of unused grants. */
export function proveRole(
  grants: RoleGrants,
  used: ReadonlyMap<string, ReadonlySet<string>>,
  unusedList: Readonly<Record<string, UnusedGrant>>,
  operations: Operations,
): RoleProof {
  const byAction = new Map<string, Grant[]>();
  for (const g of grants.grants) byAction.set(g.action, [...(byAction.get(g.action) ?? []), g]);
  const rows: GrantRow[] = [...byAction.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([action, from]) => {
      const usedAs = [...used.entries()]
        .filter(([a]) => !action.startsWith('NotAction ') && wildcardMatch(action, a, true))
        .map(([a, suites]) => ({ action: a, suites: [...suites].sort() }))
        .sort((a, b) => a.action.localeCompare(b.action));
      const expansion = isWildcard(action) ? expand(action, operations) : undefined;
      const fullyUsed = isWildcard(action)
        ? expansion !== undefined &&
          expansion.length > 0 &&
          expansion.every((a) => usedAs.some((u) => u.action.toLowerCase() === a.toLowerCase()))
        : usedAs.length > 0;
      const unused = unusedList[action];
      return {
        action,
        sources: [...new Set(from.map((g) => `${g.source} on ${g.resource}`))],
        ...(expansion === undefined ? {} : { expansion }),
        usedAs,
        fullyUsed,
        ...(unused === undefined ? {} : { unused }),
      };
    });
  const usedNotGranted = [...used.keys()]
    .filter(
      (a) => grantsMatching(grants.grants, a).length === 0 || grantsMatching(grants.denies, a).length > 0,
    )
    .sort();
  const unexplained = rows.filter((r) => !r.fullyUsed && r.unused === undefined).map((r) => r.action);
  const stale = Object.keys(unusedList)
    .flatMap((action) => {
      const row = rows.find((r) => r.action === action);
      if (row === undefined) return [`${action}: listed as an unused grant but no longer granted`];
      if (row.fullyUsed)
        return [
          `${action}: listed as an unused grant but now used by ${row.usedAs.map((u) => u.suites.join(', ')).join('; ')}`,
        ];
      return [];
    })
    .sort();
  return { fn: grants.fn, roleId: grants.roleId, rows, usedNotGranted, unexplained, stale };
}

/** The proof of every function role (of `fns`: by default the stand-alone stack's three). */
export function proveRoles<F extends FunctionName>(
  grants: Readonly<Record<F, RoleGrants>>,
  used: UsedActions,
  unusedList: Readonly<Record<F, Readonly<Record<string, UnusedGrant>>>>,
  operations: Operations,
  fns: readonly F[] = FUNCTIONS as unknown as readonly F[],
): RoleProof[] {
  return fns.map((fn) => proveRole(grants[fn], used.get(fn) ?? new Map(), unusedList[fn], operations));
}

/** The SDK client package of each IAM prefix lbguard has one for; the source of wildcard expansion. */
export const SDK_PACKAGES: Readonly<Record<string, string>> = {
  cloudwatch: '@aws-sdk/client-cloudwatch',
  dynamodb: '@aws-sdk/client-dynamodb',
  ec2: '@aws-sdk/client-ec2',
  elasticloadbalancing: '@aws-sdk/client-elastic-load-balancing-v2',
  kms: '@aws-sdk/client-kms',
  s3: '@aws-sdk/client-s3',
  sns: '@aws-sdk/client-sns',
};

/**
 * The operations of each SDK client that a wildcard among `patterns` needs (its exported
 * `…Command` classes; each API operation is an IAM action of the same name for these services).
 */
export async function loadOperations(patterns: readonly string[]): Promise<Operations> {
  const table = new Map<string, string[]>();
  for (const prefix of new Set(patterns.filter(isWildcard).map((p) => p.split(':')[0] ?? ''))) {
    const pkg = SDK_PACKAGES[prefix];
    if (pkg === undefined) continue;
    const module = (await import(pkg)) as Record<string, unknown>;
    table.set(
      prefix,
      Object.keys(module)
        .flatMap((k) => (/^[A-Z]\w*Command$/.test(k) ? [k.replace(/Command$/, '')] : []))
        .sort(),
    );
  }
  return (prefix) => table.get(prefix);
}
