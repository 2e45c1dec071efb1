import { Fn, Token } from 'aws-cdk-lib';

/**
 * The parts of an Application Load Balancer ARN that IAM, EventBridge and CloudWatch need.
 *
 * Every field is a plain string when the ARN is a literal (an imported load balancer) and a
 * CloudFormation expression when it is a token (a load balancer created in the same app), so
 * callers never branch on where the load balancer came from.
 */
export interface LoadBalancerArnParts {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** `app/<name>/<id>`: the `LoadBalancer` dimension of `AWS/ApplicationELB` metrics. */
  readonly fullName: string;
  /** `arn:…:listener/app/<name>/<id>/*`: every listener of this load balancer. */
  readonly listenerArnPattern: string;
  /** `arn:…:listener-rule/app/<name>/<id>/*`: every rule of every listener of this load balancer. */
  readonly listenerRuleArnPattern: string;
  /** Prefix shared by this load balancer's listener ARNs (for EventBridge prefix matching). */
  readonly listenerArnPrefix: string;
  /** Prefix shared by this load balancer's rule ARNs. */
  readonly listenerRuleArnPrefix: string;
  /**
   * `arn:…:targetgroup/*` in the load balancer's account and region. A target group's ARN does not
   * name the load balancer it serves, so this is the narrowest pattern an ARN alone allows.
   */
  readonly targetGroupArnPattern: string;
  /** Prefix shared by target group ARNs in the load balancer's account and region. */
  readonly targetGroupArnPrefix: string;
}

const ALB_ARN = /^arn:([^:]+):elasticloadbalancing:([^:]+):(\d{12}):loadbalancer\/(app\/[^/]+\/[^/]+)$/;

/** Raised when a literal ARN is not the ARN of an Application Load Balancer. */
export class InvalidLoadBalancerArnError extends Error {
  constructor(arn: string) {
    super(
      `not an Application Load Balancer ARN: "${arn}" (expected arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>)`,
    );
    this.name = 'InvalidLoadBalancerArnError';
  }
}

/**
 * Splits an ALB ARN into the pieces lbguard scopes permissions, event patterns and metrics by.
 * Works on literal ARNs (validated; throws `InvalidLoadBalancerArnError`) and on tokens.
 */
export function parseLoadBalancerArn(arn: string): LoadBalancerArnParts {
  if (Token.isUnresolved(arn)) {
    const fields = Fn.split(':', arn);
    const resource = Fn.select(5, fields);
    return assembleParts(arn, {
      partition: Fn.select(1, fields),
      region: Fn.select(3, fields),
      account: Fn.select(4, fields),
      fullName: Fn.select(1, Fn.split('loadbalancer/', resource)),
    });
  }
  const match = ALB_ARN.exec(arn);
  const [, partition, region, account, fullName] = match ?? [];
  if (partition === undefined || region === undefined || account === undefined || fullName === undefined) {
    throw new InvalidLoadBalancerArnError(arn);
  }
  return assembleParts(arn, { partition, region, account, fullName });
}

interface CoreParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly fullName: string;
}

function assembleParts(arn: string, core: CoreParts): LoadBalancerArnParts {
  const base = `arn:${core.partition}:elasticloadbalancing:${core.region}:${core.account}`;
  const listenerArnPrefix = `${base}:listener/${core.fullName}/`;
  const listenerRuleArnPrefix = `${base}:listener-rule/${core.fullName}/`;
  const targetGroupArnPrefix = `${base}:targetgroup/`;
  return {
    arn,
    ...core,
    listenerArnPrefix,
    listenerRuleArnPrefix,
    targetGroupArnPrefix,
    listenerArnPattern: `${listenerArnPrefix}*`,
    listenerRuleArnPattern: `${listenerRuleArnPrefix}*`,
    targetGroupArnPattern: `${targetGroupArnPrefix}*`,
  };
}

/**
 * The `TargetGroup` dimension of `AWS/ApplicationELB` metrics (`targetgroup/<name>/<id>`) from a
 * target group ARN, literal or token.
 */
export function targetGroupFullName(arn: string): string {
  if (Token.isUnresolved(arn)) {
    return Fn.select(5, Fn.split(':', arn));
  }
  const fullName = arn.split(':')[5];
  if (fullName === undefined || !fullName.startsWith('targetgroup/')) {
    throw new Error(`not a target group ARN: "${arn}" (expected arn:…:targetgroup/<name>/<id>)`);
  }
  return fullName;
}

/**
 * What an ARN-derived scope covers when the load balancers are not known at synth (discovery
 * mode: any load balancer of the account and region may be tagged `lbguard:guard` later): every
 * Application Load Balancer, listener, rule and target group of `account` in `region`.
 */
export interface AccountRegionScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** `arn:…:loadbalancer/app/`: every ALB's ARN starts so (EventBridge prefix, IAM `…*`). */
  readonly loadBalancerArnPrefix: string;
  readonly listenerArnPrefix: string;
  readonly listenerRuleArnPrefix: string;
  readonly targetGroupArnPrefix: string;
}

/** The account+region-wide scope of discovery mode (values may be CloudFormation pseudo parameters). */
export function accountRegionScope(partition: string, region: string, account: string): AccountRegionScope {
  const base = `arn:${partition}:elasticloadbalancing:${region}:${account}`;
  return {
    partition,
    region,
    account,
    loadBalancerArnPrefix: `${base}:loadbalancer/app/`,
    listenerArnPrefix: `${base}:listener/app/`,
    listenerRuleArnPrefix: `${base}:listener-rule/app/`,
    targetGroupArnPrefix: `${base}:targetgroup/`,
  };
}
