import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type ConfigIssue,
  configSchema,
  DEFAULTS,
  formatConfigIssues,
  formatIssuePath,
  HTTP_METHODS,
  type LbGuardConfig,
  loadConfigOrThrow,
  type ProbeConfig,
  type ProbeStepConfig,
  parseConfig,
  type ServiceConfig,
  suggestKey,
} from '../../lib/config/index.ts';
import { loadConfigJsonOrThrow, parseConfigJson } from '../../lib/config/json.ts';
import { renderConfigJsonSchema } from '../../lib/config/schema-docs.ts';
import {
  AwsApiError,
  ConfigError,
  LbGuardError,
  LockHeldError,
  PlanRejectedError,
} from '../../lib/errors.ts';
import type { RemediationPolicy, Thresholds } from '../../lib/types.ts';

const SOURCE = 'lbguard.config.yaml';
const ALB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const LISTENER = `${ALB.replace(':loadbalancer/', ':listener/')}/f2f7dc8efc522ab2`;
const OTHER_LISTENER =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/admin/50dc6c495c0c9188/f2f7dc8efc522ab2';

type Json = Record<string, unknown>;

const baseProbe: Json = { name: 'health', url: 'https://shop.example.com/health' };
const baseService: Json = { name: 'shop', loadBalancerArn: ALB, probes: [baseProbe] };

function configWith(top: Json = {}, service: Json = {}, probe?: Json): Json {
  const probes = probe === undefined ? baseService.probes : [{ ...baseProbe, ...probe }];
  return { services: [{ ...baseService, probes, ...service }], ...top };
}
const withTop = (top: Json) => configWith(top);
const withService = (service: Json) => configWith({}, service);
const withProbe = (probe: Json) => configWith({}, {}, probe);
const withStep = (step: Json) =>
  withProbe({ url: undefined, steps: [{ name: 'home', url: 'https://shop.example.com/', ...step }] });

function parseObject(config: unknown) {
  return parseConfig(JSON.stringify(config), SOURCE);
}

function issuesOf(text: string): readonly ConfigIssue[] {
  const result = parseConfig(text, SOURCE);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.issues;
}

function configOf(text: string): LbGuardConfig {
  const result = parseConfig(text, SOURCE);
  if (!result.ok) throw new Error(formatConfigIssues(SOURCE, result.issues));
  return result.config;
}

function firstService(config: LbGuardConfig): ServiceConfig {
  const [service] = config.services;
  if (service === undefined) throw new Error('no service');
  return service;
}

// Compile-time contract: consumers iterate steps of one type, whatever form the probe was written in.
function stepsOf(probe: ProbeConfig): readonly ProbeStepConfig[] {
  return probe.steps;
}

// Compile-time contract: the parsed policy sections are the domain types lib/ consumes.
function policyOf(service: ServiceConfig): {
  readonly thresholds: Thresholds;
  readonly remediation: RemediationPolicy;
} {
  return service;
}

