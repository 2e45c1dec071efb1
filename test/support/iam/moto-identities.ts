import { type MotoServer, resetMoto, startMoto } from '../../../drill/world/moto.ts';
import { queryBody, type SigningCredentials, signQueryPost } from '../../../drill/world/sigv4.ts';
import type { FunctionName, MotoPolicy } from './template-grants.ts';

// A moto_server that enforces IAM, and the identities the IAM proof runs under: an administrator
// (the test's own set-up: tables, topics, load balancers, faults) and one assumed-role session per
// function, each role holding the moto copy of its template policies.
//
// How moto 5.2.1 enforces (moto/core/authorization.py, moto/iam/access_control.py): once its
// request counter reaches INITIAL_NO_AUTH_ACTION_COUNT, every request must carry a valid SigV4
// signature by an IAM user's access key or an `sts:AssumeRole` session (anything else is
// InvalidClientTokenId), and the action must be allowed by that identity's policies. A reset
// clears IAM with everything else but not the counter, so after each reset `/moto-api/reset-auth`
// opens exactly the three unauthenticated calls that create the administrator.

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ADMIN = 'lbguard-iam-proof-admin';
/** CreateUser, PutUserPolicy, CreateAccessKey: the only calls moto lets through unauthenticated. */
const BOOTSTRAP_CALLS = 3;

/** The role name each function runs under in moto. */
export function roleName(fn: FunctionName): string {
  return `lbguard-${fn}`;
}

/** An IAM-enforcing moto_server on a free loopback port: enforcement is on from its first request. */
export function startIamMoto(): Promise<MotoServer> {
  return startMoto({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '0' } });
}

/** A role the proof creates in another account of the same moto (the fleet reader role). */
export interface AccountRole {
  readonly account: string;
  readonly roleName: string;
  /** The role the proof records its calls under. */
  readonly as: FunctionName;
  readonly policies: readonly MotoPolicy[];
  /** Who may assume it (moto does not evaluate trust policies; kept as the template writes it). */
  readonly trustedArn: string;
}

export interface Identities {
  readonly admin: SigningCredentials;
  /** The administrator of each other account given (set-up there signs as it). */
  readonly admins: Readonly<Record<string, SigningCredentials>>;
  /** A session per function of the proof's template. */
  readonly roles: Readonly<Partial<Record<FunctionName, SigningCredentials>>>;
}

/** Thrown when moto refuses a set-up call: names the call and moto's own error. */
export class IamSetupError extends Error {
  override readonly name = 'IamSetupError';
}

function xmlValue(xml: string, tag: string): string {
  const value = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
  if (value === undefined) throw new IamSetupError(`no <${tag}> in moto's answer: ${xml.slice(0, 300)}`);
  return value;
}

/** One signed Query call to IAM or STS; resolves to the XML answer, or throws naming the call. */
export async function queryCall(
  url: string,
  service: 'iam' | 'sts',
  params: Readonly<Record<string, string>>,
  credentials: SigningCredentials,
  /** Headers sent unsigned: `x-moto-account-id` for a bootstrap call in another account. */
  extra: Readonly<Record<string, string>> = {},
): Promise<string> {
  const body = queryBody({ Version: service === 'iam' ? '2010-05-08' : '2011-06-15', ...params });
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...(await signQueryPost({ url, region: REGION, service, body, credentials })), ...extra },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  if (!res.ok)
    throw new IamSetupError(`${service}:${params.Action} → HTTP ${res.status}: ${text.slice(0, 400)}`);
  return text;
}

/** An administrator (an IAM user allowed `*`) in `account`, by the unauthenticated calls. */
async function bootstrapAdmin(url: string, account?: string): Promise<SigningCredentials> {
  // Unchecked until the counter runs out; any well-formed signature will do.
  const nobody = { accessKeyId: 'AKIAIAMPROOFBOOTSTRP', secretAccessKey: 'unchecked' };
  // moto files an unauthenticated call under this header's account; the key it then hands out
  // names that account in every signed call after.
  const where = account === undefined ? {} : { 'x-moto-account-id': account };
  await queryCall(url, 'iam', { Action: 'CreateUser', UserName: ADMIN }, nobody, where);
  await queryCall(
    url,
    'iam',
    {
      Action: 'PutUserPolicy',
      UserName: ADMIN,
      PolicyName: 'everything',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      }),
    },
    nobody,
    where,
  );
  const key = await queryCall(url, 'iam', { Action: 'CreateAccessKey', UserName: ADMIN }, nobody, where);
  return { accessKeyId: xmlValue(key, 'AccessKeyId'), secretAccessKey: xmlValue(key, 'SecretAccessKey') };
}

/** Creates `roleName` with `policies`, as `admin` (whose key names the account). */
async function createRole(
  url: string,
  admin: SigningCredentials,
  roleName: string,
  trustedArn: string,
  policies: readonly MotoPolicy[],
): Promise<void> {
  await queryCall(
    url,
    'iam',
    {
      Action: 'CreateRole',
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: trustedArn }, Action: 'sts:AssumeRole' }],
      }),
    },
    admin,
  );
  for (const policy of policies) {
    await queryCall(
      url,
      'iam',
      {
        Action: 'PutRolePolicy',
        RoleName: roleName,
        // IAM policy names allow [\w+=,.@-]; the template's names are logical ids and labels.
        PolicyName: policy.name.replace(/[^\w+=,.@-]+/g, '-').slice(0, 128),
        PolicyDocument: JSON.stringify(policy.document),
      },
      admin,
    );
  }
}

/**
 * Clears moto and creates the identities: the administrator (an IAM user allowed `*`), then for
 * each function a role trusting that user (standing in for `lambda.amazonaws.com`, whom moto
 * cannot act as) with `policies[fn]`, assumed once; and for each of `others`, an administrator in
 * its account and the role there (assumed by the functions themselves, not here).
 */
export async function resetWithIdentities(
  url: string,
  policies: Readonly<Partial<Record<FunctionName, readonly MotoPolicy[]>>>,
  others: readonly AccountRole[] = [],
): Promise<Identities> {
  await resetMoto(url);
  const accounts = [...new Set(others.map((o) => o.account))];
  const opened = await fetch(`${url}/moto-api/reset-auth`, {
    method: 'POST',
    body: String(BOOTSTRAP_CALLS * (1 + accounts.length)),
  });
  if (!opened.ok) throw new IamSetupError(`moto reset-auth failed: HTTP ${opened.status}`);
  const admin = await bootstrapAdmin(url);
  const admins: Record<string, SigningCredentials> = { [ACCOUNT]: admin };
  for (const account of accounts) admins[account] = await bootstrapAdmin(url, account);
  for (const other of others) {
    await createRole(url, admins[other.account] ?? admin, other.roleName, other.trustedArn, other.policies);
  }

  const roles: Partial<Record<FunctionName, SigningCredentials>> = {};
  for (const [fn, fnPolicies] of Object.entries(policies) as [FunctionName, readonly MotoPolicy[]][]) {
    await createRole(url, admin, roleName(fn), `arn:aws:iam::${ACCOUNT}:user/${ADMIN}`, fnPolicies);
    const session = await queryCall(
      url,
      'sts',
      {
        Action: 'AssumeRole',
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName(fn)}`,
        RoleSessionName: `iam-proof-${fn}`,
      },
      admin,
    );
    roles[fn] = {
      accessKeyId: xmlValue(session, 'AccessKeyId'),
      secretAccessKey: xmlValue(session, 'SecretAccessKey'),
      sessionToken: xmlValue(session, 'SessionToken'),
    };
  }
  return { admin, admins, roles };
}
