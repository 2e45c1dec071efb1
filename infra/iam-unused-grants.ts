// Actions a function's role is granted that no scenario of the IAM proof makes the function's
// code call (test/integration/iam-proof.test.ts runs the lambdas' integration scenarios and the
// seed drill under each role, on moto with IAM enforcement). Each entry says why the grant is
// there anyway, or that it should go. The proof fails on a granted action that is neither used
// nor listed here, and on an entry that is no longer granted or is now used; docs/iam-proof.md
// is the resulting table. Keys are the action patterns exactly as the template writes them.

/** Who needs a grant that lbguard's own code never exercises under the proof. */
export type UnusedGrantKind =
  /** The Lambda service acts with the function's role (logs, the dead-letter queue). */
  | 'lambda-service'
  /** Another AWS service acts with the caller's permissions (SNS encrypting with the topic key). */
  | 'aws-service'
  /** lbguard's code calls it, but no scenario reaches that path. */
  | 'not-exercised'
  /** Nothing in the function calls it: the grant is wider than the code; remove it. */
  | 'over-grant';

export interface UnusedGrant {
  readonly kind: UnusedGrantKind;
  readonly reason: string;
}

const LOGS: UnusedGrant = {
  kind: 'lambda-service',
  reason:
    "The Lambda runtime writes the function's log lines to its own log group with these; lbguard's code never calls CloudWatch Logs.",
};
const DEAD_LETTERS: UnusedGrant = {
  kind: 'lambda-service',
  reason:
    'Lambda sends an asynchronous event that failed all its retries to the dead-letter queue with the function role; lbguard never calls SQS.',
};
const TOPIC_KEY: UnusedGrant = {
  kind: 'aws-service',
  reason:
    "SNS encrypts what the function publishes to the KMS-encrypted topics by calling KMS with the publisher's permissions (GenerateDataKey*, Decrypt on the topic key); moto's SNS does not encrypt, so no call reaches KMS here.",
};
const HUB_EVENTS: UnusedGrant = {
  kind: 'not-exercised',
  reason:
    "With a hub bus given (the stack's HubEventBusArn parameter), the function puts its hub events on the account's default bus (lambdas/adapters/eventbridge-hub-reporter.ts, signed by hand); the lambdas scenarios and the seed drill run without a hub. The proof's second part (a spoke in discovery mode) exercises it under the same grant. Keep: without it a spoke with a hub reports nothing.",
};
/** Per function role: granted action pattern → why it stays although no scenario uses it. */
export const UNUSED_GRANTS: Readonly<
  Record<'probe' | 'inspect' | 'remediate', Readonly<Record<string, UnusedGrant>>>
> = {
  probe: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
  },
  inspect: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
    'kms:Decrypt': TOPIC_KEY,
    'kms:GenerateDataKey*': TOPIC_KEY,
    'events:PutEvents': HUB_EVENTS,
    'arc-zonal-shift:GetManagedResource': {
      kind: 'not-exercised',
      reason:
        "Inspect reads the zonal shifts in effect for each guarded load balancer (lambdas/adapters/zonal-shifts.ts, one signed GET per service and cycle). moto has no ARC zonal shift, so the proof cannot authorise it; test/unit/zonal-shifts.test.ts checks the signed request and test/unit/infra/least-privilege.test.ts the grant's scope. Keep: without it inspect reads no shift and plans as if none were in effect.",
    },
  },
  remediate: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
    'kms:Decrypt': TOPIC_KEY,
    'kms:GenerateDataKey*': TOPIC_KEY,
    'events:PutEvents': HUB_EVENTS,
    'arc-zonal-shift:GetManagedResource': {
      kind: 'not-exercised',
      reason:
        "Remediate reads the zonal shifts in effect when it re-plans under its lock (lambdas/flows/remediate.ts, one signed GET per remediation), so a restore never sends traffic back to a zone shifted away since inspect planned. moto has no ARC zonal shift, so the proof cannot authorise it; test/unit/lambdas/remediate-zonal-shifts.test.ts checks the re-plan and test/unit/infra/least-privilege.test.ts the grant's scope. Keep: without it remediate re-plans as if no shift were in effect.",
    },
    'elasticloadbalancing:SetRulePriorities': {
      kind: 'not-exercised',
      reason:
        'The writer applies it when a plan restores rule priorities that drifted (lib/plan.ts, step 2); no scenario reorders rules, so the proof does not reach it. Keep: without it such a plan fails with AccessDenied half way.',
    },
    'cloudformation:DescribeStacks': {
      kind: 'not-exercised',
      reason:
        "The owner lookup (lambdas/adapters/deployment-owners.ts) reads a stack's status once DescribeStackResources has found the stack that holds a written resource; moto cannot look a stack up by physical id, so no scenario finds one. Keep: without it a stack-owned listener fails the lookup, and remediate escalates instead of acting.",
    },
  },
};