describe('parseConfig rejects each mistake with its path and the fix', () => {
  const cases: readonly {
    readonly what: string;
    readonly config: Json;
    readonly path: string;
    readonly says: string;
  }[] = [
    { what: 'an unknown version', config: withTop({ version: 2 }), path: 'version', says: 'must be 1' },
    {
      what: 'a malformed region',
      config: withTop({ region: 'Ireland' }),
      path: 'region',
      says: 'like eu-west-1',
    },
    {
      what: 'a load balancer outside the region',
      config: withTop({ region: 'us-east-1' }),
      path: 'services[0].loadBalancerArn',
      says: 'is in eu-west-1 but region is us-east-1',
    },
    {
      what: 'a bad table name',
      config: withTop({ tableName: 'x' }),
      path: 'tableName',
      says: 'DynamoDB table name',
    },
    {
      what: 'a probe interval below 5 s',
      config: withTop({ schedule: { probeIntervalSeconds: 4 } }),
      path: 'schedule.probeIntervalSeconds',
      says: 'must be a whole number from 5 to 60',
    },
    {
      what: 'a probe loop of a whole minute',
      config: withTop({ schedule: { probeLoopSeconds: 60 } }),
      path: 'schedule.probeLoopSeconds',
      says: 'from 5 to 59 (the probe lambda is started every minute',
    },
    {
      what: 'a probe loop shorter than the interval',
      config: withTop({ schedule: { probeLoopSeconds: 8 } }),
      path: 'schedule.probeLoopSeconds',
      says: 'must be at least probeIntervalSeconds (10)',
    },
    {
      what: 'a fractional inspect rate',
      config: withTop({ schedule: { inspectRateMinutes: 1.5 } }),
      path: 'schedule.inspectRateMinutes',
      says: 'must be a whole number, not a fraction',
    },
    {
      what: 'an inspect rate written as text',
      config: withTop({ schedule: { inspectRateMinutes: 'often' } }),
      path: 'schedule.inspectRateMinutes',
      says: 'must be a number, not a string',
    },
    {
      what: 'a metrics period that is not whole minutes',
      config: withTop({ schedule: { metricsPeriodSeconds: 90 } }),
      path: 'schedule.metricsPeriodSeconds',
      says: 'must be a multiple of 60',
    },
    {
      what: 'no services',
      config: { services: [] },
      path: 'services',
      says: 'must list at least one service',
    },
    { what: 'a missing services key', config: {}, path: 'services', says: 'is required (a list)' },
    {
      what: 'services that are not a list',
      config: { services: 'shop' },
      path: 'services',
      says: 'must be a list, not a string',
    },
    {
      what: 'a service that is not a mapping',
      config: { services: [['shop']] },
      path: 'services[0]',
      says: 'must be a mapping of keys to values, not a list',
    },
    {
      what: 'two services with one name',
      config: { services: [baseService, baseService] },
      path: 'services[1].name',
      says: 'duplicates the name shop of services[0]',
    },
    {
      what: 'an uppercase service name',
      config: withService({ name: 'Shop' }),
      path: 'services[0].name',
      says: 'lowercase letters',
    },
    {
      what: 'a service name that YAML read as true',
      config: withService({ name: true }),
      path: 'services[0].name',
      says: 'must be a string, not true or false; put it in quotes',
    },
    {
      what: 'a URL given as a mapping',
      config: withProbe({ url: { host: 'shop.example.com' } }),
      path: 'services[0].probes[0].url',
      says: 'must be a string, not a mapping',
    },
    {
      what: 'a service without a load balancer while region is set',
      config: withTop({ region: 'eu-west-1', services: [{ name: 'shop', probes: [baseProbe] }] }),
      path: 'services[0].loadBalancerArn',
      says: 'is required (a string)',
    },
    {
      what: 'a service that is text while region is set',
      config: withTop({ region: 'eu-west-1', services: ['shop'] }),
      path: 'services[0]',
      says: 'must be a mapping of keys to values, not a string',
    },
    {
      what: 'a service name that is null',
      config: withService({ name: null }),
      path: 'services[0].name',
      says: 'must be a string, not null',
    },
    {
      what: 'a Network Load Balancer',
      config: withService({ loadBalancerArn: ALB.replace('/app/', '/net/') }),
      path: 'services[0].loadBalancerArn',
      says: 'is a Network Load Balancer; only Application Load Balancers are supported',
    },
    {
      what: 'a Gateway Load Balancer',
      config: withService({ loadBalancerArn: ALB.replace('/app/', '/gwy/') }),
      path: 'services[0].loadBalancerArn',
      says: 'is a Gateway Load Balancer',
    },
    {
      what: 'a target group ARN in place of the load balancer',
      config: withService({
        loadBalancerArn:
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-a/73e2d6bc24d8a067',
      }),
      path: 'services[0].loadBalancerArn',
      says: 'is a target group ARN',
    },
    {
      what: 'a listener ARN in place of the load balancer',
      config: withService({ loadBalancerArn: LISTENER }),
      path: 'services[0].loadBalancerArn',
      says: 'put it in listenerArns',
    },
    {
      what: 'something that is no ARN at all',
      config: withService({ loadBalancerArn: 'shop-alb' }),
      path: 'services[0].loadBalancerArn',
      says: 'must be an Application Load Balancer ARN like arn:aws:elasticloadbalancing:',
    },
    {
      what: 'an empty listener list',
      config: withService({ listenerArns: [] }),
      path: 'services[0].listenerArns',
      says: 'or be left out to guard every listener',
    },
    {
      what: 'a malformed listener ARN',
      config: withService({ listenerArns: [LISTENER, 'listener-1'] }),
      path: 'services[0].listenerArns[1]',
      says: 'must be an Application Load Balancer listener ARN like',
    },
    {
      what: 'a listener of another load balancer',
      config: withService({ listenerArns: [OTHER_LISTENER] }),
      path: 'services[0].listenerArns[0]',
      says: `belongs to another load balancer; listeners of loadBalancerArn look like ${LISTENER.replace(/f2f7dc8efc522ab2$/, '')}<listener id>`,
    },
    {
      what: 'no probes',
      config: withService({ probes: [] }),
      path: 'services[0].probes',
      says: 'must have at least one probe',
    },
    {
      what: 'a served-by header that is no header name',
      config: withService({ servedByHeader: 'X Served By' }),
      path: 'services[0].servedByHeader',
      says: 'must be an HTTP header name',
    },
    {
      what: 'served-by sampling without a served-by header',
      config: withProbe({ servedBySample: {} }),
      path: 'services[0].probes[0].servedBySample',
      says: "needs the service's servedByHeader",
    },
    {
      what: 'two probes with one name',
      config: withService({ probes: [baseProbe, baseProbe] }),
      path: 'services[0].probes[1].name',
      says: 'duplicates the name health of probes[0]',
    },
    {
      what: 'a probe without a name',
      config: withProbe({ name: undefined }),
      path: 'services[0].probes[0].name',
      says: 'is required (a string)',
    },
    {
      what: 'a probe with both url and steps',
      config: withProbe({ steps: [{ name: 'home', url: 'https://shop.example.com/' }] }),
      path: 'services[0].probes[0]',
      says: 'has both url and steps',
    },
    {
      what: 'a probe with neither url nor steps',
      config: withProbe({ url: undefined }),
      path: 'services[0].probes[0]',
      says: 'needs url (a single request) or steps (a journey of requests)',
    },
    {
      what: 'a journey with request fields on the probe',
      config: withProbe({
        url: undefined,
        steps: [{ name: 'home', url: 'https://shop.example.com/' }],
        expect: {},
      }),
      path: 'services[0].probes[0].expect',
      says: 'belongs on each step when the probe has steps',
    },
    {
      what: 'an empty journey',
      config: withProbe({ url: undefined, steps: [] }),
      path: 'services[0].probes[0].steps',
      says: 'at least one step',
    },
    {
      what: 'a relative URL',
      config: withProbe({ url: 'shop.example.com/health' }),
      path: 'services[0].probes[0].url',
      says: 'must be an absolute http(s) URL like https://shop.example.com/health',
    },
    {
      what: 'an ftp URL',
      config: withProbe({ url: 'ftp://shop.example.com/health' }),
      path: 'services[0].probes[0].url',
      says: 'must be an absolute http(s) URL',
    },
    {
      what: 'a URL with credentials',
      config: withProbe({ url: 'https://probe:pw@shop.example.com/health' }),
      path: 'services[0].probes[0].url',
      says: 'send them in headers, e.g. Authorization',
    },
    {
      what: 'a lowercase method',
      config: withProbe({ method: 'get' }),
      path: 'services[0].probes[0].method',
      says: 'must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (uppercase)',
    },
    {
      what: 'a body on a GET',
      config: withProbe({ body: '{}' }),
      path: 'services[0].probes[0].body',
      says: 'is not allowed with GET; set method: POST',
    },
    {
      what: 'a body on a HEAD step',
      config: withStep({ method: 'HEAD', body: '{}' }),
      path: 'services[0].probes[0].steps[0].body',
      says: 'is not allowed with HEAD',
    },
    {
      what: 'a header name with a space',
      config: withProbe({ headers: { 'X Api Key': 'k' } }),
      path: 'services[0].probes[0].headers["X Api Key"]',
      says: 'must be an HTTP header name',
    },
    {
      what: 'a header value YAML read as a number',
      config: withProbe({ headers: { 'X-Tenant': 42 } }),
      path: 'services[0].probes[0].headers["X-Tenant"]',
      says: 'must be text, not a number; put it in quotes',
    },
    {
      what: 'a header value on two lines',
      config: withProbe({ headers: { Accept: 'text/html\nx' } }),
      path: 'services[0].probes[0].headers.Accept',
      says: 'must be a single line',
    },
    {
      what: 'headers that are not a mapping',
      config: withProbe({ headers: 'Accept: text/html' }),
      path: 'services[0].probes[0].headers',
      says: 'must be a mapping of keys to values, not a string',
    },
    {
      what: 'a bare status code',
      config: withProbe({ expect: { status: 200 } }),
      path: 'services[0].probes[0].expect.status',
      says: 'must be a list of HTTP status codes like [200]',
    },
    {
      what: 'an empty status list',
      config: withProbe({ expect: { status: [] } }),
      path: 'services[0].probes[0].expect.status',
      says: 'must list at least one status code',
    },
    {
      what: 'a status code out of range',
      config: withProbe({ expect: { status: [200, 700] } }),
      path: 'services[0].probes[0].expect.status[1]',
      says: 'must be an HTTP status code from 100 to 599',
    },
    {
      what: 'a body pattern that does not compile',
      config: withProbe({ expect: { bodyMatches: 'price: (' } }),
      path: 'services[0].probes[0].expect.bodyMatches',
      says: 'must be a valid JavaScript regular expression (Unterminated group)',
    },
    {
      what: 'a header expectation of the wrong kind',
      config: withProbe({ expect: { headers: { 'Cache-Control': 5 } } }),
      path: 'services[0].probes[0].expect.headers["Cache-Control"]',
      says: 'must be the exact value expected (a string) or { matches: <regular expression> }',
    },
    {
      what: 'a header pattern that does not compile',
      config: withProbe({ expect: { headers: { 'Content-Type': { matches: '[html' } } } }),
      path: 'services[0].probes[0].expect.headers["Content-Type"].matches',
      says: 'must be a valid JavaScript regular expression',
    },
    {
      what: 'a timeout below 100 ms',
      config: withProbe({ timeoutMs: 50 }),
      path: 'services[0].probes[0].timeoutMs',
      says: 'from 100 to 60000',
    },
    {
      what: 'a latency budget above the timeout',
      config: withProbe({ latencyBudgetMs: 6000 }),
      path: 'services[0].probes[0].latencyBudgetMs',
      says: 'must be at most timeoutMs (5000)',
    },
    {
      what: 'a served-by sample of no requests',
      config: configWith({}, { servedByHeader: 'X-Served-By' }, { servedBySample: { requests: 0 } }),
      path: 'services[0].probes[0].servedBySample.requests',
      says: 'from 1 to 1000',
    },
    {
      what: 'more concurrency than requests',
      config: configWith(
        {},
        { servedByHeader: 'X-Served-By' },
        { servedBySample: { requests: 5, concurrency: 10 } },
      ),
      path: 'services[0].probes[0].servedBySample.concurrency',
      says: 'must be at most requests (5)',
    },
    {
      what: 'two steps with one name',
      config: withProbe({
        url: undefined,
        steps: [
          { name: 'home', url: 'https://shop.example.com/' },
          { name: 'home', url: 'https://shop.example.com/cart' },
        ],
      }),
      path: 'services[0].probes[0].steps[1].name',
      says: 'duplicates the name home of steps[0]',
    },
    {
      what: 'an X-of-Y failure rule asking for more failures than the window holds',
      config: withService({ thresholds: { hysteresis: { failuresInWindow: 12, windowSize: 10 } } }),
      path: 'services[0].thresholds.hysteresis.failuresInWindow',
      says: 'must be at most windowSize',
    },
    {
      what: 'a flapping cap below 2',
      config: withService({ thresholds: { hysteresis: { maxChangesPerHour: 1 } } }),
      path: 'services[0].thresholds.hysteresis.maxChangesPerHour',
      says: 'from 2 to 60',
    },
    {
      what: 'too few samples for the skew test',
      config: withService({ thresholds: { skew: { minSamples: 5 } } }),
      path: 'services[0].thresholds.skew.minSamples',
      says: 'from 10 to 1000000',
    },
    {
      what: 'a zero false-positive rate',
      config: withService({ thresholds: { skew: { falsePositiveRate: 0 } } }),
      path: 'services[0].thresholds.skew.falsePositiveRate',
      says: 'must be greater than 0 and at most 0.05',
    },
    {
      what: 'a loose false-positive rate',
      config: withService({ thresholds: { skew: { falsePositiveRate: 0.5 } } }),
      path: 'services[0].thresholds.skew.falsePositiveRate',
      says: 'like 0.0001',
    },
    {
      what: 'an effect size above 1',
      config: withService({ thresholds: { skew: { minEffectSize: 1.5 } } }),
      path: 'services[0].thresholds.skew.minEffectSize',
      says: 'at most 1 (a total variation distance)',
    },
    {
      what: 'a negative effect size',
      config: withService({ thresholds: { skew: { minEffectSize: -0.1 } } }),
      path: 'services[0].thresholds.skew.minEffectSize',
      says: 'must be greater than 0',
    },
    {
      what: 'an error rate written as a percentage',
      config: withService({ thresholds: { errorRate: 5 } }),
      path: 'services[0].thresholds.errorRate',
      says: 'like 0.05 for 5%',
    },
    {
      what: 'a zero error rate',
      config: withService({ thresholds: { errorRate: 0 } }),
      path: 'services[0].thresholds.errorRate',
      says: 'greater than 0',
    },
    {
      what: 'thresholds that are not a mapping',
      config: withService({ thresholds: 5 }),
      path: 'services[0].thresholds',
      says: 'must be a mapping of keys to values, not a number',
    },
    {
      what: 'zero consecutive breaches',
      config: withService({ thresholds: { consecutiveBreaches: 0 } }),
      path: 'services[0].thresholds.consecutiveBreaches',
      says: 'from 1 to 60',
    },
    {
      what: 'a soak too short to mean anything',
      config: withService({ thresholds: { soakSeconds: 10 } }),
      path: 'services[0].thresholds.soakSeconds',
      says: 'from 60 to 86400',
    },
    {
      what: 'an unknown remediation mode',
      config: withService({ remediation: { mode: 'on' } }),
      path: 'services[0].remediation.mode',
      says: 'must be off, dry-run, approve or auto',
    },
    {
      what: 'an approval reminder after the approval expires',
      config: withService({ remediation: { mode: 'approve', approval: { remindAfterMinutes: 90 } } }),
      path: 'services[0].remediation.approval.remindAfterMinutes',
      says: 'must be less than expiresAfterMinutes (60): remind, then escalate, before the approval expires; lower it or raise expiresAfterMinutes',
    },
    {
      what: 'an approval escalation after the approval expires',
      config: withService({
        remediation: {
          approval: { expiresAfterMinutes: 20, remindAfterMinutes: 10, escalateAfterMinutes: 30 },
        },
      }),
      path: 'services[0].remediation.approval.escalateAfterMinutes',
      says: 'must be at most expiresAfterMinutes (20)',
    },
    {
      what: 'an approval escalation before the reminder',
      config: withService({
        remediation: { approval: { remindAfterMinutes: 20, escalateAfterMinutes: 10 } },
      }),
      path: 'services[0].remediation.approval.remindAfterMinutes',
      says: 'must be less than escalateAfterMinutes (10)',
    },
    {
      what: 'a misspelt approval field',
      config: withService({ remediation: { approval: { expiresAfterMinute: 30 } } }),
      path: 'services[0].remediation.approval.expiresAfterMinute',
      says: 'did you mean expiresAfterMinutes?',
    },
    {
      what: 'an unknown trusted step kind',
      config: withService({ remediation: { approval: { trustedSteps: ['DeregisterTargets'] } } }),
      path: 'services[0].remediation.approval.trustedSteps[0]',
      says: 'expected one of "RegisterTargets"',
    },
    {
      what: 'a cooldown under a minute',
      config: withService({ remediation: { cooldownSeconds: 5 } }),
      path: 'services[0].remediation.cooldownSeconds',
      says: 'from 60 to 86400',
    },
    {
      what: 'no remediations per hour',
      config: withService({ remediation: { maxPerHour: 0 } }),
      path: 'services[0].remediation.maxPerHour',
      says: 'from 1 to 20',
    },
    {
      what: 'an oversized plan cap',
      config: withService({ remediation: { maxSteps: 51 } }),
      path: 'services[0].remediation.maxSteps',
      says: 'from 1 to 50',
    },
    {
      what: 'a yes/no written as text',
      config: withService({ remediation: { allowCreateRule: 'yes' } }),
      path: 'services[0].remediation.allowCreateRule',
      says: 'must be true or false, not a string',
    },
    {
      what: 'a verify deadline too short for a health check',
      config: withService({ remediation: { verifyDeadlineSeconds: 10 } }),
      path: 'services[0].remediation.verifyDeadlineSeconds',
      says: 'from 30 to 3600',
    },
    {
      what: 'an email address without a domain',
      config: withService({ notifications: { emails: ['oncall'] } }),
      path: 'services[0].notifications.emails[0]',
      says: 'must be an email address like oncall@example.com',
    },
    {
      what: 'a plain http notification endpoint',
      config: withService({ notifications: { httpsEndpoints: ['http://hooks.example.com/x'] } }),
      path: 'services[0].notifications.httpsEndpoints[0]',
      says: 'must use https, not http: change http:// to https://',
    },
    {
      what: 'a notification endpoint that is no URL',
      config: withService({ notifications: { httpsEndpoints: ['hooks.example.com'] } }),
      path: 'services[0].notifications.httpsEndpoints[0]',
      says: 'must be an absolute https URL like https://hooks.example.com/lbguard',
    },
    {
      what: 'a misspelt top-level key',
      config: { ...withTop({}), servics: [] },
      path: 'servics',
      says: 'unknown key; did you mean services?',
    },
    {
      what: 'a misspelt nested key',
      config: withService({ thresholds: { skew: { minSample: 30 } } }),
      path: 'services[0].thresholds.skew.minSample',
      says: 'unknown key; did you mean minSamples?',
    },
    {
      what: 'a key with no near match',
      config: withService({ owner: 'team-a' }),
      path: 'services[0].owner',
      says: 'unknown key; expected one of: name, loadBalancerArn, listenerArns, probes',
    },
    {
      what: 'a file that is a list',
      config: [baseService] as unknown as Json,
      path: '(top level)',
      says: 'must be a mapping of keys to values, not a list',
    },
  ];

  it.each(cases)('reports $what at $path', ({ config, path, says }) => {
    const result = parseObject(config);
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues).toContainEqual({ path, message: expect.stringContaining(says) });
  });

  it('reports a value YAML read as NaN as NaN, not as a fraction', () => {
    const text = stringify(withService({ thresholds: { errorRate: 0 } })).replace(
      'errorRate: 0',
      'errorRate: .nan',
    );
    expect(issuesOf(text)).toContainEqual({
      path: 'services[0].thresholds.errorRate',
      message: 'must be a number, not NaN',
    });
  });
});

