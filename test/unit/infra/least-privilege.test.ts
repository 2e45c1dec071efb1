// Least privilege per function, judged on the synthesized templates: each role holds what its
// function's code calls and no more, load-balancer writes exist only for a service whose mode
// writes, and only inspect may hand remediate a request.
import { beforeAll, describe, expect, it } from 'vitest';
import { WRITES_LEADING_KEYS } from '../../../lambdas/adapters/state-store/layout.ts';
import {
  evaluate,
  type Statement,
  type TemplateJson,
  TemplateRenderer,
  wildcardMatch,
} from './policy-check.ts';
import { asList, type FunctionName, functionOf, refersTo, roleIdOf, roleStatements } from './roles.ts';
import {
  API_LB_ARN,
  API_TARGET_GROUP_ARN,
  everyOptionStack,
  importedLbStack,
  SYNTH_TIMEOUT,
  stackEnv,
  twoServiceConfig,
} from './stacks.ts';
import { tableActionsUsedBy } from './store-calls.ts';
import { type Synthesized, synthesize, testConfig } from './support.ts';

/** The functions of every deployment; `approve` exists only with the endpoint on (below). */
const FUNCTIONS = ['probe', 'inspect', 'remediate'] as const;
const LB_WRITES = [
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:ModifyRule',
  'elasticloadbalancing:SetRulePriorities',
  'elasticloadbalancing:CreateRule',
];
/** Managed policies a role of these templates may carry: CDK's own providers use this one (logs only). */
const KNOWN_MANAGED_POLICIES = [/:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole"/];

function allowedActions(statements: readonly Statement[]): string[] {
  return statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asList(s.Action) as string[]);
}

/** Allow statements of any role of the template that grant one of `actions`, by role. */
function rolesGranting(json: TemplateJson, actions: readonly string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [roleId, role] of Object.entries(json.Resources).filter(
    ([, r]) => r.Type === 'AWS::IAM::Role',
  )) {
    const grants = asList(role.Properties?.ManagedPolicyArns)
      .map((arn) => JSON.stringify(arn))
      .filter((arn) => !KNOWN_MANAGED_POLICIES.some((known) => known.test(arn)))
      .map((arn) => `managed policy ${arn}`);
    for (const statement of roleStatements(json, roleId).filter((s) => s.Effect === 'Allow')) {
      if (statement.NotAction !== undefined) grants.push('a NotAction statement');
      grants.push(
        ...(asList(statement.Action) as string[]).filter((granted) =>
          actions.some((a) => wildcardMatch(granted, a, true)),
        ),
      );
    }
    if (grants.length > 0) found[roleId] = grants;
  }
  return found;
}

describe('the probe role', () => {
  let json: TemplateJson;
  let statements: Statement[];

  beforeAll(() => {
    json = synthesize(importedLbStack(testConfig())).json;
    statements = roleStatements(json, roleIdOf(json, 'probe'));
  }, SYNTH_TIMEOUT);

  it('may not publish to any topic', () => {
    expect(allowedActions(statements).filter((a) => wildcardMatch(a, 'sns:Publish', true))).toEqual([]);
  });

  it('may not use the topic key, and the key policy names no probe role', () => {
    expect(allowedActions(statements).filter((a) => /^kms:/i.test(a))).toEqual([]);
    const keys = Object.values(json.Resources).filter((r) => r.Type === 'AWS::KMS::Key');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(refersTo(key.Properties?.KeyPolicy, roleIdOf(json, 'probe'))).toBe(false);
  });

  it('may only write its evidence items to the state table: PutItem and BatchWriteItem', () => {
    const table = statements.filter((s) => asList(s.Action).some((a) => String(a).startsWith('dynamodb:')));
    expect(table.flatMap((s) => asList(s.Action)).sort()).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:PutItem',
    ]);
    for (const s of table)
      expect(asList(s.Resource)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/Table/), 'Arn'] }]);
  });
});

