import {
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentCommand,
  CreateDeploymentGroupCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';

// A CodeDeploy deployment in flight, as a user's release tooling would start one: an application,
// a deployment group whose load balancer info names the shop's target groups, and a deployment.
// moto keeps it `Created` (in progress) for ever and has no StopDeployment; the world's
// control-plane stand-in answers StopDeployment and reports the deployment `Stopped` after it.

export interface DeploymentInFlight {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentId: string;
}

/** The client the scenarios and tests use, aimed at the world's stand-in. */
export function codeDeployClient(awsUrl: string, region = 'us-east-1'): CodeDeployClient {
  return new CodeDeployClient({
    endpoint: awsUrl,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 2,
  });
}

/** Starts a deployment on a new deployment group that uses `targetGroupNames`. */
export async function startDeployment(
  client: CodeDeployClient,
  opts: { readonly name: string; readonly targetGroupNames: readonly string[] },
): Promise<DeploymentInFlight> {
  const applicationName = `${opts.name}-app`;
  const deploymentGroupName = `${opts.name}-dg`;
  await client.send(new CreateApplicationCommand({ applicationName, computePlatform: 'Server' }));
  await client.send(
    new CreateDeploymentGroupCommand({
      applicationName,
      deploymentGroupName,
      serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy-service',
      deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      loadBalancerInfo: { targetGroupInfoList: opts.targetGroupNames.map((name) => ({ name })) },
    }),
  );
  const out = await client.send(
    new CreateDeploymentCommand({
      applicationName,
      deploymentGroupName,
      description: 'release 2026-12-04 (drill)',
      revision: {
        revisionType: 'S3',
        s3Location: { bucket: 'shop-releases', key: 'shop-2026-12-04.zip', bundleType: 'zip' },
      },
    }),
  );
  if (out.deploymentId === undefined) throw new Error('CreateDeployment returned no deployment id');
  return { applicationName, deploymentGroupName, deploymentId: out.deploymentId };
}

/** Ends a deployment as an operator or a failed alarm would: `StopDeployment`. */
export async function stopDeployment(client: CodeDeployClient, deploymentId: string): Promise<void> {
  await client.send(new StopDeploymentCommand({ deploymentId }));
}