describe('parseConfig reports problems all together', () => {
  it('lists every problem at once, across sections', () => {
    const config = {
      version: 2,
      schedule: { probeIntervalSeconds: 1 },
      services: [
        {
          ...baseService,
          name: 'Shop',
          loadBalancerArn: ALB.replace('/app/', '/net/'),
          probes: [{ name: 'health', url: 'nope', timeoutMs: 10 }],
          thresholds: { errorRate: 2, skew: { minSample: 1 } },
          remediation: { mode: 'always' },
          notifications: { httpsEndpoints: ['http://hooks.example.com/x'] },
        },
      ],
    };
    const paths = issuesOf(JSON.stringify(config)).map((issue) => issue.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'version',
        'schedule.probeIntervalSeconds',
        'services[0].name',
        'services[0].loadBalancerArn',
        'services[0].probes[0].url',
        'services[0].probes[0].timeoutMs',
        'services[0].thresholds.errorRate',
        'services[0].thresholds.skew.minSample',
        'services[0].remediation.mode',
        'services[0].notifications.httpsEndpoints[0]',
      ]),
    );
  });

  it('still checks cross-field rules when other fields of the same object are broken', () => {
    const issues = issuesOf(
      JSON.stringify(
        withService({
          name: 'Bad Name',
          probes: [
            { name: 'a', url: 'https://shop.example.com/', latencyBudgetMs: 9000, method: 'get' },
            { name: 'a', url: 'https://shop.example.com/' },
          ],
        }),
      ),
    );
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([
        'services[0].name',
        'services[0].probes[0].method',
        'services[0].probes[0].latencyBudgetMs',
        'services[0].probes[1].name',
      ]),
    );
  });

  it('lists each unknown key of one object on its own line', () => {
    const issues = issuesOf(JSON.stringify(withProbe({ timeout: 1, latencyBudget: 2 })));
    expect(issues).toContainEqual({
      path: 'services[0].probes[0].timeout',
      message: 'unknown key; did you mean timeoutMs?',
    });
    expect(issues).toContainEqual({
      path: 'services[0].probes[0].latencyBudget',
      message: 'unknown key; did you mean latencyBudgetMs?',
    });
  });

  it('formats one line per issue, prefixed by the source', () => {
    const issues = issuesOf(JSON.stringify(withProbe({ url: 'ftp://x' })));
    expect(formatConfigIssues(SOURCE, issues)).toBe(
      'lbguard.config.yaml: services[0].probes[0].url: must be an absolute http(s) URL like https://shop.example.com/health',
    );
  });
});