describe('state table grants', () => {
  let json: TemplateJson;

  beforeAll(() => {
    json = synthesize(importedLbStack(testConfig())).json;
  }, SYNTH_TIMEOUT);

  it.each(FUNCTIONS)('give %s exactly the item actions its code calls', (fn) => {
    const granted = allowedActions(roleStatements(json, roleIdOf(json, fn))).filter((a) =>
      a.startsWith('dynamodb:'),
    );
    expect(granted.sort()).toEqual(tableActionsUsedBy(fn));
  });

  it.each(FUNCTIONS)('hold %s to writing its own partitions (dynamodb:LeadingKeys)', (fn) => {
    const table = roleStatements(json, roleIdOf(json, fn)).filter((s) =>
      asList(s.Action).some((a) => String(a).startsWith('dynamodb:')),
    );
    const writes = table.filter((s) =>
      asList(s.Action).some((a) => !['dynamodb:GetItem', 'dynamodb:Query'].includes(String(a))),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const s of writes) {
      expect(s.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...WRITES_LEADING_KEYS[fn]] },
      });
    }
    // Probe, which parses the internet, may not write where snapshots, last good or incidents live.
    if (fn === 'probe') expect(WRITES_LEADING_KEYS.probe).toEqual(['EVIDENCE#*']);
    for (const prefix of WRITES_LEADING_KEYS[fn])
      expect(['SERVICE#*', 'INCIDENTS#*', 'EVIDENCE#*', 'IDEMPOTENCY#remediate']).toContain(prefix);
  });

  it('lets inspect sign and verify with the state key, remediate only verify, probe neither', () => {
    const keys = Object.entries(json.Resources).filter(
      ([, r]) => r.Type === 'AWS::KMS::Key' && r.Properties?.KeySpec === 'HMAC_256',
    );
    expect(keys.map(([, r]) => r.Properties?.KeyUsage)).toEqual(['GENERATE_VERIFY_MAC']);
    const [stateKeyId] = keys[0] ?? [];
    const kmsOf = (fn: FunctionName) =>
      roleStatements(json, roleIdOf(json, fn))
        .filter((s) => s.Effect === 'Allow' && asList(s.Action).some((a) => String(a).startsWith('kms:')))
        .filter((s) => refersTo(s.Resource, stateKeyId ?? ''))
        .flatMap((s) => asList(s.Action) as string[])
        .sort();
    expect(kmsOf('inspect')).toEqual(['kms:GenerateMac', 'kms:VerifyMac']);
    expect(kmsOf('remediate')).toEqual(['kms:VerifyMac']);
    expect(kmsOf('probe')).toEqual([]);
    // And the functions that check state are told which key: probe is not.
    const env = (fn: FunctionName) =>
      (functionOf(json, fn).Environment as { Variables: Record<string, unknown> }).Variables
        .LBGUARD_STATE_KEY;
    expect(refersTo(env('inspect'), stateKeyId ?? '')).toBe(true);
    expect(refersTo(env('remediate'), stateKeyId ?? '')).toBe(true);
    expect(env('probe')).toBeUndefined();
  });
});

describe.each([
  ['one service in dry-run', () => importedLbStack(testConfig())],
  ['one service in dry-run and one off', () => importedLbStack(twoServiceConfig(['dry-run', 'off']))],
])('with %s', (_name, build) => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthesize(build());
  }, SYNTH_TIMEOUT);

  it('passes cdk-nag with no unacknowledged finding', () => {
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('no role may write to a load balancer', () => {
    const { json } = synth;
    expect(rolesGranting(json, LB_WRITES)).toEqual({});
  });
});

describe('with one service in approve', () => {
  let synth: Synthesized;

  beforeAll(() => {
    synth = synthesize(importedLbStack(testConfig({ mode: 'approve' })));
  }, SYNTH_TIMEOUT);

  // Approve mode writes trusted steps at once and held ones once approved: the writes of auto.
  it('lets remediate alone write the routing a plan restores, passing cdk-nag', () => {
    const granting = rolesGranting(synth.json, LB_WRITES);
    expect(Object.keys(granting)).toEqual([roleIdOf(synth.json, 'remediate')]);
    expect(Object.values(granting).flat()).toEqual(
      expect.arrayContaining([
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:ModifyRule',
        'elasticloadbalancing:RegisterTargets',
      ]),
    );
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });
});

