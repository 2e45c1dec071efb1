import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { createLoggingRole, type FunctionLogging, type LbGuardFunctions } from './functions.ts';
import type { LbGuardState } from './state.ts';

/** The relay's source, CommonJS on the runtime's own SDK; inlined into the template as is. */
const VERIFY_RELAY_FILE = path.join(import.meta.dirname, 'relay', 'verify-relay.cjs');

/**
 * The relay's inline code. The leading newline is what the template has always carried (the code
 * was once a template literal); keeping it keeps the deployed relay's code, and with it the
 * relay's version and the trigger, unchanged.
 */
function verifyRelaySource(): string {
  return `\n${readFileSync(VERIFY_RELAY_FILE, 'utf8')}`;
}

export interface VerifyAfterDeployOptions extends FunctionLogging {
  readonly state: LbGuardState;
  readonly functions: LbGuardFunctions;
}

/**
 * Runs inspect's verification once each deployment is done and fails the deployment when routing
 * is skewed. A CDK trigger can only invoke a function with an empty payload, and inspect accepts
 * nothing it cannot parse; a relay asks inspect for `{ kind: 'verify' }` explicitly and fails (so
 * the deployment fails) when inspect fails it. Created in `scope` itself, keeping the logical IDs
 * of the one-file construct (see `LbGuard`).
 */
export function createVerifyAfterDeploy(
  scope: Construct,
  options: VerifyAfterDeployOptions,
): triggers.Trigger {
  const { state, functions } = options;
  const { logGroup, role } = createLoggingRole(
    scope,
    'VerifyRelay',
    'lbguard verify-after-deploy relay',
    options,
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'AskInspectToVerify',
      actions: ['lambda:InvokeFunction'],
      resources: [functions.inspect.functionArn],
    }),
  );
  const relay = new lambda.Function(scope, 'VerifyRelay', {
    description: 'lbguard: after each deployment, ask inspect to verify routing; fail when it is skewed',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline(verifyRelaySource()),
    memorySize: 128,
    timeout: Duration.seconds(120),
    role,
    logGroup,
    environment: { LBGUARD_INSPECT_FUNCTION: functions.inspect.functionName },
  });
  return new triggers.Trigger(scope, 'VerifyAfterDeploy', {
    handler: relay,
    invocationType: triggers.InvocationType.REQUEST_RESPONSE,
    timeout: Duration.minutes(3),
    executeAfter: [state.table, state.topic, functions.probe, functions.inspect, functions.remediate],
  });
}