describe('parseConfig never echoes a secret', () => {
  const secret = 'tok_Sup3rS3cret_9f8e7d';

  it('keeps tokens in headers, bodies, URLs and endpoints out of every message', () => {
    const config = configWith(
      {},
      {
        notifications: {
          httpsEndpoints: [`http://hooks.example.com/${secret}`, secret],
          emails: [secret],
        },
      },
      {
        url: `https://probe:${secret}@shop.example.com/`,
        headers: { Authorization: `Bearer ${secret}\n`, 'X-Api-Key': secret, [`X ${secret}`]: 'v' },
        body: secret,
        expect: { bodyMatches: `(${secret}`, headers: { 'X-Token': { matches: `[${secret}` } } },
      },
    );
    const issues = issuesOf(JSON.stringify(config));
    expect(issues.length).toBeGreaterThanOrEqual(7);
    const messages = issues.map((issue) => issue.message).join('\n');
    expect(messages).not.toContain(secret);
  });

  it('keeps the source line out of YAML syntax errors', () => {
    const issues = issuesOf(
      `services:\n  - name: shop\n    headers:\n      Authorization: "Bearer ${secret}\n`,
    );
    expect(formatConfigIssues(SOURCE, issues)).not.toContain(secret);
  });

  it('holds for any token placed in a secret-bearing field', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_]{12,40}$/), (token) => {
        const config = configWith(
          {},
          { notifications: { httpsEndpoints: [`http://hooks.example.com/${token}`] } },
          {
            headers: { 'X-Api-Key': `${token}\r\n` },
            body: token,
            url: `https://u:${token}@shop.example.com/`,
          },
        );
        const issues = issuesOf(JSON.stringify(config));
        return issues.every((issue) => !issue.message.includes(token));
      }),
    );
  });
});

