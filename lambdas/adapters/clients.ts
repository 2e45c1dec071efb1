import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The SDK clients lbguard's adapters need, built once per process and shared. */
export interface AwsClients {
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly dynamodb: DynamoDBClient;
  /** Marshals plain JS objects; the state store speaks through this one. */
  readonly documents: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly lambda: LambdaClient;
}

export interface AwsClientOptions {
  /** Defaults to the SDK's own resolution (`AWS_REGION`, profile…). */
  readonly region?: string;
  /** Overrides every service endpoint; `AWS_ENDPOINT_URL` does the same through the SDK. */
  readonly endpoint?: string;
  /** Static credentials (tests against moto); defaults to the SDK's provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Total attempts per call, retries included. Default 3. */
  readonly maxAttempts?: number;
  /** Per-request timeout in ms. Default 5000: a Lambda on a 1-minute schedule cannot wait on a hung socket. */
  readonly requestTimeoutMs?: number;
  /** TCP connect timeout in ms. Default 2000. */
  readonly connectionTimeoutMs?: number;
}

/**
 * Builds every SDK client with the same retry and timeout policy: adaptive retries (client-side
 * rate limiting when ELBv2 throttles, which it does per account and region), a bounded number of
 * attempts, and explicit timeouts so a stuck call fails inside the Lambda's own deadline.
 */
export function createAwsClients(opts: AwsClientOptions = {}): AwsClients {
  const config = {
    retryMode: 'adaptive',
    maxAttempts: opts.maxAttempts ?? 3,
    requestHandler: {
      requestTimeout: opts.requestTimeoutMs ?? 5_000,
      // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
      connectionTimeout: opts.connectionTimeoutMs ?? 2_000,
    },
    ...(opts.region === undefined ? {} : { region: opts.region }),
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    ...(opts.credentials === undefined ? {} : { credentials: { ...opts.credentials } }),
  };
  const dynamodb = new DynamoDBClient(config);
  return {
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, {
      // Optional fields are omitted rather than stored as NULL, matching exactOptionalPropertyTypes.
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
    sns: new SNSClient(config),
    lambda: new LambdaClient(config),
  };
}

/** Closes sockets held by keep-alive agents, for CLIs and tests that must exit promptly. */
export function destroyAwsClients(clients: AwsClients): void {
  clients.elbv2.destroy();
  clients.cloudwatch.destroy();
  clients.documents.destroy();
  clients.dynamodb.destroy();
  clients.sns.destroy();
  clients.lambda.destroy();
}
