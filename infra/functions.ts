import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { compactConfig } from '../lib/config/compact.ts';
import type { LbGuardConfig } from '../lib/config/index.ts';
import { lbguardFunctionCode } from './bundling.ts';
import { LBGUARD_NAMESPACE } from './metrics.ts';
import type { LbGuardState } from './state.ts';

/** Lambda's limit on the total size of a function's environment variables. */
export const LAMBDA_ENV_LIMIT_BYTES = 4096;
/** What a token inside an environment value is assumed to expand to at most (an ARN or a name). */
const TOKEN_EXPANSION_BYTES = 256;
const TOKEN_PATTERN = /\$\{Token\[[^\]]+\]\}/g;

/** Raised when the runtime environment of a function would exceed Lambda's 4 KB limit. */
export class EnvironmentTooLargeError extends Error {
  constructor(functionName: string, bytes: number) {
    super(
      `lbguard: the environment of the ${functionName} function would be about ${bytes} bytes, over Lambda's ${LAMBDA_ENV_LIMIT_BYTES}-byte limit. ` +
        'Most of it is LBGUARD_CONFIG (the validated config as JSON): shorten probe definitions, or split the services across two deployments.',
    );
    this.name = 'EnvironmentTooLargeError';
  }
}

/**
 * Estimated size of a Lambda environment as Lambda counts it (keys plus values). Tokens count as
 * `TOKEN_EXPANSION_BYTES` each, since their resolved value is not known at synth time.
 */
export function estimateEnvironmentBytes(environment: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(environment)) {
    const tokens = value.match(TOKEN_PATTERN) ?? [];
    const literal = value.replace(TOKEN_PATTERN, '');
    bytes += Buffer.byteLength(key) + Buffer.byteLength(literal) + tokens.length * TOKEN_EXPANSION_BYTES;
  }
  return bytes;
}

/** lbguard's three functions, and enrol in discovery mode. */
export interface LbGuardFunctions {
  readonly probe: lambda.Function;
  readonly inspect: lambda.Function;
  readonly remediate: lambda.Function;
  /** Discovery mode only: sweeps the account and region for load balancers tagged `lbguard:guard`. */
  readonly enrol?: lambda.Function;
}