describe('parseConfig reads YAML and JSON', () => {
  it('reports a YAML syntax error with its line and column', () => {
    expect(issuesOf('services:\n  - name: shop\n    name: shop\n')).toEqual([
      { path: 'line 3, column 5', message: 'Map keys must be unique (YAML syntax)' },
    ]);
  });

  it('reports an alias to no anchor', () => {
    expect(issuesOf('services: *missing\n')).toEqual([
      { path: '(top level)', message: expect.stringContaining('Unresolved alias') },
    ]);
  });

  it('reports an empty file and says where to start', () => {
    expect(issuesOf('# nothing yet\n')).toEqual([
      { path: '(top level)', message: `${SOURCE} is empty; start from lbguard.config.example.yaml` },
    ]);
  });

  it('accepts JSON, tab-indented and with a $schema key', () => {
    const text = JSON.stringify(
      { $schema: './schema/lbguard.config.schema.json', ...configWith() },
      null,
      '\t',
    );
    expect(firstService(configOf(text)).name).toBe('shop');
  });

  it('accepts YAML anchors and merge keys for shared probe settings', () => {
    const text = [
      'services:',
      '  - name: shop',
      `    loadBalancerArn: ${ALB}`,
      '    probes:',
      '      - &base',
      '        name: home',
      '        url: https://shop.example.com/',
      '        headers: { X-Probe: lbguard }',
      '      - <<: *base',
      '        name: cart',
      '        url: https://shop.example.com/cart',
    ].join('\n');
    const probes = firstService(configOf(text)).probes;
    expect(probes.map((probe) => probe.steps[0]?.headers)).toEqual([
      { 'X-Probe': 'lbguard' },
      { 'X-Probe': 'lbguard' },
    ]);
  });
});

