import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  type AwsClientOptions,
  type AwsClients,
  createAwsClients,
  destroyAwsClients,
} from '../lambdas/adapters/clients.ts';
import { CloudWatchAlbMetricsReader } from '../lambdas/adapters/cloudwatch.ts';
import { Elbv2LoadBalancerReader } from '../lambdas/adapters/elbv2/reader.ts';
import { Elbv2LoadBalancerWriter } from '../lambdas/adapters/elbv2/writer.ts';
import { DynamoDbStateStore } from '../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { stateKeyAlias } from '../lambdas/adapters/state-store/layout.ts';
import { KmsStateSigner } from '../lambdas/adapters/state-store/state-signer.ts';
import {
  formatConfigIssues,
  type LbGuardConfig,
  parseConfig,
  type ServiceConfig,
  suggestKey,
} from '../lib/config/index.ts';
import type { GlobalOptions } from './args.ts';
import type { CommandContext } from './command.ts';
import { CliError, usageError } from './exit.ts';
import type { CliIo } from './io.ts';
import { Renderer, withSpinner } from './render.ts';

export const DEFAULT_CONFIG_FILE = 'lbguard.config.yaml';
export const DEFAULT_TABLE = 'lbguard-state';

/** Reads and validates the config file; every problem is a usage error naming its path. */
export async function loadConfig(io: CliIo, global: GlobalOptions): Promise<LbGuardConfig> {
  const given = global.config ?? DEFAULT_CONFIG_FILE;
  const path = resolve(io.cwd, given);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') {
      throw new CliError('config', `no config file at ${given}`, {
        hints:
          global.config === undefined
            ? [
                'copy lbguard.config.example.yaml to lbguard.config.yaml and edit it, or pass --config FILE',
                'docs/configuration.md explains every field',
              ]
            : ['check the path given to --config'],
      });
    }
    throw new CliError('config', `cannot read config file ${given}: ${String(error)}`);
  }
  const parsed = parseConfig(text, given);
  if (parsed.ok) return parsed.config;
  throw new CliError('config', `invalid config file ${given}:\n${formatConfigIssues(given, parsed.issues)}`, {
    hints: ['fix the fields above; docs/configuration.md explains each one'],
  });
}

/** Like `loadConfig`, but a missing default file is fine for commands that can run without one. */
export async function loadOptionalConfig(
  io: CliIo,
  global: GlobalOptions,
): Promise<LbGuardConfig | undefined> {
  try {
    return await loadConfig(io, global);
  } catch (error) {
    if (
      global.config === undefined &&
      error instanceof CliError &&
      error.message.startsWith('no config file')
    ) {
      return undefined;
    }
    throw error;
  }
}

/** The services a command acts on: the one named by `--service`, else all of them. */
export function selectServices(config: LbGuardConfig, name: string | undefined): ServiceConfig[] {
  if (config.services.length === 0) {
    // Only a config with a fleet section may have none (the schema); its services are tagged.
    throw usageError(
      'the config lists no services: its load balancers are found by tag',
      'lbguard status --fleet or lbguard lint --org read them (docs/fleet.md)',
    );
  }
  if (name === undefined) return [...config.services];
  const found = config.services.find((s) => s.name === name);
  if (found) return [found];
  const names = config.services.map((s) => s.name);
  const suggestion = suggestKey(name, names);
  throw usageError(
    `unknown service ${name}`,
    suggestion === undefined
      ? `services in the config: ${names.join(', ')}`
      : `did you mean --service ${suggestion}? (services in the config: ${names.join(', ')})`,
  );
}

/** `--table`, else the config's `tableName`, else `lbguard-state`. */
export function resolveTableName(global: GlobalOptions, config: LbGuardConfig | undefined): string {
  return global.table ?? config?.tableName ?? DEFAULT_TABLE;
}

/** `--state-key`, else `LBGUARD_STATE_KEY`, else the alias the construct and `lbguard init` give it. */
export function resolveStateKey(global: GlobalOptions, io: CliIo, tableName: string): string {
  const fromEnv = io.env.LBGUARD_STATE_KEY;
  return global.stateKey ?? (fromEnv === undefined || fromEnv === '' ? stateKeyAlias(tableName) : fromEnv);
}

/** The endpoint every client talks to: `--endpoint-url`, else `AWS_ENDPOINT_URL`, else AWS. */
export function resolveEndpoint(global: GlobalOptions, io: CliIo): string | undefined {
  const fromEnv = io.env.AWS_ENDPOINT_URL;
  return global.endpointUrl ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv);
}

export function resolveRegion(
  global: GlobalOptions,
  config: LbGuardConfig | undefined,
  io: CliIo,
): string | undefined {
  return global.region ?? config?.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
}

/** Everything a command talks to AWS through, built once per invocation. */
export interface AwsContext {
  readonly clients: AwsClients;
  /** What `clients` were built with, for a command that needs one client more (S3). */
  readonly clientOptions: AwsClientOptions;
  readonly tableName: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly reader: Elbv2LoadBalancerReader;
  readonly writer: Elbv2LoadBalancerWriter;
  readonly store: DynamoDbStateStore;
  readonly metrics: CloudWatchAlbMetricsReader;
  close(): void;
}

