// What the synthesized template grants each function's role, in two forms: as written (the
// report's "granted" column, each action pattern with the statement it came from) and as moto can
// enforce it (the inline policies the IAM proof puts on the role it creates in moto).
//
// moto 5.2.1 checks actions only (moto/iam/access_control.py): every non-IAM, non-STS call is
// authorised against the resource `*`, and a statement whose Condition it cannot satisfy counts
// as a Deny. So the moto copy widens every Resource to `*`, drops the Condition of an Allow and
// drops a conditioned Deny altogether; each such change is listed for the report. The resource
// scoping and the conditions are proven on the template instead (test/unit/infra/).
import { type Statement, type TemplateJson, wildcardMatch } from '../../unit/infra/policy-check.ts';
import { asList, refersTo, roleIdOf as roleOfFunction } from '../../unit/infra/roles.ts';

/** The functions of the stand-alone stack, whose proof is the report's first part. */
export const FUNCTIONS = ['probe', 'inspect', 'remediate'] as const;
/** The functions of a spoke in discovery mode: the three, and enrol. */
export const DISCOVERY_FUNCTIONS = ['probe', 'inspect', 'remediate', 'enrol'] as const;
/** The hub's functions. */
export const HUB_FUNCTIONS = ['hub-ingest', 'hub-coverage'] as const;
/**
 * Every role a proof can hold: a function's, by its Powertools service name `lbguard-<fn>`, or
 * `fleet-reader`, the role of `LbGuardFleetRoleStack` that hub-coverage assumes in each account.
 */
export type FunctionName =
  | (typeof DISCOVERY_FUNCTIONS)[number]
  | (typeof HUB_FUNCTIONS)[number]
  | 'fleet-reader';

/**
 * IAM prefixes whose SigV4 signing name differs: moto authorises a call as
 * `<signing name>:<operation>`, so CloudWatch's are checked as `monitoring:…`.
 */
export const SIGNING_NAMES: Readonly<Record<string, string>> = { cloudwatch: 'monitoring' };

/**
 * Operations IAM authorises as their parts but moto as one action: a DynamoDB transaction needs
 * the item action of each of its items (PutItem for a Put…), and there is no
 * `dynamodb:TransactWriteItems` to grant. The moto copy allows the operation wherever a part is
 * allowed; the recorder records the parts each transaction really held, so a part the role lacks
 * still shows as used and not granted.
 */
export const AUTHORISED_AS_PARTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'dynamodb:TransactWriteItems': {
    Put: 'dynamodb:PutItem',
    Update: 'dynamodb:UpdateItem',
    Delete: 'dynamodb:DeleteItem',
    ConditionCheck: 'dynamodb:ConditionCheckItem',
  },
  'dynamodb:TransactGetItems': { Get: 'dynamodb:GetItem' },
};

/** One action pattern an Allow statement grants, as the template writes it. */
export interface Grant {
  /** `service:Operation`, possibly with IAM wildcards (`kms:GenerateDataKey*`). */
  readonly action: string;
  /** Where it is written: `<policy logical id>` and the statement's Sid, or a resource policy. */
  readonly source: string;
  /** What it is granted on, as written (`LbGuardTable…` for a reference to that resource). */
  readonly resource: string;
}

/** A policy document as moto stores it on a role. */
export interface MotoPolicy {
  readonly name: string;
  readonly document: { readonly Version: '2012-10-17'; readonly Statement: readonly Statement[] };
}

export interface RoleGrants {
  readonly fn: FunctionName;
  readonly roleId: string;
  readonly grants: readonly Grant[];
  /** Unconditional Deny statements of the role's identity policies (none today), as written. */
  readonly denies: readonly Grant[];
  readonly motoPolicies: readonly MotoPolicy[];
  /** What the moto copy changed beyond Resource → `*`, and what moto does not evaluate at all. */
  readonly notes: readonly string[];
}

type Resources = TemplateJson['Resources'];

/** The role of the function whose Powertools service name is `lbguard-<fn>`. */
export function roleIdOf(resources: Resources, fn: FunctionName): string {
  if (fn === 'fleet-reader')
    throw new Error('template: the fleet reader role runs no function; name its logical id');
  return roleOfFunction({ Resources: resources }, fn);
}