describe('parseConfig applies defaults', () => {
  const config = configOf(JSON.stringify(configWith()));
  const service = firstService(config);

  it('fills every omitted section from DEFAULTS', () => {
    expect(config.version).toBe(DEFAULTS.version);
    expect(config.schedule).toEqual(DEFAULTS.schedule);
    expect(service.thresholds).toEqual(DEFAULTS.thresholds);
    expect(service.remediation).toEqual(DEFAULTS.remediation);
    expect(service.notifications).toEqual(DEFAULTS.notifications);
    expect(service.listenerArns).toBeUndefined();
  });

  it('turns a single-request probe into a one-step journey named after the probe', () => {
    expect(service.probes).toEqual([
      {
        name: 'health',
        steps: [
          {
            name: 'health',
            url: 'https://shop.example.com/health',
            method: DEFAULTS.probe.method,
            headers: {},
            expect: { status: DEFAULTS.probe.expect.status, headers: {} },
          },
        ],
        timeoutMs: DEFAULTS.probe.timeoutMs,
        latencyBudgetMs: DEFAULTS.probe.latencyBudgetMs,
      },
    ]);
  });

  it('carries a single request body, method and expectations into its step', () => {
    const probe = firstService(
      configOf(
        JSON.stringify(
          configWith(
            {},
            { servedByHeader: 'X-Served-By' },
            {
              method: 'POST',
              body: '{}',
              expect: { status: [201] },
              servedBySample: { requests: 20 },
            },
          ),
        ),
      ),
    ).probes[0];
    expect(probe && stepsOf(probe)).toEqual([
      expect.objectContaining({ method: 'POST', body: '{}', expect: { status: [201], headers: {} } }),
    ]);
    expect(probe?.servedBySample).toEqual({
      requests: 20,
      concurrency: DEFAULTS.probe.servedBySample.concurrency,
    });
  });

  it('gives each parse its own default lists, so one consumer cannot change another', () => {
    const again = firstService(configOf(JSON.stringify(configWith())));
    expect(again.notifications.emails).not.toBe(service.notifications.emails);
    expect(again.probes[0]?.steps[0]?.expect.status).not.toBe(service.probes[0]?.steps[0]?.expect.status);
  });

  it('yields thresholds and remediation that are the domain policy types', () => {
    const policy = policyOf(service);
    expect(policy.thresholds.skew.minSamples).toBe(DEFAULTS.thresholds.skew.minSamples);
    expect(policy.remediation.mode).toBe('dry-run');
  });
});