/**
 * Builds the SDK clients and the lambdas' own adapters around them. `--profile` is handed to
 * the SDK's provider chain through `AWS_PROFILE`, which is how the SDK reads it anyway.
 */
export function createAwsContext(
  io: CliIo,
  global: GlobalOptions,
  config: LbGuardConfig | undefined,
): AwsContext {
  if (global.profile !== undefined) io.env.AWS_PROFILE = global.profile;
  const region = resolveRegion(global, config, io);
  const endpoint = resolveEndpoint(global, io);
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw usageError(`--endpoint-url ${endpoint} is not a URL`, 'e.g. --endpoint-url http://127.0.0.1:5000');
  }
  // A person is waiting: fewer retries than a Lambda, and a bounded wait per call.
  const clientOptions: AwsClientOptions = {
    maxAttempts: 2,
    requestTimeoutMs: 15_000,
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
  const tableName = resolveTableName(global, config);
  return buildAwsContext(clientOptions, tableName, resolveStateKey(global, io, tableName));
}

/**
 * The clients and adapters of one account and region: `createAwsContext`'s, or one per
 * assumed role and region in the fleet fan-out (cli/fleet/).
 */
export function buildAwsContext(
  clientOptions: AwsClientOptions,
  tableName: string,
  stateKey: string,
): AwsContext {
  const clients = createAwsClients(clientOptions);
  const { region, endpoint } = clientOptions;
  return {
    clients,
    clientOptions,
    tableName,
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    reader: new Elbv2LoadBalancerReader(clients.elbv2),
    writer: new Elbv2LoadBalancerWriter(clients.elbv2),
    // An operator may vouch for a snapshot (`lbguard snapshot --promote`), as inspect does.
    store: new DynamoDbStateStore(clients.dynamodb, tableName, {
      signer: new KmsStateSigner(clients.kms.config, stateKey, { canSign: true }),
    }),
    metrics: new CloudWatchAlbMetricsReader(clients.cloudwatch),
    close: () => destroyAwsClients(clients),
  };
}

/**
 * Fails with a clear message naming `lbguard init` when the state table does not exist, rather
 * than letting the first read fail with DynamoDB's ResourceNotFoundException.
 */
export async function requireStateTable(aws: AwsContext): Promise<void> {
  try {
    await aws.clients.dynamodb.send(new DescribeTableCommand({ TableName: aws.tableName }));
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      const where = [aws.region, aws.endpoint].filter((x) => x !== undefined).join(' at ');
      throw new CliError(
        'aws',
        `the lbguard state table ${aws.tableName} does not exist${where === '' ? '' : ` (${where})`}`,
        {
          hints: [
            `create it with: lbguard init --table ${aws.tableName}`,
            'or point at the deployed one with --table NAME (the stack output TableName)',
          ],
        },
      );
    }
    throw error;
  }
}

/** Whether a command reads or writes lbguard's state table, so it must exist before anything runs. */
export interface AwsNeeds {
  /** @default true */
  readonly stateTable?: boolean;
}

/**
 * Runs `work` with this invocation's AWS context, after checking the state table exists unless
 * `needs.stateTable` is false, and closes the clients however `work` ends.
 */
export async function withAws<T>(
  ctx: Pick<CommandContext, 'io' | 'global'>,
  config: LbGuardConfig | undefined,
  work: (aws: AwsContext) => Promise<T>,
  needs: AwsNeeds = {},
): Promise<T> {
  const aws = createAwsContext(ctx.io, ctx.global, config);
  try {
    if (needs.stateTable ?? true) await requireStateTable(aws);
    return await work(aws);
  } finally {
    aws.close();
  }
}

/** What a command acting on the configured services works with. */
export interface ServiceScope {
  readonly config: LbGuardConfig;
  /** The service named by `--service`, else all of them. */
  readonly services: readonly ServiceConfig[];
  readonly aws: AwsContext;
}

/**
 * The preamble of every command that acts on the configured services: the config file is
 * loaded and `--service` checked before any AWS client is built, so a typo fails as a usage
 * error without touching the network; then as `withAws`.
 */
export async function withServices<T>(
  ctx: Pick<CommandContext, 'io' | 'global' | 'options'>,
  work: (scope: ServiceScope) => Promise<T>,
  needs: AwsNeeds = {},
): Promise<T> {
  const config = await loadConfig(ctx.io, ctx.global);
  const services = selectServices(config, ctx.options.service);
  return withAws(ctx, config, (aws) => work({ config, services, aws }), needs);
}

/** Renderer for this invocation's stdout. */
export function createRenderer(io: CliIo, global: GlobalOptions): Renderer {
  return new Renderer(io.shouldColor(global.noColor));
}

/** Runs a slow call behind a spinner on stderr (TTY only, never with --json noise on stdout). */
export function spin<T>(io: CliIo, label: string, work: () => Promise<T>): Promise<T> {
  return withSpinner(io.stderr, label, work);
}