/** The identity policies attached to a role, each named by where it is written. */
function identityPolicies(resources: Resources, roleId: string): { name: string; statements: Statement[] }[] {
  const role = resources[roleId]?.Properties ?? {};
  const managed = asList(role.ManagedPolicyArns).filter(
    (arn) => !Object.keys(resources).some((id) => refersTo(arn, id)),
  );
  if (managed.length > 0) {
    throw new Error(
      `template: role ${roleId} has ManagedPolicyArns ${JSON.stringify(managed)} that are not in the template; the IAM proof cannot read an AWS managed policy offline — grant its actions with an inline policy, or teach test/support/iam/template-grants.ts to load it`,
    );
  }
  const inline = asList(role.Policies).map((p) => {
    const policy = p as { PolicyName: unknown; PolicyDocument: { Statement: unknown } };
    return {
      name: `${roleId}.${String(policy.PolicyName)}`,
      statements: asList(policy.PolicyDocument.Statement) as Statement[],
    };
  });
  const attached = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter(
      ([id, r]) =>
        asList(r.Properties?.Roles).some((ref) => refersTo(ref, roleId)) ||
        asList(role.ManagedPolicyArns).some((arn) => refersTo(arn, id)),
    )
    .map(([id, r]) => ({
      name: id,
      statements: asList(
        (r.Properties?.PolicyDocument as { Statement?: unknown } | undefined)?.Statement,
      ) as Statement[],
    }));
  return [...inline, ...attached];
}

/** Resource policies (key, topic, queue, table) in the template, each with the resource it guards. */
function resourcePolicies(resources: Resources): { name: string; statements: Statement[] }[] {
  const documentOf: Record<string, string> = {
    'AWS::KMS::Key': 'KeyPolicy',
    'AWS::SNS::TopicPolicy': 'PolicyDocument',
    'AWS::SQS::QueuePolicy': 'PolicyDocument',
    'AWS::DynamoDB::Table': 'ResourcePolicy',
  };
  return Object.entries(resources).flatMap(([id, r]) => {
    const property = documentOf[r.Type];
    const value = property === undefined ? undefined : r.Properties?.[property];
    if (value === undefined) return [];
    const document = (
      r.Type === 'AWS::DynamoDB::Table' ? (value as { PolicyDocument?: unknown }).PolicyDocument : value
    ) as {
      Statement?: unknown;
    };
    return [{ name: `${r.Type} ${id}`, statements: asList(document?.Statement) as Statement[] }];
  });
}

/** A Resource element as a reader names it: references by logical id, joins joined. */
export function describeResource(value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(describeResource).join(', ');
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string')
    return record.Ref.startsWith('AWS::') ? `\${${record.Ref}}` : record.Ref;
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  const join = record['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) {
    return (join[1] as unknown[]).map(describeResource).join(String(join[0]));
  }
  return JSON.stringify(value);
}

function label(name: string, statement: Statement): string {
  return statement.Sid === undefined ? name : `${name} (${statement.Sid})`;
}

/**
 * A statement as the stack deploys with its parameters' defaults: one written under `Fn::If` is
 * taken on the condition's false side (the reader role's operator grants exist only when operators
 * are given), with a note; `AWS::NoValue` drops it.
 */
