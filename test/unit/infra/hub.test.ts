// The hub's template (infra/hub/): cdk-nag and cfn-lint clean, a bus only the organisation (or the
// listed accounts) may put events on, alarms that reach their topic, the coverage alarm exactly
// as the contract writes it, and each function granted exactly what it uses.
import { beforeAll, describe, expect, it } from 'vitest';
import { COVERAGE_QUERY, HubConfigError, LbGuardHubStack } from '../../../infra/index.ts';
import type { LbGuardConfig } from '../../../lib/config/index.ts';
import { hubConfig, hubStack, LISTED_ACCOUNTS, ORG_ID } from './hub-stacks.ts';
import {
  deliveryProblems,
  evaluate,
  isSnsTarget,
  type Statement,
  servicePublishes,
  TemplateRenderer,
} from './policy-check.ts';
import { ENV, SYNTH_TIMEOUT, stackEnv } from './stacks.ts';
import { asList, runCfnLint, type Synthesized, synthesize } from './support.ts';

type Resources = Synthesized['json']['Resources'];

/** The contract's query, spelled out here so that a change to the constant fails this test. */
const CONTRACT_QUERY =
  'SELECT MAX(Uncovered) FROM SCHEMA("LbGuard/Fleet", Account, LoadBalancer, Region) GROUP BY Account, Region, LoadBalancer';

function ofType(resources: Resources, type: string): [string, Record<string, unknown>][] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

