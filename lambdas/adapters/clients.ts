import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';

/** The SDK clients lbguard's adapters need, built once per process and shared. */
export interface AwsClients {
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  /** The state store and Powertools Idempotency both speak through this one. */
  readonly dynamodb: DynamoDBClient;
  readonly sns: SNSClient;
  /**
   * For the CLI's `lbguard init` (the state key, state-store/table.ts) and its MAC calls. The
   * functions build none: their GenerateMac/VerifyMac are signed by hand (state-store/state-signer.ts).
   */
  readonly kms: KMSClient;
}

export interface AwsClientOptions {
  /** Defaults to the SDK's own resolution (`AWS_REGION`, profile…). */
  readonly region?: string;
  /** Overrides every service endpoint; `AWS_ENDPOINT_URL` does the same through the SDK. */
  readonly endpoint?: string;
  /** Static credentials (tests against moto); defaults to the SDK's provider chain. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    /** Set for credentials an `sts:AssumeRole` returned (the IAM proof runs each function under its role). */
    readonly sessionToken?: string;
  };
  /** Total attempts per call, retries included. Default 3. */
  readonly maxAttempts?: number;
  /** Per-request timeout in ms. Default 5000: a Lambda on a 1-minute schedule cannot wait on a hung socket. */
  readonly requestTimeoutMs?: number;
  /** TCP connect timeout in ms. Default 2000. */
  readonly connectionTimeoutMs?: number;
}

/**
 * The configuration every SDK client is built with: adaptive retries (client-side rate limiting
 * when ELBv2 throttles, which it does per account and region), a bounded number of attempts, and
 * explicit timeouts so a stuck call fails inside the Lambda's own deadline.
 */
export function awsClientConfig(opts: AwsClientOptions = {}) {
  return {
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
}

// One factory per service, so that a function which builds only some clients bundles only
// those packages (each declares `sideEffects: false`; esbuild drops the rest).

/** ELBv2 with the shared policy (`awsClientConfig`). */
export function createElbv2Client(opts: AwsClientOptions = {}): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client(awsClientConfig(opts));
}

/** CloudWatch with the shared policy (`awsClientConfig`). */
export function createCloudWatchClient(opts: AwsClientOptions = {}): CloudWatchClient {
  return new CloudWatchClient(awsClientConfig(opts));
}

/**
 * DynamoDB with the shared policy (`awsClientConfig`). No document client: its ~7 KB per bundle
 * buys nothing the state store's own marshalling (state-store/attributes.ts) does not do.
 */
export function createDynamoDbClient(opts: AwsClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(awsClientConfig(opts));
}

/** SNS with the shared policy (`awsClientConfig`). */
export function createSnsClient(opts: AwsClientOptions = {}): SNSClient {
  return new SNSClient(awsClientConfig(opts));
}

/** KMS with the shared policy (`awsClientConfig`); the CLI's, the drill's and tests', never a function's. */
export function createKmsClient(opts: AwsClientOptions = {}): KMSClient {
  return new KMSClient(awsClientConfig(opts));
}

/** Every SDK client with the same policy (`awsClientConfig`): for the CLI, the drill and tests. */
export function createAwsClients(opts: AwsClientOptions = {}): AwsClients {
  return {
    elbv2: createElbv2Client(opts),
    cloudwatch: createCloudWatchClient(opts),
    dynamodb: createDynamoDbClient(opts),
    sns: createSnsClient(opts),
    kms: createKmsClient(opts),
  };
}

/** Closes sockets held by keep-alive agents, for CLIs and tests that must exit promptly. */
export function destroyAwsClients(clients: Partial<AwsClients>): void {
  clients.elbv2?.destroy();
  clients.cloudwatch?.destroy();
  clients.dynamodb?.destroy();
  clients.sns?.destroy();
  clients.kms?.destroy();
}