/** A remediate path the enrolment scenarios do not reach, proven under the stand-alone role. */
function provenInPartOne(path: string): UnusedGrant {
  return {
    kind: 'not-exercised',
    reason: `${path} The enrolment scenarios' outage (one listener, no CodeDeploy application) does not reach it; the same remediate code runs it under the stand-alone stack's role (docs/iam-proof.md, first part, lambdas scenarios). Keep: a tag-enrolled load balancer is remediated by the same code.`,
  };
}
const DEPLOYMENT_IN_FLIGHT = provenInPartOne(
  'The owner lookup (lambdas/adapters/deployment-owners.ts) reads the deployment groups and deployments in flight of an application that has the written target group.',
);

/**
 * The same, for the roles of a spoke in discovery mode (the IAM proof's second part: the enrolment
 * scenarios of test/integration/enrolment.test.ts under each role). Its grants differ from the
 * stand-alone stack's (account+region-wide load-balancer grants, the registry reads, enrol), so the
 * list is its own.
 */
export const DISCOVERY_UNUSED_GRANTS: Readonly<
  Record<'probe' | 'inspect' | 'remediate' | 'enrol', Readonly<Record<string, UnusedGrant>>>
> = {
  probe: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
    'dynamodb:PutItem': {
      kind: 'not-exercised',
      reason:
        "Probe stores a served-by sample (putServedBySample) when the site's answer names the backend that served it; the enrolment scenarios' site names none. The stand-alone role's proof reaches it (seed drill, HAProxy). Keep: without it a tag-enrolled service's served-by evidence is lost.",
    },
  },
  inspect: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
    'kms:Decrypt': TOPIC_KEY,
    'kms:GenerateDataKey*': TOPIC_KEY,
    'arc-zonal-shift:GetManagedResource': UNUSED_GRANTS.inspect[
      'arc-zonal-shift:GetManagedResource'
    ] as UnusedGrant,
  },
  remediate: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
    'kms:Decrypt': TOPIC_KEY,
    'kms:GenerateDataKey*': TOPIC_KEY,
    'arc-zonal-shift:GetManagedResource': UNUSED_GRANTS.remediate[
      'arc-zonal-shift:GetManagedResource'
    ] as UnusedGrant,
    'elasticloadbalancing:SetRulePriorities': UNUSED_GRANTS.remediate[
      'elasticloadbalancing:SetRulePriorities'
    ] as UnusedGrant,
    'cloudformation:DescribeStacks': UNUSED_GRANTS.remediate['cloudformation:DescribeStacks'] as UnusedGrant,
    'codedeploy:GetDeploymentGroup': DEPLOYMENT_IN_FLIGHT,
    'codedeploy:ListDeploymentGroups': DEPLOYMENT_IN_FLIGHT,
    'codedeploy:ListDeployments': DEPLOYMENT_IN_FLIGHT,
    'elasticloadbalancing:ModifyRule': provenInPartOne(
      'The writer restores a listener rule a deployment changed (lib/plan.ts).',
    ),
  },
  enrol: {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
    'kms:Decrypt': TOPIC_KEY,
    'kms:GenerateDataKey*': TOPIC_KEY,
  },
};

/**
 * The same, for the hub's roles and the fleet reader role they assume (the IAM proof's third
 * part: the scenarios of test/integration/hub-coverage.test.ts under each role).
 */
export const HUB_UNUSED_GRANTS: Readonly<
  Record<'hub-ingest' | 'hub-coverage' | 'fleet-reader', Readonly<Record<string, UnusedGrant>>>
> = {
  'hub-ingest': {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
  },
  'hub-coverage': {
    'logs:CreateLogStream': LOGS,
    'logs:PutLogEvents': LOGS,
    'sqs:SendMessage': DEAD_LETTERS,
    'kms:Decrypt': TOPIC_KEY,
    'kms:GenerateDataKey*': TOPIC_KEY,
  },
  'fleet-reader': {},
};
