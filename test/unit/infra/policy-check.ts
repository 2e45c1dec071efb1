// A small evaluator of the resource policies in a synthesized template: enough IAM to prove what
// moto cannot (DESIGN.md facts), namely that an AWS service may publish to a topic and use the
// topic's key, and whom a topic policy refuses. Everything the template leaves to deployment (an
// account, a generated name) is rendered to a concrete stand-in, so conditions compare strings
// as IAM would. Anything it does not model (NotPrincipal, ForAnyValue:…, an unknown operator)
// throws, so a test fails loudly instead of passing on a policy nobody evaluated.

/** The slice of a template these checks read. */
export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** What CloudFormation fills in at deployment, fixed for the evaluation. */
export interface StackEnv {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly stackName: string;
}

/** Who asks: an AWS service principal, or an IAM role's session. */
export type RequestPrincipal = { readonly service: string } | { readonly roleArn: string };

/** One request as IAM evaluates it against a resource policy. */
export interface PolicyRequest {
  readonly principal: RequestPrincipal;
  readonly action: string;
  /** The resource's ARN, rendered. */
  readonly resource: string;
  /** Condition keys present in the request (absent keys are simply not listed). */
  readonly context: Readonly<Record<string, string>>;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface Decision {
  readonly allowed: boolean;
  readonly allowedBy: readonly string[];
  readonly deniedBy: readonly string[];
}

const PSEUDO: Record<string, (env: StackEnv) => string> = {
  'AWS::AccountId': (env) => env.account,
  'AWS::Region': (env) => env.region,
  'AWS::Partition': (env) => env.partition,
  'AWS::StackName': (env) => env.stackName,
  'AWS::URLSuffix': () => 'amazonaws.com',
};

const NAME_PROPERTY: Record<string, string> = {
  'AWS::SNS::Topic': 'TopicName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::CompositeAlarm': 'AlarmName',
  'AWS::Events::Rule': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SQS::Queue': 'QueueName',
};

/**
 * Renders template values to strings: pseudo parameters from `env`, Ref and GetAtt of resources
 * in the template to the ARN or name CloudFormation would give them (a generated physical name
 * is `<stack>-<logicalId>-<suffix>`, as CloudFormation makes them), Fn::Join, Fn::Select and
 * Fn::Split evaluated. Whatever else stays a `{{…}}` placeholder that only equals itself.
 */
export class TemplateRenderer {
  readonly #json: TemplateJson;
  readonly env: StackEnv;

  constructor(json: TemplateJson, env: StackEnv) {
    this.#json = json;
    this.env = env;
  }

  resource(id: string): { Type: string; Properties?: Record<string, unknown> } | undefined {
    return this.#json.Resources[id];
  }