/** Where a function's log group lives and how long it keeps its logs. */
export interface FunctionLogging {
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export interface LbGuardFunctionsOptions extends FunctionLogging {
  /** The runtime config: the one every function receives as `LBGUARD_CONFIG`. */
  readonly config: LbGuardConfig;
  readonly state: LbGuardState;
  /**
   * Directory holding `<function>/handler.ts` for each function, bundled at synth; undefined: the
   * package's prebuilt bundles, or this repository's `lambdas/` in a clone.
   */
  readonly lambdasDir: string | undefined;
  readonly probeMemorySize: number;
  /**
   * `LBGUARD_CONFIG` as deployed when it is not the synthesized config itself: a token, such as
   * the StackSet template's `LbGuardConfig` parameter (whose default is the synthesized config).
   * The 4 KB check still measures the synthesized config.
   * @default - the synthesized config as JSON
   */
  readonly configJson?: string;
  /**
   * `LBGUARD_HUB_EVENTS` of inspect, remediate and enrol: `on`/`off`, or a token choosing one
   * (`Fn::If` on the hub condition).
   * @default - unset: no hub events
   */
  readonly hubEvents?: string;
}

/**
 * Creates probe, remediate and inspect (in that order) with their log groups and roles, in
 * `scope` itself so their logical IDs stay those of the one-file construct (see `LbGuard`).
 * Grants beyond their own logs are `grantFunctionPermissions`'s.
 */
export function createFunctions(scope: Construct, options: LbGuardFunctionsOptions): LbGuardFunctions {
  const { config, state, lambdasDir } = options;
  const sharedEnvironment: Record<string, string> = {
    LBGUARD_CONFIG: options.configJson ?? Stack.of(scope).toJsonString(compactConfig(config)),
    LBGUARD_TABLE: state.table.tableName,
    LBGUARD_TOPIC_ARN: state.topic.topicArn,
    POWERTOOLS_METRICS_NAMESPACE: LBGUARD_NAMESPACE,
    NODE_OPTIONS: '--enable-source-maps',
  };
  const common = {
    configJsonBytes: Buffer.byteLength(JSON.stringify(compactConfig(config))),
    logRetention: options.logRetention,
    removalPolicy: options.removalPolicy,
  };
  // Discovery mode: probe reads the signed enrolment registry, so it verifies with the state key.
  const discovery = config.discovery;
  const probeStateKey = discovery === undefined ? {} : { LBGUARD_STATE_KEY: state.stateKey.keyArn };
  const hubEvents = options.hubEvents === undefined ? {} : { LBGUARD_HUB_EVENTS: options.hubEvents };
  const maxVerifySeconds = Math.max(...config.services.map((s) => s.remediation.verifyDeadlineSeconds), 0);

  const probe = createFunction(scope, 'Probe', {
    ...common,
    code: lbguardFunctionCode('probe', lambdasDir),
    description: 'lbguard probe: synthetic journeys against each guarded service, looping within the minute',
    memorySize: options.probeMemorySize,
    // The loop runs for probeLoopSeconds; the margin covers the last probe's own timeout.
    timeout: Duration.seconds(config.schedule.probeLoopSeconds + 30),
    // A failed probe run is superseded by next minute's run; retrying it would probe the past.
    async: { deadLetterQueue: state.deadLetterQueue, retryAttempts: 0, maxEventAge: Duration.minutes(2) },
    environment: { ...sharedEnvironment, POWERTOOLS_SERVICE_NAME: 'lbguard-probe', ...probeStateKey },
  });
  const remediate = createFunction(scope, 'Remediate', {
    ...common,
    code: lbguardFunctionCode('remediate', lambdasDir),
    description: 'lbguard remediate: lock, re-check, apply the plan, verify',
    memorySize: 256,
    // Verification waits in-process for targets to pass health checks (DESIGN.md guardrails).
    timeout: Duration.seconds(Math.min(900, maxVerifySeconds + 120)),
    // One remediation at a time across all services; the DynamoDB lock guards each service.
    reservedConcurrentExecutions: 1,
    // A plan older than this describes a load balancer that has moved on.
    async: { deadLetterQueue: state.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.minutes(15) },
    environment: {
      ...sharedEnvironment,
      POWERTOOLS_SERVICE_NAME: 'lbguard-remediate',
      LBGUARD_STATE_KEY: state.stateKey.keyArn,
      // Remediate refuses requests from any other topic.
      LBGUARD_REMEDIATION_TOPIC_ARN: state.remediationTopic.topicArn,
      ...hubEvents,
    },
  });
  const inspect = createFunction(scope, 'Inspect', {
    ...common,
    code: lbguardFunctionCode('inspect', lambdasDir),
    description: 'lbguard inspect: snapshot, drift, skew, diagnosis, incident; hands plans to remediate',
    memorySize: 256,
    timeout: Duration.seconds(90),
    async: { deadLetterQueue: state.deadLetterQueue, retryAttempts: 1, maxEventAge: Duration.minutes(10) },
    environment: {
      ...sharedEnvironment,
      POWERTOOLS_SERVICE_NAME: 'lbguard-inspect',
      LBGUARD_STATE_KEY: state.stateKey.keyArn,
      LBGUARD_REMEDIATION_TOPIC_ARN: state.remediationTopic.topicArn,
      ...hubEvents,
    },
  });
  if (discovery === undefined) {
    return { probe, inspect, remediate };
  }
  const enrol = createFunction(scope, 'Enrol', {
    ...common,
    code: lbguardFunctionCode('enrol', lambdasDir),
    description: 'lbguard enrol: sweeps the account and region for load balancers tagged lbguard:guard',
    memorySize: 256,
    // One sweep: DescribeLoadBalancers paginated, DescribeTags 20 ARNs a call, one registry write.
    timeout: Duration.seconds(60),
    // The next event or sweep (every sweepMinutes) repeats the work; one retry covers a blip.
    async: {
      deadLetterQueue: state.deadLetterQueue,
      retryAttempts: 1,
      maxEventAge: Duration.minutes(discovery.sweepMinutes),
    },
    environment: {
      ...sharedEnvironment,
      POWERTOOLS_SERVICE_NAME: 'lbguard-enrol',
      LBGUARD_STATE_KEY: state.stateKey.keyArn,
      ...hubEvents,
    },
  });
  return { probe, inspect, remediate, enrol };
}

/**
 * A function's log group and a role of its own that may write only there: used instead of the
 * AWSLambdaBasicExecutionRole managed policy, whose logs permissions span every log group in the
 * account. Created as `<id>Logs` and `<id>Role` in `scope`.
 */
export function createLoggingRole(
  scope: Construct,
  id: string,
  description: string,
  logging: FunctionLogging,
): { readonly logGroup: logs.LogGroup; readonly role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logging.logRetention,
    removalPolicy: logging.removalPolicy,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  return { logGroup, role };
}

/** What an asynchronously invoked function does with an event it failed on. */
export interface AsyncFailureHandling {
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  readonly deadLetterQueue: sqs.IQueue;
}

export interface FunctionOptions extends FunctionLogging {
  readonly code: lambda.Code;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly reservedConcurrentExecutions?: number;
  readonly environment: Record<string, string>;
  readonly configJsonBytes: number;
  /** Undefined for a function only ever invoked synchronously: its caller sees the failure. */
  readonly async: AsyncFailureHandling | undefined;
}

/** One lbguard function with its own log group and a role that may write only there. */
export function createFunction(scope: Construct, id: string, options: FunctionOptions): lambda.Function {
  const estimate = estimateEnvironmentBytes(options.environment);
  // The config JSON is inside a token when it references resources; count it as written.
  const bytes = Math.max(estimate, options.configJsonBytes);
  if (bytes > LAMBDA_ENV_LIMIT_BYTES) {
    throw new EnvironmentTooLargeError(id.toLowerCase(), bytes);
  }
  const { logGroup, role } = createLoggingRole(scope, id, `lbguard ${id.toLowerCase()} function`, options);
  return new lambda.Function(scope, id, {
    // Shared with bench/footprint.ts and the bundle tests (infra/bundling.ts): the SDK bundled,
    // so the version tested is the version that runs, and it imports faster than the runtime's.
    code: options.code,
    handler: 'index.handler',
    description: options.description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: options.memorySize,
    timeout: options.timeout,
    role,
    logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    environment: options.environment,
    ...(options.async === undefined
      ? {}
      : {
          deadLetterQueue: options.async.deadLetterQueue,
          retryAttempts: options.async.retryAttempts,
          maxEventAge: options.async.maxEventAge,
        }),
    ...(options.reservedConcurrentExecutions === undefined
      ? {}
      : { reservedConcurrentExecutions: options.reservedConcurrentExecutions }),
  });
}
