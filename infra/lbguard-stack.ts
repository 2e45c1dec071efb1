import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { LbGuardConfig } from '../lib/config/index.ts';
import { parseLoadBalancerArn } from './arns.ts';
import { LbGuard, type LbGuardProps } from './lbguard-construct.ts';
import { LBGUARD_VERSION } from './package-version.ts';

/** Props of the stand-alone lbguard stack: the construct's props plus the stack's own. */
export interface LbGuardStackProps extends StackProps, LbGuardProps {}

/** The stand-alone deployment: one `LbGuard` and the outputs an operator needs. */
export class LbGuardStack extends Stack {
  readonly guard: LbGuard;

  constructor(scope: Construct, id: string, props: LbGuardStackProps) {
    super(scope, id, props);
    this.guard = new LbGuard(this, 'LbGuard', props);
    const remediate = this.guard.remediateFunction.functionName;
    new CfnOutput(this, 'TopicArn', {
      description: 'SNS topic every lbguard notification and alarm goes to',
      value: this.guard.topic.topicArn,
    });
    new CfnOutput(this, 'TableName', {
      description: 'lbguard state table',
      value: this.guard.table.tableName,
    });
    new CfnOutput(this, 'StateKeyArn', {
      description:
        'KMS key that vouches for snapshots and last known good (lbguard --state-key; also alias/lbguard/<table>)',
      value: this.guard.stateKey.keyArn,
    });
    if (this.guard.dashboard !== undefined) {
      new CfnOutput(this, 'DashboardName', {
        description: 'CloudWatch dashboard',
        value: this.guard.dashboard.dashboard.dashboardName,
      });
    }
    new CfnOutput(this, 'RemediateFunctionName', { value: remediate });
    new CfnOutput(this, 'LbGuardVersion', {
      description: 'The lbguard package this stack was synthesized from',
      value: LBGUARD_VERSION,
    });
    new CfnOutput(this, 'RemediationTopicArn', {
      description: 'SNS topic inspect hands remediation requests to (remediate is its only subscriber)',
      value: this.guard.remediationTopic.topicArn,
    });
    if (this.guard.approvalEndpoint !== undefined) {
      new CfnOutput(this, 'ApprovalEndpointUrl', {
        description:
          'HTTPS approval endpoint (IAM auth): POST {"service","planHash"} signed for service lambda; callers need lambda:InvokeFunctionUrl and lambda:InvokeFunction on ApprovalFunctionArn',
        value: this.guard.approvalEndpoint.url.url,
      });
      new CfnOutput(this, 'ApprovalFunctionArn', {
        description:
          "The approval endpoint function: the resource of the callers' lambda:InvokeFunctionUrl grant",
        value: this.guard.approvalEndpoint.function.functionArn,
      });
    }
    new CfnOutput(this, 'KillSwitchCommand', {
      description: 'Stops every remediation at once, without a deployment (see docs/deploy.md)',
      value: `aws lambda put-function-concurrency --function-name ${remediate} --reserved-concurrent-executions 0`,
    });
  }
}

export type StackEnvironmentResult =
  | { readonly ok: true; readonly account: string; readonly region: string }
  | { readonly ok: false; readonly message: string };

/**
 * The account and region lbguard must be deployed to: those of the guarded load balancers, since
 * CloudTrail events and ALB metrics are regional. Pinning them makes `cdk deploy` refuse
 * credentials for another account instead of deploying a guard that can see nothing.
 */
export function stackEnvironmentFor(config: LbGuardConfig): StackEnvironmentResult {
  const places = new Set<string>();
  let account = '';
  let region = config.region ?? '';
  for (const service of config.services) {
    const lb = parseLoadBalancerArn(service.loadBalancerArn);
    places.add(`${lb.account}/${lb.region}`);
    account = lb.account;
    region = config.region ?? lb.region;
  }
  if (places.size > 1) {
    return {
      ok: false,
      message: `lbguard: the guarded load balancers are in ${places.size} account/region pairs (${[...places].join(', ')}); deploy one lbguard per account and region, each with its own config`,
    };
  }
  return { ok: true, account, region };
}