function functionNamed(resources: Resources, service: string): [string, Record<string, unknown>] {
  const found = ofType(resources, 'AWS::Lambda::Function').find(
    ([, p]) =>
      (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (found === undefined) throw new Error(`no function ${service}`);
  return found;
}

function environmentOf(resources: Resources, service: string): Record<string, unknown> {
  const [, p] = functionNamed(resources, service);
  return (p.Environment as { Variables: Record<string, unknown> }).Variables;
}

/**
 * Every statement of the function's role policies as `actions → resource [condition]`, a
 * resource of the template named by its type, so the list reads as what the function may do.
 */
function grantsOf(render: TemplateRenderer, resources: Resources, service: string): string[] {
  const [, fn] = functionNamed(resources, service);
  const roleId = ((fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'] ?? [])[0];
  const named = (value: unknown): string => {
    const ref =
      (value as { Ref?: string }).Ref ?? (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
    const type = ref === undefined ? undefined : resources[ref]?.Type;
    return type ?? render.render(value);
  };
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => asList(p.Roles as unknown[]).some((r) => (r as { Ref?: string }).Ref === roleId))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: Statement[] }).Statement)
    .map((s) => {
      expect(s.Effect).toBe('Allow');
      const actions = asList(s.Action as string | string[]).join(',');
      const where = asList(s.Resource as unknown)
        .map(named)
        .join(',');
      const condition = s.Condition === undefined ? '' : ` ${JSON.stringify(s.Condition)}`;
      return `${actions} → ${where}${condition}`;
    })
    .sort();
}

const VARIANTS = [
  ['a hub admitting the organisation', 'HubOrg', hubConfig('organization')],
  ['a hub admitting listed accounts', 'HubListed', hubConfig('accounts')],
] as const;

describe.each(VARIANTS)('%s', (_name, stackName, config) => {
  let synth: Synthesized;
  let render: TemplateRenderer;
  let resources: Resources;

  beforeAll(() => {
    synth = synthesize(hubStack(stackName, config));
    render = new TemplateRenderer(synth.json, stackEnv(stackName));
    resources = synth.json.Resources;
  }, SYNTH_TIMEOUT);

  it('passes cdk-nag with no unacknowledged finding', () => {
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('gives cfn-lint nothing to call an error', { timeout: 60_000 }, () => {
    const lint = runCfnLint(synth.templatePath);
    expect(lint.errors, lint.output).toEqual([]);
    // As on the spoke: only CDK's redundant DependsOn on the function roles.
    expect(
      lint.warnings.every((w) => w.includes(':W3005:')),
      lint.output,
    ).toBe(true);
  });

  it('names the bus from fleet.hub.busName and lets only the organisation, or the listed accounts, put events on it', () => {
    const [[busId, bus] = ['', {}]] = ofType(resources, 'AWS::Events::EventBus');
    expect(bus.Name).toBe('lbguard-hub');
    expect(ofType(resources, 'AWS::Events::EventBusPolicy')).toEqual([]);
    const statements = (bus.Policy as { Statement: Statement[] }).Statement;
    expect(statements).toHaveLength(1);
    const statement = statements[0] as Statement;
    expect(statement.Effect).toBe('Allow');
    expect(statement.Action).toBe('events:PutEvents');
    expect(busId).not.toBe('');
    const busArn = `arn:aws:events:${ENV.region}:${ENV.account}:event-bus/lbguard-hub`;
    const putEvents = (account: string, orgId?: string) =>
      evaluate(
        [statement],
        {
          principal: { roleArn: `arn:aws:iam::${account}:role/lbguard-hub-forwarder` },
          action: 'events:PutEvents',
          resource: busArn,
          context: orgId === undefined ? {} : { 'aws:PrincipalOrgID': orgId },
        },
        render,
      ).allowed;
    if (config.fleet?.hub?.organizationId !== undefined) {
      expect(statement.Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': ORG_ID } });
      expect(putEvents('444444444444', ORG_ID)).toBe(true);
      expect(putEvents('444444444444', 'o-zzzzzzzzzz')).toBe(false);
      expect(putEvents('444444444444')).toBe(false);
    } else {
      // Account principals: the account's own IAM policies decide which of its roles may put.
      expect(statement.Condition).toBeUndefined();
      const principals = asList((statement.Principal as { AWS: unknown }).AWS).map((p) => render.render(p));
      expect(principals.sort()).toEqual(LISTED_ACCOUNTS.map((a) => `arn:aws:iam::${a}:root`));
    }
  });

  it('sends every lbguard event on the hub bus to hub-ingest (retries, dead-letter queue) and to a /aws/events/ log group only that rule may write', () => {
    const rules = ofType(resources, 'AWS::Events::Rule').filter(([, p]) => p.EventBusName !== undefined);
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0] ?? ['', {}];
    expect(rule.EventPattern).toEqual({ source: ['lbguard'] });
    const [ingestId] = functionNamed(resources, 'lbguard-hub-ingest');
    const [[logId, logGroup] = ['', {}]] = ofType(resources, 'AWS::Logs::LogGroup').filter(([, p]) =>
      String(p.LogGroupName ?? '').startsWith('/aws/events/'),
    );
    expect(logGroup.LogGroupName).toBe('/aws/events/lbguard-hub/lbguard-hub');
    const targets = rule.Targets as { Arn: unknown; DeadLetterConfig?: unknown; RetryPolicy?: unknown }[];
    expect(targets.map((t) => render.render(t.Arn)).sort()).toEqual(
      [
        render.arnOf(ingestId),
        `arn:aws:logs:${ENV.region}:${ENV.account}:log-group:${render.render({ Ref: logId })}`,
      ].sort(),
    );
    for (const t of targets) {
      expect(t.DeadLetterConfig).toBeDefined();
      expect(t.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 3 });
    }
    const [[, policy] = ['', {}]] = ofType(resources, 'AWS::Logs::ResourcePolicy');
    const document = JSON.parse(render.render(policy.PolicyDocument)) as { Statement: Statement[] };
    expect(document.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': render.arnOf(ruleId) } },
      }),
    ]);
  });

  it('keeps the hub table keyed pk/sk, expiring on expiresAt, with point-in-time recovery and encryption', () => {
    const tables = ofType(resources, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const table = tables[0]?.[1] ?? {};
    expect(table.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('runs hub-coverage every minute, one run at a time', () => {
    const schedules = ofType(resources, 'AWS::Events::Rule').filter(
      ([, p]) => p.ScheduleExpression !== undefined,
    );
    expect(schedules.map(([, p]) => p.ScheduleExpression)).toEqual(['rate(1 minute)']);
    const [coverageId, coverage] = functionNamed(resources, 'lbguard-hub-coverage');
    const targets = schedules[0]?.[1].Targets as { Arn: unknown }[];
    expect(targets.map((t) => render.render(t.Arn))).toEqual([render.arnOf(coverageId)]);
    expect(coverage.ReservedConcurrentExecutions).toBe(1);
  });

  it('gives each function the environment of the contract, the fleet config included', () => {
    const ingest = environmentOf(resources, 'lbguard-hub-ingest');
    expect(Object.keys(ingest)).toContain('LBGUARD_HUB_TABLE');
    expect(ingest).not.toHaveProperty('LBGUARD_FLEET_CONFIG');
    const coverage = environmentOf(resources, 'lbguard-hub-coverage');
    expect(Object.keys(coverage)).toEqual(
      expect.arrayContaining(['LBGUARD_HUB_TABLE', 'LBGUARD_HUB_TOPIC_ARN', 'LBGUARD_FLEET_CONFIG']),
    );
    const fleetConfig = JSON.parse(render.render(coverage.LBGUARD_FLEET_CONFIG)) as unknown;
    expect(fleetConfig).toEqual({ fleet: config.fleet, profiles: config.discovery?.profiles });
    expect(render.render(coverage.LBGUARD_HUB_TABLE)).toBe(render.render(ingest.LBGUARD_HUB_TABLE));
  });

  it('alarms on the contract query, ≥ 1 in 1 of 1 one-minute periods, missing data not breaching, one series per account, region and load balancer', () => {
    expect(COVERAGE_QUERY).toBe(CONTRACT_QUERY);
    const coverage = ofType(resources, 'AWS::CloudWatch::Alarm').filter(([, p]) =>
      (p.Metrics as { Expression?: string }[] | undefined)?.some((m) => m.Expression?.startsWith('SELECT')),
    );
    expect(coverage).toHaveLength(1);
    const alarm = coverage[0]?.[1] ?? {};
    expect(alarm.Metrics).toEqual([
      {
        Expression: CONTRACT_QUERY,
        Id: expect.any(String),
        Label: 'Uncovered',
        Period: 60,
        ReturnData: true,
      },
    ]);
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    const groupBy = CONTRACT_QUERY.split(' GROUP BY ')[1]?.split(', ');
    expect(groupBy?.sort()).toEqual(['Account', 'LoadBalancer', 'Region']);
    expect(alarm.AlarmDescription).toMatch(/within 7 minutes/);
  });

  it('alarms when no coverage run completes within fleet.hub.coverageMinutes, missing data breaching', () => {
    const silent = ofType(resources, 'AWS::CloudWatch::Alarm').filter(
      ([, p]) => p.MetricName === 'CoverageChecks',
    );
    expect(silent.map(([, p]) => p)).toEqual([
      expect.objectContaining({
        Namespace: 'LbGuard/Fleet',
        Statistic: 'Sum',
        Period: 7 * 60,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      }),
    ]);
    expect(silent[0]?.[1].Dimensions).toBeUndefined();
  });

  it('alarms on either function failing and on the dead-letter queue', () => {
    const errors = ofType(resources, 'AWS::CloudWatch::Alarm').filter(([, p]) => p.MetricName === 'Errors');
    const [ingestId] = functionNamed(resources, 'lbguard-hub-ingest');
    const [coverageId] = functionNamed(resources, 'lbguard-hub-coverage');
    expect(
      errors.map(([, p]) => (p.Dimensions as { Value: { Ref: string } }[])[0]?.Value.Ref).sort(),
    ).toEqual([ingestId, coverageId].sort());
    expect(
      ofType(resources, 'AWS::CloudWatch::Alarm').filter(
        ([, p]) => p.MetricName === 'ApproximateNumberOfMessagesVisible',
      ),
    ).toHaveLength(1);
  });

  it('lets CloudWatch publish every alarm action to the hub topic and use its key', () => {
    const publishes = servicePublishes(render);
    const alarmActions = publishes.filter((p) => p.kind === 'alarm-action');
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(5);
    const silent = alarms.filter(
      ([id]) => !alarmActions.some((p) => p.source.startsWith(`${id} AlarmActions[`)),
    );
    expect(silent.map(([id]) => id)).toEqual([]);
    const toSns = publishes.filter((p) => isSnsTarget(render, p));
    expect(toSns.filter((p) => p.kind === 'alarm-action')).toHaveLength(alarmActions.length);
    expect(toSns.flatMap((p) => deliveryProblems(render, p))).toEqual([]);
    const [[, topic] = ['', {}]] = ofType(resources, 'AWS::SNS::Topic');
    expect(topic.KmsMasterKeyId).toBeDefined();
  });

  it('grants hub-ingest exactly its writes of the spoke partitions, its logs and its dead-letter queue', () => {
    expect(grantsOf(render, resources, 'lbguard-hub-ingest')).toEqual(
      [
        'logs:CreateLogStream,logs:PutLogEvents → AWS::Logs::LogGroup',
        'sqs:SendMessage → AWS::SQS::Queue',
        'dynamodb:PutItem,dynamodb:UpdateItem → AWS::DynamoDB::Table {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["LB#*","SPOKE","SERVICE#*"]}}',
      ].sort(),
    );
  });

  it('grants hub-coverage exactly its reads, its coverage writes, the topic, and the fleet reader role', () => {
    const organization = config.fleet?.organization === true;
    const assume = organization
      ? `sts:AssumeRole → arn:aws:iam::*:role/lbguard-fleet-reader {"StringEquals":{"aws:ResourceOrgID":"${ORG_ID}"}}`
      : `sts:AssumeRole → ${LISTED_ACCOUNTS.map((a) => `arn:aws:iam::${a}:role/lbguard-fleet-reader`).join(',')}`;
    expect(grantsOf(render, resources, 'lbguard-hub-coverage')).toEqual(
      [
        'logs:CreateLogStream,logs:PutLogEvents → AWS::Logs::LogGroup',
        'sqs:SendMessage → AWS::SQS::Queue',
        'dynamodb:GetItem,dynamodb:Query → AWS::DynamoDB::Table',
        // PutItem alone: the coverage result is replaced whole (the IAM proof's part 3 runs under it).
        'dynamodb:PutItem → AWS::DynamoDB::Table {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["COVERAGE"]}}',
        'sns:Publish → AWS::SNS::Topic',
        'kms:Decrypt,kms:GenerateDataKey* → AWS::KMS::Key',
        assume,
        ...(organization ? ['organizations:ListAccounts → *'] : []),
      ].sort(),
    );
    const [, coverage] = functionNamed(resources, 'lbguard-hub-coverage');
    const roleId = (coverage.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    expect(resources[roleId]?.Properties?.RoleName).toBe('lbguard-hub-coverage');
  });

  it('shows the coverage alarm, uncovered per account and region, events per detail type and the latest transitions and findings', () => {
    const [[, dashboard] = ['', {}]] = ofType(resources, 'AWS::CloudWatch::Dashboard');
    const body = render.render(dashboard.DashboardBody);
    expect(body).toContain('GROUP BY Account, Region');
    expect(body).toContain('{LbGuard/Fleet,DetailType}');
    expect(body).toContain('lbguard Incident Transition');
    expect(body).toContain('lbguard Finding');
    const [[historyId] = ['']] = ofType(resources, 'AWS::Logs::LogGroup').filter(([, p]) =>
      String(p.LogGroupName ?? '').startsWith('/aws/events/'),
    );
    // Both Logs Insights widgets read the history log group.
    expect(body.split(`SOURCE '${render.render({ Ref: historyId })}'`)).toHaveLength(3);
    const alarms = (
      JSON.parse(body) as { widgets: { type: string; properties: { alarms?: string[] } }[] }
    ).widgets.find((w) => w.properties.alarms !== undefined)?.properties.alarms;
    expect(alarms).toHaveLength(5);
  });
});

describe('a config that cannot describe a hub', () => {
  const synthFor = (config: LbGuardConfig) => () =>
    synthesize((app) => new LbGuardHubStack(app, 'NoHub', { env: ENV, config }));

  it('fails the synth naming fleet.hub when the fleet section has none', () => {
    const config = hubConfig('accounts');
    const { hub: _, ...fleet } = config.fleet ?? { roleName: '', regions: [], concurrency: 4 };
    expect(synthFor({ ...config, fleet })).toThrow(HubConfigError);
    expect(synthFor({ ...config, fleet })).toThrow(/no fleet\.hub section; add fleet\.hub: \{\}/);
  });

  it('fails the synth naming the fleet section when there is none', () => {
    const { fleet: _, ...config } = hubConfig('accounts');
    expect(synthFor(config)).toThrow(/no fleet section; add fleet: \{ roleName/);
  });
});
