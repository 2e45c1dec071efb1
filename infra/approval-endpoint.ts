import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { partitionKey } from '../lambdas/adapters/state-store/layout.ts';
import { lbguardFunctionCode } from './bundling.ts';
import { createFunction, type FunctionLogging } from './functions.ts';
import { LBGUARD_NAMESPACE } from './metrics.ts';
import type { LbGuardState } from './state.ts';

/**
 * The item actions the endpoint's calls make: the open incident and its pointer (GetItem), the
 * approval written on the incident with its pointer (PutItem, inside a transaction). Not the
 * DeleteItem `putIncident` sends when it closes an incident: an approval never closes one.
 */
export const APPROVE_TABLE_ACTIONS: readonly string[] = ['dynamodb:GetItem', 'dynamodb:PutItem'];

export interface ApprovalEndpointOptions extends FunctionLogging {
  readonly state: LbGuardState;
  /** The function an approval is handed to. */
  readonly remediate: lambda.IFunction;
  /** Services in `remediation.mode: approve`: the only ones an approval may name. */
  readonly approveServices: readonly string[];
  readonly lambdasDir: string | undefined;
}

export interface ApprovalEndpoint {
  readonly function: lambda.Function;
  readonly url: lambda.FunctionUrl;
}

/**
 * The optional HTTPS approval endpoint (README "Approval"): a fourth function behind a function
 * URL whose AuthType is AWS_IAM, never NONE, so Lambda verifies the caller's SigV4 signature and
 * hands the handler who it is: that identity is the approver. It may read and write only the
 * incidents partitions of the services held for approval, and invoke remediate; nothing else.
 *
 * Invoked synchronously only: a failure is answered to the caller (500), who approves again
 * (an approval already recorded is handed off again), so there is no dead-letter queue, and no
 * alarm of its own: nothing is lost unseen. Its state-table write failures count towards the
 * StateTableWriteFailing alarm like every function's.
 */
export function createApprovalEndpoint(scope: Construct, options: ApprovalEndpointOptions): ApprovalEndpoint {
  const { state, remediate, approveServices } = options;
  const fn = createFunction(scope, 'Approve', {
    logRetention: options.logRetention,
    removalPolicy: options.removalPolicy,
    code: lbguardFunctionCode('approve', options.lambdasDir),
    description:
      'lbguard approve: the HTTPS approval endpoint (function URL, IAM auth); hands approvals to remediate',
    memorySize: 256,
    timeout: Duration.seconds(15),
    // No config: which services are in approve mode is all it needs (lambdas/approve/deps.ts).
    environment: {
      LBGUARD_TABLE: state.table.tableName,
      LBGUARD_REMEDIATE_FUNCTION: remediate.functionName,
      LBGUARD_APPROVE_SERVICES: approveServices.join(','),
      POWERTOOLS_SERVICE_NAME: 'lbguard-approve',
      POWERTOOLS_METRICS_NAMESPACE: LBGUARD_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
    },
    configJsonBytes: 0,
    async: undefined,
  });
  const incidents = approveServices.map((s) => partitionKey('incidents', s));
  const reads = APPROVE_TABLE_ACTIONS.filter((a) => a === 'dynamodb:GetItem');
  const writes = APPROVE_TABLE_ACTIONS.filter((a) => a !== 'dynamodb:GetItem');
  for (const [sid, actions] of [
    ['StateTableIncidentReads', reads],
    ['StateTableIncidentWrites', writes],
  ] as const) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid,
        actions: [...actions],
        resources: [state.table.tableArn],
        // The incidents of the services held for approval, and not one other item of the table.
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': incidents } },
      }),
    );
  }
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'HandApprovalToRemediate',
      actions: ['lambda:InvokeFunction'],
      resources: [remediate.functionArn],
    }),
  );
  const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  return { function: fn, url };
}