describe('loadConfigOrThrow', () => {
  it('returns the config of a valid file', () => {
    expect(loadConfigOrThrow(JSON.stringify(configWith()), SOURCE).services).toHaveLength(1);
  });

  it('throws a ConfigError carrying every issue, its message the formatted list', () => {
    const text = JSON.stringify(withTop({ version: 3, region: 'nowhere' }));
    let caught: unknown;
    try {
      loadConfigOrThrow(text, SOURCE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.name).toBe('ConfigError');
    expect(error.source).toBe(SOURCE);
    expect(error.issues.map((issue) => issue.path)).toEqual(['version', 'region']);
    expect(error.message).toBe(formatConfigIssues(SOURCE, error.issues));
  });
});

describe('the shipped example and generated schema', () => {
  const example = readFileSync('lbguard.config.example.yaml', 'utf8');

  it('parses the example, which points editors at the JSON Schema', () => {
    expect(example.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./schema/lbguard.config.schema.json',
    );
    const service = firstService(configOf(example));
    const journey = service.probes.find((probe) => probe.steps.length > 1);
    expect(journey?.steps.map((step) => step.name)).toEqual(['home', 'product', 'cart', 'checkout']);
    expect(service.servedByHeader).toBeDefined();
    expect(service.notifications.emails.length + service.notifications.httpsEndpoints.length).toBeGreaterThan(
      0,
    );
  });

  it('commits the JSON Schema exactly as scripts/gen-json-schema.ts generates it', () => {
    expect(readFileSync('schema/lbguard.config.schema.json', 'utf8')).toBe(renderConfigJsonSchema());
  });

  it('generates a JSON Schema in input mode, where defaulted fields are optional', () => {
    const schema = JSON.parse(renderConfigJsonSchema());
    expect(schema.required).toEqual(['services']);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('docs/configuration.md', () => {
  const rows = readFileSync('docs/configuration.md', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').map((cell) => cell.trim()));

  function leaves(value: unknown, path: readonly string[] = []): [string, unknown][] {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
    }
    return [[path.join('.'), value]];
  }
  const shown = (value: unknown) => `\`${Array.isArray(value) ? JSON.stringify(value) : String(value)}\``;

  it.each(leaves(DEFAULTS))('documents the default of %s', (path, value) => {
    const key = path.split('.').pop() ?? path;
    const row = rows.find((cells) => cells[1]?.includes(key) && cells[2] === shown(value));
    expect(row, `a table row for ${key} with default ${shown(value)}`).toBeDefined();
  });
});

describe('suggestKey', () => {
  it.each([
    ['minSample', 'minSamples'],
    ['LoadBalancerARN', 'loadBalancerArn'],
    ['timeout', 'timeoutMs'],
    ['interval', 'probeIntervalSeconds'],
    ['zzz', undefined],
    ['time', 'times'],
    ['a', undefined],
  ])('suggests for %s: %s', (key, suggestion) => {
    const known = ['minSamples', 'loadBalancerArn', 'timeoutMs', 'probeIntervalSeconds', 'name', 'times'];
    expect(suggestKey(key, known)).toBe(suggestion);
  });
});

describe('formatIssuePath', () => {
  it.each([
    [[], '(top level)'],
    [['services', 0, 'probes', 1, 'url'], 'services[0].probes[1].url'],
    [['headers', 'X-Api-Key'], 'headers["X-Api-Key"]'],
    [['X Y', 'z'], '["X Y"].z'],
  ] as const)('formats %j as %s', (path, text) => {
    expect(formatIssuePath(path)).toBe(text);
  });
});

describe('properties', () => {
  const name = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,39}$/);
  const url = fc
    .tuple(
      fc.constantFrom('http', 'https'),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
      fc.stringMatching(/^(\/[a-z0-9-]{0,10}){0,3}$/),
    )
    .map(([scheme, host, path]) => `${scheme}://${host}.example.com${path}`);
  const expectation = fc.record(
    {
      status: fc.array(fc.integer({ min: 100, max: 599 }), { minLength: 1, maxLength: 4 }),
      bodyContains: fc.string(),
      headers: fc.dictionary(
        fc.constantFrom('Content-Type', 'Cache-Control', 'X-Served-By'),
        fc.string({ maxLength: 10 }),
      ),
    },
    { requiredKeys: [] },
  );
  // GET and HEAD cannot carry a body; the other methods may.
  const methodAndBody = fc.oneof(
    fc.record({ method: fc.constantFrom('GET', 'HEAD') }, { requiredKeys: [] }),
    fc.record(
      {
        method: fc.constantFrom(...HTTP_METHODS.filter((m) => m !== 'GET' && m !== 'HEAD')),
        body: fc.string(),
      },
      { requiredKeys: ['method'] },
    ),
  );
  const request = fc
    .tuple(
      fc.record(
        {
          url,
          headers: fc.dictionary(
            fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/),
            fc.stringMatching(/^[ -~]{0,30}$/),
          ),
          expect: expectation,
        },
        { requiredKeys: ['url'] },
      ),
      methodAndBody,
    )
    .map(([fields, method]) => ({ ...fields, ...method }));
  const timing = fc.integer({ min: 100, max: 60_000 }).chain((timeoutMs) =>
    fc.record({
      timeoutMs: fc.constant(timeoutMs),
      latencyBudgetMs: fc.integer({ min: 1, max: timeoutMs }),
    }),
  );
  const probe = fc.oneof(
    fc.tuple(request, timing).map(([req, time]) => ({ ...req, ...time })),
    fc
      .uniqueArray(name, { minLength: 1, maxLength: 4 })
      .chain((names) =>
        fc.tuple(...names.map((stepName) => request.map((req) => ({ name: stepName, ...req })))),
      )
      .map((steps) => ({ steps })),
  );
  const service = (serviceName: string) =>
    fc.record(
      {
        name: fc.constant(serviceName),
        loadBalancerArn: fc.constant(ALB),
        listenerArns: fc.constant([LISTENER]),
        probes: fc
          .uniqueArray(name, { minLength: 1, maxLength: 3 })
          .chain((names) =>
            fc.tuple(...names.map((probeName) => probe.map((p) => ({ name: probeName, ...p })))),
          ),
        thresholds: fc.record(
          {
            skew: fc.record(
              {
                minSamples: fc.integer({ min: 10, max: 1_000_000 }),
                falsePositiveRate: fc.double({ min: 1e-9, max: 0.05, noNaN: true }),
                minEffectSize: fc.double({ min: 0.001, max: 1, noNaN: true }),
              },
              { requiredKeys: [] },
            ),
            errorRate: fc.double({ min: 0.001, max: 1, noNaN: true }),
            consecutiveBreaches: fc.integer({ min: 1, max: 60 }),
            soakSeconds: fc.integer({ min: 60, max: 86_400 }),
          },
          { requiredKeys: [] },
        ),
        remediation: fc.record(
          {
            mode: fc.constantFrom('off', 'dry-run', 'auto'),
            maxSteps: fc.integer({ min: 1, max: 50 }),
            allowCreateRule: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        notifications: fc.record(
          {
            emails: fc.array(fc.constantFrom('oncall@example.com', 'sre@example.org')),
            httpsEndpoints: fc.array(url.map((u) => u.replace(/^http:/, 'https:'))),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['name', 'loadBalancerArn', 'probes'] },
    );
  const config = fc
    .uniqueArray(name, { minLength: 1, maxLength: 3 })
    .chain((names) => fc.tuple(...names.map(service)))
    .chain((services) =>
      fc.record(
        {
          region: fc.constant('eu-west-1'),
          schedule: fc.integer({ min: 5, max: 59 }).chain((interval) =>
            fc.record({
              probeIntervalSeconds: fc.constant(interval),
              probeLoopSeconds: fc.integer({ min: interval, max: 59 }),
              metricsPeriodSeconds: fc.integer({ min: 1, max: 60 }).map((minutes) => minutes * 60),
            }),
          ),
          services: fc.constant(services),
        },
        { requiredKeys: ['services'] },
      ),
    );

  it('accepts every config built from valid parts, in YAML or JSON, and normalises probes into steps', () => {
    fc.assert(
      fc.property(config, fc.boolean(), (input, asYaml) => {
        const result = parseConfig(asYaml ? stringify(input) : JSON.stringify(input), SOURCE);
        if (!result.ok) throw new Error(formatConfigIssues(SOURCE, result.issues));
        return result.config.services.every((s) => s.probes.every((p) => p.steps.length >= 1));
      }),
      { numRuns: 150 },
    );
  });

  it('parses deterministically and agrees with the zod schema used directly', () => {
    fc.assert(
      fc.property(config, (input) => {
        const text = JSON.stringify(input);
        const first = parseConfig(text, SOURCE);
        expect(parseConfig(text, SOURCE)).toEqual(first);
        expect(first).toEqual({ ok: true, config: configSchema.parse(input) });
      }),
      { numRuns: 50 },
    );
  });

  it('rejects deterministically whatever junk it is given, and never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((value) => JSON.stringify(value)),
        ),
        (text) => {
          const first = parseConfig(text, SOURCE);
          expect(parseConfig(text, SOURCE)).toEqual(first);
          expect(first.ok).toBe(false);
        },
      ),
    );
  });

  // The JSON entry the functions use must answer as parseConfig does for any JSON text, so that
  // a config the CLI and CDK accept is accepted at cold start, with the same messages otherwise.
  const knownKey = fc.constantFrom(
    'name',
    'loadBalancerArn',
    'listenerArns',
    'probes',
    'thresholds',
    'remediation',
    'notifications',
    'servedByHeader',
    'bogus',
  );
  const nearlyValid = fc
    .tuple(config, knownKey, fc.jsonValue({ maxDepth: 3 }), fc.boolean())
    .map(([input, key, value, atTop]) => {
      const [first, ...rest] = input.services;
      return atTop
        ? { ...input, [key]: value }
        : { ...input, services: [{ ...first, [key]: value }, ...rest] };
    });

  it("parseConfigJson gives parseConfig's answer for any JSON text, valid or not", () => {
    fc.assert(
      fc.property(
        fc.oneof(config, nearlyValid, fc.jsonValue()).map((value) => JSON.stringify(value)),
        (text) => {
          expect(parseConfigJson(text, SOURCE)).toEqual(parseConfig(text, SOURCE));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('errors', () => {
  const cause = new Error('boom');

  it.each([
    [new LbGuardError('x', { cause }), 'LbGuardError', 'x'],
    [
      new ConfigError(SOURCE, [{ path: 'version', message: 'must be 1' }]),
      'ConfigError',
      `${SOURCE}: version: must be 1`,
    ],
    [new AwsApiError('ModifyListener', { cause }), 'AwsApiError', 'AWS ModifyListener failed: Error: boom'],
    [
      new AwsApiError('DescribeRules', { cause: 'socket hang up' }),
      'AwsApiError',
      'AWS DescribeRules failed',
    ],
    [
      new LockHeldError('shop#remediation'),
      'LockHeldError',
      'lock shop#remediation is held by another invocation',
    ],
    [
      new PlanRejectedError('7 steps exceed maxSteps 5', { cause }),
      'PlanRejectedError',
      'plan rejected: 7 steps exceed maxSteps 5',
    ],
  ])('%s is named, is an LbGuardError and says what happened', (error, name, message) => {
    expect(error).toBeInstanceOf(LbGuardError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.message).toBe(message);
  });

  it('keeps the cause and the structured fields', () => {
    const aws = new AwsApiError('ModifyListener', { cause });
    expect(aws.cause).toBe(cause);
    expect(aws.operation).toBe('ModifyListener');
    expect(new LockHeldError('shop').lock).toBe('shop');
    expect(new PlanRejectedError('too big').reason).toBe('too big');
  });
});

describe('parseConfigJson', () => {
  const secret = 'tok_Sup3rS3cret_9f8e7d';

  it('returns the config parseConfig returns', () => {
    const text = JSON.stringify(configWith());
    expect(parseConfigJson(text, SOURCE)).toEqual(parseConfig(text, SOURCE));
    expect(loadConfigJsonOrThrow(text, SOURCE)).toEqual(loadConfigOrThrow(text, SOURCE));
  });

  it.each([
    ['a service that is not a mapping', { services: ['shop'] }],
    ['probes that are not a list', withService({ probes: 'health' })],
    ['headers that are not a mapping', withProbe({ headers: 'X-Probe: 1' })],
    ['a header name with a space', withProbe({ headers: { 'X Probe': '1' } })],
    ['a timeout that is a fraction', withProbe({ timeoutMs: 1.5 })],
    ['a name that is a number', withService({ name: 7 })],
    ['a flag that is not true or false', withService({ remediation: { allowCreateRule: 'yes' } })],
  ])('rejects %s with the issues parseConfig gives', (_, config) => {
    const text = JSON.stringify(config);
    const result = parseConfigJson(text, SOURCE);
    expect(result.ok).toBe(false);
    expect(result).toEqual(parseConfig(text, SOURCE));
  });

  it.each([
    ['an empty string', ''],
    ['blank lines', ' \n\t\r\n'],
    ['null', 'null'],
  ])('reports %s as an empty config, as parseConfig does', (_, text) => {
    const expected = [
      { path: '(top level)', message: `${SOURCE} is empty; start from lbguard.config.example.yaml` },
    ];
    expect(parseConfigJson(text, SOURCE)).toEqual({ ok: false, issues: expected });
  });

  it.each([
    ['a trailing comma', '{"services": [],}', 'line 1, column 17'],
    ['a bad key on a later line', '{\n  "services": [],\n  x: 1\n}', 'line 3, column 3'],
  ])('reports %s where JSON.parse stopped, when it says where', (_, text, path) => {
    expect(parseConfigJson(text, SOURCE)).toEqual({
      ok: false,
      issues: [{ path, message: 'is not valid JSON (JSON syntax)' }],
    });
  });

  it.each([
    ['a missing value', '{"services": }'],
    ['text that ends early', '{"services": ['],
  ])('reports %s at the top level when JSON.parse does not say where', (_, text) => {
    expect(parseConfigJson(text, SOURCE)).toEqual({
      ok: false,
      issues: [{ path: '(top level)', message: 'is not valid JSON (JSON syntax)' }],
    });
  });

  it('keeps the text out of syntax errors, which may hold a token', () => {
    const text = `{"services": [{"headers": {"Authorization": "Bearer ${secret}" x}}]}`;
    expect(formatConfigIssues(SOURCE, issuesOfJson(text))).not.toContain(secret);
  });

  it('never throws and never echoes a token, whatever text it is given', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^[A-Za-z0-9_]{12,40}$/), (junk, token) => {
        const text = `${junk}"${token}"${junk}`;
        return issuesOfJson(text).every((issue) => !issue.message.includes(token));
      }),
    );
  });

  it('throws a ConfigError naming the source and every path', () => {
    const text = JSON.stringify({ services: [{ name: 'Shop!' }] });
    expect(() => loadConfigJsonOrThrow(text, 'LBGUARD_CONFIG')).toThrow(ConfigError);
    expect(() => loadConfigJsonOrThrow(text, 'LBGUARD_CONFIG')).toThrow(
      /^LBGUARD_CONFIG: services\[0\]\.name/,
    );
  });

  function issuesOfJson(text: string): readonly ConfigIssue[] {
    const result = parseConfigJson(text, SOURCE);
    if (result.ok) throw new Error('expected the config to be rejected');
    return result.issues;
  }
});