function unlessCondition(where: string, statement: Statement, notes: string[]): Statement[] {
  const choice = (statement as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
  if (choice === undefined) return [statement];
  const [condition, whenTrue, whenFalse] = choice;
  notes.push(
    `${where}: a statement under the condition ${condition} taken as false (its parameters' defaults), so left out: ${JSON.stringify((whenTrue as Statement).Sid ?? whenTrue)}`,
  );
  const none = JSON.stringify(whenFalse) === JSON.stringify({ Ref: 'AWS::NoValue' });
  return none ? [] : [whenFalse as Statement];
}

/** The moto copy of one statement, or undefined (with a note) when moto could only misjudge it. */
function forMoto(statement: Statement, where: string, notes: string[]): Statement | undefined {
  const { Condition, Resource: _r, NotResource: _n, Principal: _p, ...rest } = statement;
  if (Condition !== undefined) {
    const conditions = JSON.stringify(Condition);
    if (statement.Effect === 'Deny') {
      notes.push(`${where}: conditioned Deny left out (moto treats any condition as unmet): ${conditions}`);
      return undefined;
    }
    notes.push(`${where}: condition dropped, so moto allows unconditionally: ${conditions}`);
  }
  if (rest.NotAction !== undefined) notes.push(`${where}: NotAction statement, kept as written`);
  const actions = asList(rest.Action) as string[];
  const aliases = actions.flatMap((a) => {
    const [prefix, operation] = a.split(':');
    const signing = prefix === undefined ? undefined : SIGNING_NAMES[prefix];
    return signing === undefined ? [] : [`${signing}:${operation}`];
  });
  for (const [whole, parts] of Object.entries(AUTHORISED_AS_PARTS)) {
    const granted = Object.values(parts).some((part) => actions.some((a) => wildcardMatch(a, part, true)));
    if (granted && !actions.some((a) => wildcardMatch(a, whole, true))) aliases.push(whole);
  }
  return {
    ...rest,
    ...(rest.Action === undefined ? {} : { Action: [...actions, ...aliases] }),
    Resource: '*',
  };
}

/**
 * Each function role's grants, read from a synthesized template: its inline policies, the
 * `AWS::IAM::Policy` and customer managed policies attached to it, and the Allow statements of
 * resource policies (key, topic, queue) whose Principal names it. Other resource-policy statements
 * that mention the role are listed in `notes`: moto evaluates no resource policy.
 */
export function templateGrants(json: TemplateJson): Record<(typeof FUNCTIONS)[number], RoleGrants>;
export function templateGrants<F extends FunctionName>(
  json: TemplateJson,
  fns: readonly F[],
  roleIds?: Readonly<Partial<Record<F, string>>>,
): Record<F, RoleGrants>;
export function templateGrants(
  json: TemplateJson,
  fns: readonly FunctionName[] = FUNCTIONS,
  roleIds: Readonly<Partial<Record<FunctionName, string>>> = {},
): Partial<Record<FunctionName, RoleGrants>> {
  const resources = json.Resources;
  const out: Partial<Record<FunctionName, RoleGrants>> = {};
  for (const fn of fns) {
    // A role no function runs under (the fleet reader role) is named by its logical id.
    const roleId = roleIds[fn] ?? roleIdOf(resources, fn);
    const grants: Grant[] = [];
    const denies: Grant[] = [];
    const notes: string[] = [];
    const motoPolicies: MotoPolicy[] = [];
    const take = (name: string, written: readonly Statement[]): void => {
      const kept: Statement[] = [];
      for (const statement of written.flatMap((s) => unlessCondition(name, s, notes))) {
        const where = label(name, statement);
        for (const action of asList(statement.Action ?? statement.NotAction) as string[]) {
          // A conditioned Deny may not apply; only an unconditional one surely refuses.
          if (statement.Effect === 'Deny' && statement.Condition !== undefined) continue;
          const target = statement.Effect === 'Allow' ? grants : denies;
          target.push({
            action: statement.NotAction === undefined ? action : `NotAction ${action}`,
            source: where,
            resource: describeResource(statement.Resource ?? statement.NotResource),
          });
        }
        const copy = forMoto(statement, where, notes);
        if (copy !== undefined) kept.push(copy);
      }
      if (kept.length > 0) motoPolicies.push({ name, document: { Version: '2012-10-17', Statement: kept } });
    };
    for (const policy of identityPolicies(resources, roleId)) take(policy.name, policy.statements);
    for (const policy of resourcePolicies(resources)) {
      const naming = policy.statements.filter((s) => refersTo(s.Principal, roleId) && s.Effect === 'Allow');
      if (naming.length > 0) take(`${policy.name} (resource policy naming the role)`, naming);
      for (const s of policy.statements.filter((s) => !naming.includes(s) && refersTo(s, roleId))) {
        notes.push(
          `${label(policy.name, s)}: ${s.Effect} ${JSON.stringify(s.Action)} mentions this role; moto evaluates no resource policy (the template tests judge it)`,
        );
      }
    }
    out[fn] = { fn, roleId, grants, denies, motoPolicies, notes };
  }
  return out;
}

/** The Allow patterns of `grants` that match `action` (IAM action names are case-insensitive). */
export function grantsMatching(grants: readonly Grant[], action: string): Grant[] {
  return grants.filter((g) => !g.action.startsWith('NotAction ') && wildcardMatch(g.action, action, true));
}