describe('with two services, shop in auto and api in dry-run, and every option', () => {
  let json: TemplateJson;
  let render: TemplateRenderer;

  beforeAll(() => {
    json = synthesize(everyOptionStack(twoServiceConfig(['auto', 'dry-run']))).json;
    render = new TemplateRenderer(json, stackEnv('Everything'));
  }, SYNTH_TIMEOUT);

  it('lets remediate alone restore routing, with every write the plan may need', () => {
    const granting = rolesGranting(json, LB_WRITES);
    expect(Object.keys(granting)).toEqual([roleIdOf(json, 'remediate')]);
    expect(Object.values(granting).flat().sort()).toEqual([...LB_WRITES].sort());
  });

  it('lets inspect and remediate alone read zonal shifts, on the guarded load balancers only', () => {
    const granting = rolesGranting(json, ['arc-zonal-shift:GetManagedResource']);
    expect(granting).toEqual({
      [roleIdOf(json, 'inspect')]: ['arc-zonal-shift:GetManagedResource'],
      [roleIdOf(json, 'remediate')]: ['arc-zonal-shift:GetManagedResource'],
    });
    for (const fn of ['inspect', 'remediate'] as const) {
      const reads = roleStatements(json, roleIdOf(json, fn)).filter((s) =>
        asList(s.Action).includes('arc-zonal-shift:GetManagedResource'),
      );
      const resources = JSON.stringify(reads.map((s) => s.Resource));
      expect(resources).toContain('"Ref":"Alb');
      expect(resources).toContain(API_LB_ARN);
      expect(resources).not.toContain('"*"');
    }
  });

  it("scopes the writes to shop's load balancer and target groups, never api's", () => {
    const writes = roleStatements(json, roleIdOf(json, 'remediate')).filter((s) =>
      asList(s.Action).some((a) => LB_WRITES.includes(String(a))),
    );
    const resources = JSON.stringify(writes.map((s) => s.Resource));
    expect(resources).toContain('"Ref":"Alb');
    expect(resources).not.toContain('app/api/');
    expect(resources).not.toContain(API_LB_ARN);
    expect(resources).not.toContain(API_TARGET_GROUP_ARN);
    expect(resources).not.toContain('"*"');
  });

  it('lets only inspect publish remediation requests, whatever an identity policy allows', () => {
    const remediationTopic = (
      functionOf(json, 'inspect').Environment as { Variables: Record<string, { Ref?: string }> }
    ).Variables.LBGUARD_REMEDIATION_TOPIC_ARN?.Ref;
    if (remediationTopic === undefined) throw new Error('inspect has no remediation topic');
    const policy = render
      .resourcesOfType('AWS::SNS::TopicPolicy')
      .find(([, p]) => asList(p.Topics).some((t) => refersTo(t, remediationTopic)));
    const statements =
      (policy?.[1].PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [];
    const publishAs = (principal: { service: string } | { roleArn: string }) =>
      evaluate(
        statements,
        {
          principal,
          action: 'sns:Publish',
          resource: render.arnOf(remediationTopic),
          context: {
            'aws:SecureTransport': 'true',
            ...('roleArn' in principal ? { 'aws:PrincipalArn': principal.roleArn } : {}),
          },
        },
        render,
      ).deniedBy;
    const roleArn = (fn: FunctionName) => render.arnOf(roleIdOf(json, fn));
    expect(publishAs({ roleArn: roleArn('inspect') })).toEqual([]);
    for (const other of [
      { roleArn: roleArn('remediate') },
      { roleArn: roleArn('probe') },
      { roleArn: 'arn:aws:iam::123456789012:role/Administrator' },
      { service: 'cloudwatch.amazonaws.com' },
    ]) {
      expect(publishAs(other), JSON.stringify(other)).toEqual(['OnlyInspectMayPublish']);
    }
  });

  it('still delivers remediation requests to remediate, which a Deny on Publish leaves alone', () => {
    const remediate = Object.entries(json.Resources).find(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' && refersTo(r.Properties?.Environment, 'lbguard-remediate'),
    )?.[0];
    const subscriptions = Object.values(json.Resources).filter(
      (r) => r.Type === 'AWS::SNS::Subscription' && r.Properties?.Protocol === 'lambda',
    );
    expect(subscriptions.map((s) => JSON.stringify(s.Properties?.Endpoint))).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [remediate, 'Arn'] }),
    ]);
  });
});

describe('with the approval endpoint on (shop in approve, api in dry-run)', () => {
  let synth: Synthesized;
  let statements: Statement[];

  beforeAll(() => {
    const base = twoServiceConfig(['approve', 'dry-run']);
    synth = synthesize(importedLbStack({ ...base, approval: { endpoint: true } }));
    statements = roleStatements(synth.json, roleIdOf(synth.json, 'approve'));
  }, SYNTH_TIMEOUT);

  it('lets the approve role do exactly what the handler does, and nothing else', () => {
    const allowed = allowedActions(statements).sort();
    expect(allowed).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'lambda:InvokeFunction',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    // The store calls the handler reaches, less the DeleteItem putIncident sends only when it
    // closes an incident, which an approval never does (infra/approval-endpoint.ts).
    expect(tableActionsUsedBy('approve')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
    expect(statements.filter((s) => s.Effect !== 'Allow')).toEqual([]);
  });

  it("holds its table access to shop's incidents partition, not api's, nor any other item", () => {
    const table = statements.filter((s) => asList(s.Action).some((a) => String(a).startsWith('dynamodb:')));
    expect(table).toHaveLength(2);
    for (const s of table) {
      expect(s.Condition).toEqual({
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['INCIDENTS#shop'] },
      });
      expect(asList(s.Resource)).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/Table/), 'Arn'] }]);
    }
  });

  it('may invoke the remediate function alone', () => {
    const invoke = statements.filter((s) => asList(s.Action).includes('lambda:InvokeFunction'));
    const remediateId = Object.entries(synth.json.Resources).find(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' && refersTo(r.Properties?.Environment, 'lbguard-remediate'),
    )?.[0];
    expect(invoke.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [remediateId, 'Arn'] }]);
  });

  it('gives no other role anything of the approve function, and passes cdk-nag', () => {
    expect(rolesGranting(synth.json, ['lambda:InvokeFunction'])).toEqual({
      [roleIdOf(synth.json, 'approve')]: ['lambda:InvokeFunction'],
    });
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });
});
