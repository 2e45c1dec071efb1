import { CfnOutput, CfnParameter, type IStackSynthesizer, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { LbGuardConfig } from '../lib/config/index.ts';
import { parseLoadBalancerArn } from './arns.ts';
import { LAMBDA_ENV_LIMIT_BYTES } from './functions.ts';
import { HUB_EVENT_BUS_ARN_PATTERN } from './hub-forwarding.ts';
import { LbGuard, type LbGuardProps } from './lbguard-construct.ts';
import { LBGUARD_VERSION } from './package-version.ts';
import { type LbGuardStackSetOptions, runtimeConfigJson, stackSetSynthesizer } from './stack-set.ts';

/** Props of the stand-alone lbguard stack: the construct's props plus the stack's own. */
export interface LbGuardStackProps extends StackProps, LbGuardProps {
  /**
   * Synthesize a template a CloudFormation StackSet can deploy to every account and region of an
   * organisation: no bootstrap version rule or parameter, the functions' code read from the
   * `<assetBucketPrefix>-<region>` buckets, and the runtime config a parameter (`LbGuardConfig`,
   * defaulting to the synthesized one). The stack must be environment-agnostic (no `env`).
   * docs/fleet-rollout.md publishes the assets and creates the StackSet.
   * @default - a stack deployed with `cdk deploy` into a bootstrapped account
   */
  readonly stackSet?: LbGuardStackSetOptions;
}

/**
 * The stand-alone deployment: one `LbGuard` and the outputs an operator needs. Its
 * `HubEventBusArn` parameter (default '', no hub) turns on reporting to a fleet hub.
 */
export class LbGuardStack extends Stack {
  readonly guard: LbGuard;

  constructor(scope: Construct, id: string, props: LbGuardStackProps) {
    if (props.stackSet !== undefined && props.env !== undefined) {
      throw new Error(
        'lbguard: a stackSet template is deployed to many accounts and regions; leave env unset (the StackSet instance gives them)',
      );
    }
    super(
      scope,
      id,
      props.stackSet === undefined
        ? props
        : {
            ...props,
            // aws-cdk-lib's own types disagree under exactOptionalPropertyTypes.
            synthesizer: stackSetSynthesizer(props.stackSet) as IStackSynthesizer,
            analyticsReporting: false,
          },
    );
    const hubEventBusArn =
      props.hubEventBusArn ??
      new CfnParameter(this, 'HubEventBusArn', {
        type: 'String',
        default: '',
        allowedPattern: HUB_EVENT_BUS_ARN_PATTERN,
        constraintDescription:
          "must be '' (no hub) or an EventBridge bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)",
        description:
          "The fleet hub's EventBridge bus ARN; lbguard's heartbeats, findings, incident transitions and enrolments are forwarded there. Empty: no hub.",
      }).valueAsString;
    const runtimeConfig =
      props.stackSet === undefined
        ? {}
        : {
            runtimeConfigJson: new CfnParameter(this, 'LbGuardConfig', {
              type: 'String',
              default: runtimeConfigJson(props.config, props.services ?? {}),
              maxLength: LAMBDA_ENV_LIMIT_BYTES,
              description:
                "lbguard's runtime config as compact JSON (what the functions read as LBGUARD_CONFIG); the default is the config this template was synthesized from. Alarms, grants and schedules follow the synthesized config, so override only what they do not depend on.",
            }).valueAsString,
          };
    this.guard = new LbGuard(this, 'LbGuard', { ...props, hubEventBusArn, ...runtimeConfig });
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
