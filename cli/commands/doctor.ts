import { spawnSync } from 'node:child_process';
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import {
  type AwsContext,
  loadOptionalConfig,
  resolveEndpoint,
  resolveRegion,
  spin,
  withAws,
} from '../context.ts';
import { EXIT } from '../exit.ts';
import type { CliIo } from '../io.ts';
import { findOnPath, INSTALL } from '../prerequisites.ts';

export type CheckStatus = 'ok' | 'warn' | 'missing';

/** One prerequisite: what was found, and the exact command that fixes it when it is missing. */
export interface DoctorCheck {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

// The install commands and the PATH lookup live in ../prerequisites.ts, shared with `drill`'s
// preflight; re-exported here, where readers and tests look for the doctor's words.
export { findOnPath, INSTALL };

/** Node ≥ 22 is required (vitest 5, middy 7); 24 is what the Lambda runtime and CI use. */
export function checkNode(version: string): DoctorCheck {
  const major = Number.parseInt(version.replace(/^v/, ''), 10);
  if (!Number.isFinite(major) || major < 22) {
    return {
      name: 'node',
      status: 'missing',
      detail: `Node ${version} is too old; lbguard needs Node 22 or later (24 recommended)`,
      fix: INSTALL.node,
    };
  }
  if (major < 24) {
    return {
      name: 'node',
      status: 'warn',
      detail: `Node ${version} works; 24 is recommended (the Lambda runtime lbguard deploys)`,
      fix: INSTALL.node,
    };
  }
  return { name: 'node', status: 'ok', detail: `Node ${version}` };
}

function checkProgram(
  io: CliIo,
  name: string,
  program: string,
  purpose: string,
  fix: string,
  versionArgs?: readonly string[],
): DoctorCheck {
  const found = findOnPath(program, io.env.PATH);
  if (found === undefined) {
    return { name, status: 'missing', detail: `${program} not found on PATH (${purpose})`, fix };
  }
  if (versionArgs === undefined) return { name, status: 'ok', detail: found };
  const run = spawnSync(found, [...versionArgs], { encoding: 'utf8', timeout: 5_000 });
  const firstLine = `${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n')[0]?.trim() ?? '';
  return { name, status: 'ok', detail: firstLine === '' ? found : `${found} (${firstLine})` };
}

/** Resolves credentials through the SDK's own chain, bounded so a missing IMDS cannot hang. */
async function checkCredentials(resolveCredentials: () => Promise<unknown>, io: CliIo): Promise<DoctorCheck> {
  const fix =
    'export AWS_PROFILE=NAME (or pass --profile NAME), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for moto any value works: AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing';
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const creds = (await Promise.race([
      resolveCredentials(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out after 3 s')), 3_000);
      }),
    ])) as { accessKeyId?: string };
    const source = io.env.AWS_PROFILE
      ? `profile ${io.env.AWS_PROFILE}`
      : io.env.AWS_ACCESS_KEY_ID
        ? 'environment'
        : 'default provider chain';
    const key = creds.accessKeyId ?? '';
    // Enough of the key id to tell two accounts apart, never the secret.
    const shown =
      key.length > 8 ? `${key.slice(0, 4)}…${key.slice(-4)}` : key === '' ? '?' : `${key.slice(0, 2)}…`;
    return { name: 'aws-credentials', status: 'ok', detail: `found (${source}, key ${shown})` };
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { name: 'aws-credentials', status: 'missing', detail: `no AWS credentials: ${why}`, fix };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * `lbguard doctor`: the prerequisites of tests and drills (Node, moto_server, cfn-lint, haproxy, socat)
 * and of every other command (AWS credentials, a reachable endpoint, the state table), each
 * with the exact command that installs or fixes it. Exit 1 when anything is missing.
 */
export async function doctor(ctx: CommandContext): Promise<CommandResult> {
  const { io, global, render } = ctx;
  const checks: DoctorCheck[] = [
    checkNode(process.version),
    checkProgram(
      io,
      'moto_server',
      'moto_server',
      'the AWS emulator for integration tests and drills',
      INSTALL.moto,
    ),
    checkProgram(
      io,
      'cfn-lint',
      'cfn-lint',
      "lints the synthesized CloudFormation in the tests' infra checks",
      INSTALL.cfnLint,
    ),
    checkProgram(io, 'haproxy', 'haproxy', 'the local load balancer of the drill', INSTALL.haproxy, ['-v']),
    checkProgram(io, 'socat', 'socat', "talks to HAProxy's runtime API in drills", INSTALL.socat),
  ];

  const config = await loadOptionalConfig(io, global);
  const region = resolveRegion(global, config, io);
  const endpoint = resolveEndpoint(global, io);
  checks.push(
    region === undefined
      ? {
          name: 'aws-region',
          status: 'missing',
          detail: 'no region configured',
          fix: 'export AWS_REGION=us-east-1 (or pass --region, or set region: in lbguard.config.yaml)',
        }
      : { name: 'aws-region', status: 'ok', detail: region },
  );

  if (region !== undefined) {
    await withAws(
      ctx,
      config,
      async (aws) => {
        const credentials = await checkCredentials(async () => {
          const provider = aws.clients.dynamodb.config.credentials;
          return provider();
        }, io);
        checks.push(credentials);
        if (credentials.status === 'ok') {
          checks.push(...(await spin(io, 'checking the AWS endpoint', () => checkEndpoint(aws, endpoint))));
        }
      },
      { stateTable: false },
    );
  }

  const missing = checks.filter((c) => c.status === 'missing');
  const exitCode = missing.length === 0 ? EXIT.ok : EXIT.findings;
  const lines = checks.map((c) => {
    const tone = c.status === 'ok' ? 'ok' : c.status === 'warn' ? 'warn' : 'bad';
    const head = render.mark(tone, `${render.paint('bold', c.name)}: ${c.detail}`);
    return c.fix !== undefined && c.status !== 'ok'
      ? `${head}\n    fix: ${render.paint('accent', c.fix)}`
      : head;
  });
  lines.push(
    '',
    missing.length === 0
      ? 'All prerequisites found.'
      : `${missing.length} prerequisite(s) missing; run the fix command shown for each.`,
  );
  return { exitCode, document: envelope('doctor', exitCode, { checks }), text: lines.join('\n') };
}

async function checkEndpoint(aws: AwsContext, endpoint: string | undefined): Promise<DoctorCheck[]> {
  const where = endpoint ?? `AWS (${aws.region ?? 'default region'})`;
  try {
    await aws.clients.dynamodb.send(new ListTablesCommand({ Limit: 1 }));
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return [
      {
        name: 'aws-endpoint',
        status: 'missing',
        detail: `${where} did not answer DynamoDB ListTables: ${name}: ${message}`,
        fix:
          endpoint === undefined
            ? 'check network access and that the credentials are allowed dynamodb:ListTables'
            : `start the emulator (moto_server -p ${portOf(endpoint)}) or fix --endpoint-url / AWS_ENDPOINT_URL`,
      },
    ];
  }
  const endpointCheck: DoctorCheck = { name: 'aws-endpoint', status: 'ok', detail: `${where} answers` };
  try {
    await aws.clients.dynamodb.send(new DescribeTableCommand({ TableName: aws.tableName }));
    return [endpointCheck, { name: 'state-table', status: 'ok', detail: aws.tableName }];
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
    return [
      endpointCheck,
      {
        name: 'state-table',
        status: 'missing',
        detail: `table ${aws.tableName} does not exist`,
        fix: `lbguard init --table ${aws.tableName}`,
      },
    ];
  }
}

function portOf(endpoint: string): string {
  const url = new URL(endpoint);
  return url.port === '' ? '5000' : url.port;
}