  resourcesOfType(type: string): [string, Record<string, unknown>][] {
    return Object.entries(this.#json.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, r.Properties ?? {}]);
  }

  render(value: unknown): string {
    const list = this.renderList(value);
    return list.length === 1 && list[0] !== undefined ? list[0] : `{{${JSON.stringify(value)}}}`;
  }

  /** A value that may be a list (Fn::Split) rendered as a list; a scalar as one element. */
  renderList(value: unknown): string[] {
    if (typeof value === 'string') return [value];
    if (Array.isArray(value)) return value.map((v) => this.render(v));
    if (value === null || typeof value !== 'object') return [`{{${JSON.stringify(value)}}}`];
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string') return [this.#ref(record.Ref)];
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && typeof getAtt[1] === 'string') {
      return [this.#getAtt(getAtt[0], getAtt[1])];
    }
    const join = record['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return [(join[1] as unknown[]).flatMap((v) => this.renderList(v)).join(join[0])];
    }
    const split = record['Fn::Split'];
    if (Array.isArray(split) && typeof split[0] === 'string') {
      return this.render(split[1]).split(split[0]);
    }
    const select = record['Fn::Select'];
    if (Array.isArray(select)) {
      const picked = this.renderList(select[1])[Number(this.render(select[0]))];
      if (picked !== undefined) return [picked];
    }
    return [`{{${JSON.stringify(value)}}}`];
  }

  physicalName(id: string): string {
    const r = this.resource(id);
    const property = r === undefined ? undefined : NAME_PROPERTY[r.Type];
    const given = property === undefined ? undefined : r?.Properties?.[property];
    return given === undefined ? `${this.env.stackName}-${id}-GENERATED0001` : this.render(given);
  }

  /** The ARN CloudFormation would give a resource of the template. */
  arnOf(id: string): string {
    const { partition: p, region: r, account: a } = this.env;
    const name = this.physicalName(id);
    switch (this.resource(id)?.Type) {
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${r}:${a}:${name}`;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        return `arn:${p}:cloudwatch:${r}:${a}:alarm:${name}`;
      case 'AWS::Events::Rule':
        return `arn:${p}:events:${r}:${a}:rule/${name}`;
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${a}:role/${name}`;
      case 'AWS::KMS::Key':
        return `arn:${p}:kms:${r}:${a}:key/${id}`;
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${r}:${a}:function:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:${p}:sqs:${r}:${a}:${name}`;
      default:
        return `{{arn:${id}}}`;
    }
  }

  #ref(name: string): string {
    const pseudo = PSEUDO[name];
    if (pseudo !== undefined) return pseudo(this.env);
    const type = this.resource(name)?.Type;
    if (type === 'AWS::SNS::Topic') return this.arnOf(name);
    if (type === 'AWS::KMS::Key') return name;
    if (type !== undefined && NAME_PROPERTY[type] !== undefined) return this.physicalName(name);
    return `{{ref:${name}}}`;
  }

  #getAtt(id: string, attribute: string): string {
    if (attribute === 'Arn' || attribute === 'TopicArn') return this.arnOf(id);
    if (attribute === 'TopicName') return this.physicalName(id);
    return `{{${id}.${attribute}}}`;
  }
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** IAM's `*` and `?` wildcards, anchored; `ignoreCase` for action names. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'si' : 's').test(value);
}

function principalMatches(statement: Statement, principal: RequestPrincipal): boolean {
  if (statement.NotPrincipal !== undefined) {
    throw new Error(`NotPrincipal is not modelled (statement ${statement.Sid ?? '?'})`);
  }
  const p = statement.Principal;
  if (p === '*') return true;
  if (p === null || typeof p !== 'object') return false;
  const record = p as Record<string, unknown>;
  const aws = asArray(record.AWS);
  if (aws.includes('*')) return true;
  if ('service' in principal) return asArray(record.Service).includes(principal.service);
  // A role session is matched by its role ARN; account-wide principals (root) only enable IAM
  // policies, which these checks do not read.
  return aws.includes(principal.roleArn);
}

function actionMatches(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined) {
    throw new Error(`NotAction is not modelled (statement ${statement.Sid ?? '?'})`);
  }
  return asArray(statement.Action).some((a) => typeof a === 'string' && wildcardMatch(a, action, true));
}

function resourceMatches(statement: Statement, resource: string, render: TemplateRenderer): boolean {
  if (statement.NotResource !== undefined) {
    throw new Error(`NotResource is not modelled (statement ${statement.Sid ?? '?'})`);
  }
  return asArray(statement.Resource).some((r) => wildcardMatch(render.render(r), resource));
}

const NEGATED = new Set(['StringNotEquals', 'StringNotLike', 'ArnNotEquals', 'ArnNotLike']);

function compare(operator: string, expected: string, actual: string): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'StringNotEquals':
    case 'ArnEquals':
    case 'ArnNotEquals':
      return expected === actual;
    case 'StringEqualsIgnoreCase':
      return expected.toLowerCase() === actual.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnLike':
    case 'ArnNotLike':
      return wildcardMatch(expected, actual);
    case 'Bool':
      return expected.toLowerCase() === actual.toLowerCase();
    default:
      throw new Error(`condition operator ${operator} is not modelled`);
  }
}

function conditionsHold(statement: Statement, request: PolicyRequest, render: TemplateRenderer): boolean {
  const context = new Map(Object.entries(request.context).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [rawOperator, keys] of Object.entries(statement.Condition ?? {})) {
    if (rawOperator.includes(':')) throw new Error(`set operator ${rawOperator} is not modelled`);
    const ifExists = rawOperator.endsWith('IfExists');
    const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const negated = NEGATED.has(operator);
    for (const [key, values] of Object.entries(keys)) {
      const actual = context.get(key.toLowerCase());
      if (actual === undefined) {
        // IAM: a missing key satisfies IfExists and negated operators, fails the others.
        if (ifExists || negated) continue;
        return false;
      }
      const anyMatch = asArray(values).some((v) => compare(operator, render.render(v), actual));
      if (negated ? anyMatch : !anyMatch) return false;
    }
  }
  return true;
}

function statementApplies(statement: Statement, request: PolicyRequest, render: TemplateRenderer): boolean {
  return (
    principalMatches(statement, request.principal) &&
    actionMatches(statement, request.action) &&
    resourceMatches(statement, request.resource, render) &&
    conditionsHold(statement, request, render)
  );
}

/** Allowed when an Allow applies and no Deny does: a resource policy on its own. */
export function evaluate(
  statements: readonly Statement[],
  request: PolicyRequest,
  render: TemplateRenderer,
): Decision {
  const applying = statements.filter((s) => statementApplies(s, request, render));
  const label = (s: Statement) => s.Sid ?? JSON.stringify(s).slice(0, 80);
  const allowedBy = applying.filter((s) => s.Effect === 'Allow').map(label);
  const deniedBy = applying.filter((s) => s.Effect === 'Deny').map(label);
  return { allowed: allowedBy.length > 0 && deniedBy.length === 0, allowedBy, deniedBy };
}

/**
 * The statements that govern a topic: those of the one AWS::SNS::TopicPolicy naming it, or, when
 * none does, SNS's default policy (the owner account's principals may publish). Two topic
 * policies on one topic replace each other in AWS, so that is reported as an error.
 */
export function topicStatements(
  render: TemplateRenderer,
  topicId: string,
): { readonly statements: Statement[]; readonly problem?: string } {
  const arn = render.arnOf(topicId);
  const policies = render
    .resourcesOfType('AWS::SNS::TopicPolicy')
    .filter(([, p]) => asArray(p.Topics).some((t) => render.render(t) === arn));
  if (policies.length > 1) {
    return {
      statements: [],
      problem: `topic ${topicId} has ${policies.length} topic policies (${policies.map(([id]) => id).join(', ')}); the last one applied wins`,
    };
  }
  const [policy] = policies;
  if (policy === undefined) {
    return {
      statements: [
        {
          Sid: 'SnsDefaultPolicy',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['SNS:Publish', 'SNS:Subscribe', 'SNS:GetTopicAttributes'],
          Resource: arn,
          Condition: { StringEquals: { 'AWS:SourceOwner': render.env.account } },
        },
      ],
    };
  }
  const document = policy[1].PolicyDocument as { Statement?: Statement[] } | undefined;
  return { statements: document?.Statement ?? [] };
}

/** The topic of the template an ARN expression points at, if any. */
export function topicIdOf(render: TemplateRenderer, target: unknown): string | undefined {
  const arn = render.render(target);
  return render.resourcesOfType('AWS::SNS::Topic').find(([id]) => render.arnOf(id) === arn)?.[0];
}

/** An AWS service publishing to something on behalf of one of the template's resources. */
export interface ServicePublish {
  /** Where it was found, for messages: `Alarm X AlarmActions[0]`. */
  readonly source: string;
  readonly kind: 'alarm-action' | 'rule-target';
  readonly service: string;
  /** The ARN of the alarm or rule the service acts for (`aws:SourceArn`). */
  readonly sourceArn: string;
  /** The action or target, as written in the template. */
  readonly target: unknown;
}

const ALARM_ACTION_PROPERTIES = ['AlarmActions', 'OKActions', 'InsufficientDataActions'] as const;

/** Every alarm action of every alarm and composite alarm, and every target of every rule. */
export function servicePublishes(render: TemplateRenderer): ServicePublish[] {
  const found: ServicePublish[] = [];
  for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
    for (const [id, properties] of render.resourcesOfType(type)) {
      for (const property of ALARM_ACTION_PROPERTIES) {
        asArray(properties[property]).forEach((target, i) => {
          found.push({
            source: `${id} ${property}[${i}]`,
            kind: 'alarm-action',
            service: 'cloudwatch.amazonaws.com',
            sourceArn: render.arnOf(id),
            target,
          });
        });
      }
    }
  }
  for (const [id, properties] of render.resourcesOfType('AWS::Events::Rule')) {
    asArray(properties.Targets).forEach((t, i) => {
      found.push({
        source: `${id} Targets[${i}]`,
        kind: 'rule-target',
        service: 'events.amazonaws.com',
        sourceArn: render.arnOf(id),
        target: (t as { Arn?: unknown }).Arn,
      });
    });
  }
  return found;
}

/** Whether a publish goes to SNS at all (an alarm action may also stop an instance, a rule invoke a function). */
export function isSnsTarget(render: TemplateRenderer, publish: ServicePublish): boolean {
  return (
    /^arn:[^:]+:sns:/.test(render.render(publish.target)) || topicIdOf(render, publish.target) !== undefined
  );
}

/**
 * Why the service could not deliver this publish, or nothing when it can: sns:Publish allowed by
 * the topic's policy with no Deny matching (the service publishes over TLS), and, on a topic
 * encrypted with a customer managed key, kms:GenerateDataKey and kms:Decrypt allowed by the key
 * policy. A service principal has no identity policy, so the resource policies alone decide.
 */
export function deliveryProblems(render: TemplateRenderer, publish: ServicePublish): string[] {
  const topicId = topicIdOf(render, publish.target);
  if (topicId === undefined) {
    return [
      `${publish.source}: publishes to ${render.render(publish.target)}, which is not a topic of this template, so its policy cannot be checked`,
    ];
  }
  const problems: string[] = [];
  const topicArn = render.arnOf(topicId);
  const { account } = render.env;
  const sourceContext = {
    'aws:SourceAccount': account,
    'aws:SourceArn': publish.sourceArn,
    'aws:SourceOwner': account,
  };
  const governing = topicStatements(render, topicId);
  if (governing.problem !== undefined) problems.push(`${publish.source}: ${governing.problem}`);
  const publishDecision = evaluate(
    governing.statements,
    {
      principal: { service: publish.service },
      action: 'sns:Publish',
      resource: topicArn,
      context: { ...sourceContext, 'aws:SecureTransport': 'true' },
    },
    render,
  );
  if (!publishDecision.allowed) {
    problems.push(
      `${publish.source}: ${publish.service} may not sns:Publish to ${topicId} (allowed by [${publishDecision.allowedBy.join(', ')}], denied by [${publishDecision.deniedBy.join(', ')}])`,
    );
  }
  const keyRef = render.resource(topicId)?.Properties?.KmsMasterKeyId;
  if (keyRef === undefined) return problems;
  const keyText = render.render(keyRef);
  const keyId = render
    .resourcesOfType('AWS::KMS::Key')
    .find(([id]) => keyText === id || keyText === render.arnOf(id))?.[0];
  if (keyId === undefined) {
    problems.push(
      `${publish.source}: topic ${topicId} is encrypted with ${keyText}, not a key of this template${keyText.includes('alias/aws/sns') ? ' (the AWS managed key, whose policy no service principal can be added to)' : ''}, so ${publish.service} cannot be shown to use it`,
    );
    return problems;
  }
  const keyPolicy = (render.resource(keyId)?.Properties?.KeyPolicy as { Statement?: Statement[] } | undefined)
    ?.Statement;
  // EventBridge's requests to KMS carry no aws:SourceArn / aws:SourceAccount (the SNS developer
  // guide says so), so a key statement conditioned on them never matches EventBridge.
  const kmsContext = {
    ...(publish.service === 'events.amazonaws.com' ? {} : sourceContext),
    'kms:EncryptionContext:aws:sns:topicArn': topicArn,
    'aws:SecureTransport': 'true',
  };
  for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
    const decision = evaluate(
      keyPolicy ?? [],
      { principal: { service: publish.service }, action, resource: render.arnOf(keyId), context: kmsContext },
      render,
    );
    if (!decision.allowed) {
      problems.push(
        `${publish.source}: ${publish.service} may not ${action} with ${keyId}, the key of ${topicId} (allowed by [${decision.allowedBy.join(', ')}], denied by [${decision.deniedBy.join(', ')}])`,
      );
    }
  }
  return problems;
}
