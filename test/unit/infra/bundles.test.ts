// The deployed bundles, built with the construct's own options (infra/bundling.ts), loaded the way
// the Lambda runtime loads them: a fresh `node` that `require()`s index.js with the environment a
// deployed function starts with. Catches what the TypeScript tests cannot: a CommonJS/ESM mix-up,
// an alias that no longer matches the SDK, module scope that throws once bundled.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SelectObjectContentCommand } from '@aws-sdk/client-s3';
import { NormalizedSchema } from '@smithy/core/schema';
import { build } from 'esbuild';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { coldStartEnvironment, FUNCTIONS, type FunctionName } from '../../../bench/footprint.ts';
import {
  BUNDLE_FILE,
  CREDENTIAL_CHAIN_PACKAGE,
  ENDPOINT_DISCOVERY_MODULE,
  EVENT_STREAMS_MODULE,
  esbuildOptions,
  NO_ENDPOINT_DISCOVERY_MODULE,
  NO_EVENT_STREAMS_MODULE,
  NO_JMESPATH_MODULE,
} from '../../../infra/bundling.ts';
import { SMITHY_FALLBACKS } from '../../../infra/sdk-fallbacks.ts';
import {
  defaultProvider,
  NO_LAMBDA_CREDENTIALS_MESSAGE,
} from '../../../lambdas/bundle-shims/lambda-credentials.ts';
import {
  AdaptiveRetryStrategy,
  NO_ADAPTIVE_RETRY_MESSAGE,
} from '../../../lambdas/bundle-shims/no-adaptive-retry.ts';
import {
  NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS,
  resolveEndpointDiscoveryConfig,
} from '../../../lambdas/bundle-shims/no-endpoint-discovery.ts';
import {
  EventStreamSerde,
  eventStreamSerdeProvider,
  NO_EVENT_STREAMS_MESSAGE,
} from '../../../lambdas/bundle-shims/no-event-streams.ts';
import { NO_FLEET_MESSAGE } from '../../../lambdas/bundle-shims/no-fleet-schema.ts';
import { getInstanceMetadataRegion } from '../../../lambdas/bundle-shims/no-imds-region.ts';
import {
  NO_JMESPATH_MESSAGE,
  PowertoolsFunctions,
  search,
} from '../../../lambdas/bundle-shims/no-jmespath.ts';
import {
  NO_S3_ENDPOINTS_MESSAGE,
  resolveParamsForS3,
} from '../../../lambdas/bundle-shims/no-s3-endpoints.ts';
import { NO_SHA256_JS_MESSAGE, Sha256Js } from '../../../lambdas/bundle-shims/no-sha256-js.ts';
import { loadSharedConfigFiles } from '../../../lambdas/bundle-shims/no-shared-config-files.ts';
import { sdkStreamMixin } from '../../../lambdas/bundle-shims/no-web-streams.ts';
import { DESCRIPTIONS } from '../../../lib/config/schema-docs.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const OUT_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'lbguard-bundles-test');
const run = promisify(execFile);

interface Built {
  readonly file: string;
  readonly packages: ReadonlySet<string>;
  /** Every input file that reached the output, relative to the repository. */
  readonly inputs: readonly string[];
  /** The bundle as this run built it (OUT_DIR may be shared with other checkouts' runs). */
  readonly text: string;
}

/** The bench's three, and the approval endpoint's function, deployed only when it is enabled. */
type BundledFunction = FunctionName | 'approve';

const built = new Map<BundledFunction, Built>();

async function bundle(fn: BundledFunction): Promise<Built> {
  const dir = path.join(OUT_DIR, fn);
  const file = path.join(dir, BUNDLE_FILE);
  const result = await build({
    ...esbuildOptions('bundled'),
    entryPoints: [path.join(REPO_ROOT, 'lambdas', fn, 'handler.ts')],
    absWorkingDir: REPO_ROOT,
    outfile: file,
    metafile: true,
    logLevel: 'error',
    write: false,
  });
  // Lambda's /var/task has no package.json; the repository's `"type": "module"` must not apply.
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{}\n');
  for (const output of result.outputFiles) writeFileSync(output.path, output.contents);
  const text = result.outputFiles.find((output) => output.path === file)?.text;
  if (text === undefined) throw new Error(`${fn}: esbuild wrote no ${file}`);
  const packages = new Set<string>();
  const inputs: string[] = [];
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, info] of Object.entries(output.inputs)) {
      if (info.bytesInOutput > 0) inputs.push(input);
      const at = input.lastIndexOf('node_modules/');
      if (info.bytesInOutput === 0 || at < 0) continue;
      const [scope = '', name = ''] = input.slice(at + 'node_modules/'.length).split('/');
      packages.add(scope.startsWith('@') ? `${scope}/${name}` : scope);
    }
  }
  return { file, packages, inputs, text };
}

/** True when an SDK command's operation has an event stream in its input or output. */
function streamsEvents(command: { readonly schema?: unknown }): boolean {
  const op = command.schema;
  if (!Array.isArray(op) || op[0] !== 9) throw new Error('not an SDK operation schema');
  return Boolean(
    NormalizedSchema.of(op[4]).getEventStreamMember() || NormalizedSchema.of(op[5]).getEventStreamMember(),
  );
}

/** The `*Command` classes lbguard's bundled sources import by name from each SDK client package. */
function commandsImported(sources: readonly string[]): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const source of sources) {
    const text = readFileSync(path.join(REPO_ROOT, source), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
      const names = (m[1] ?? '')
        .split(',')
        .map((n) => n.trim().replace(/^type\s+/, ''))
        .filter((n) => n.endsWith('Command'));
      const pkg = m[2] ?? '';
      for (const name of names) found.set(pkg, (found.get(pkg) ?? new Set()).add(name));
    }
  }
  return found;
}

/**
 * Runs in the child before the bundle loads: counts every outgoing connection and fetch, so a
 * test can prove that nothing reached the network.
 */
const NETWORK_SPY = `
const net = require('node:net');
const connections = [];
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  connections.push(JSON.stringify(args[0]));
  return connect.apply(this, args);
};
const fetch = globalThis.fetch;
globalThis.fetch = (...args) => {
  connections.push(String(args[0]));
  return fetch(...args);
};
`;

/** Requires the bundle, optionally calls its handler, and prints one JSON line describing what happened. */
function childScript(invoke: unknown): string {
  return `${NETWORK_SPY}
(async () => {
  const report = { handlerType: undefined, invocation: undefined, connections };
  const loaded = require(process.env.BUNDLE_PATH);
  report.handlerType = typeof loaded.handler;
  ${
    invoke === undefined
      ? ''
      : `const context = {
    functionName: 'lbguard-test', functionVersion: '$LATEST', memoryLimitInMB: '128',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:lbguard-test',
    awsRequestId: '00000000-0000-4000-8000-000000000000', logGroupName: '/aws/lambda/lbguard-test',
    logStreamName: 'test', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000,
    done() {}, fail() {}, succeed() {},
  };
  try {
    const value = await loaded.handler(${JSON.stringify(invoke)}, context);
    report.invocation = { ok: true, value };
  } catch (error) {
    report.invocation = { ok: false, name: error?.name, message: String(error?.message) };
  }`
  }
  process.stdout.write('\\nBUNDLE-REPORT ' + JSON.stringify(report) + '\\n');
})().catch((error) => {
  process.stderr.write(String(error?.stack ?? error));
  process.exitCode = 1;
});
`;
}

interface ChildReport {
  readonly handlerType: string;
  readonly invocation?: { readonly ok: boolean; readonly name?: string; readonly message?: string };
  readonly connections: readonly string[];
  /** Everything else the child wrote: the functions' structured logs. */
  readonly logs: string;
}

/** The approve function's environment as the construct writes it: no config, no topics. */
function approveEnvironment(): Record<string, string> {
  const {
    LBGUARD_CONFIG: _,
    LBGUARD_TOPIC_ARN: _t,
    LBGUARD_REMEDIATION_TOPIC_ARN: _r,
    LBGUARD_STATE_KEY: _k,
    ...rest
  } = coldStartEnvironment(REPO_ROOT, 'remediate');
  return {
    ...rest,
    POWERTOOLS_SERVICE_NAME: 'lbguard-approve',
    AWS_LAMBDA_FUNCTION_NAME: 'lbguard-bench-approve',
    LBGUARD_REMEDIATE_FUNCTION: 'lbguard-bench-remediate',
    LBGUARD_APPROVE_SERVICES: 'shop',
  };
}

async function loadInFreshNode(fn: BundledFunction, invoke?: unknown): Promise<ChildReport> {
  const bundleFile = built.get(fn)?.file;
  if (bundleFile === undefined) throw new Error(`${fn} was not bundled`);
  // A non-zero exit (module scope threw) rejects here with the child's stderr in the message.
  const { stdout, stderr } = await run(process.execPath, ['-e', childScript(invoke)], {
    env: {
      ...(fn === 'approve' ? approveEnvironment() : coldStartEnvironment(REPO_ROOT, fn)),
      BUNDLE_PATH: bundleFile,
    },
    timeout: 30_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('BUNDLE-REPORT '));
  if (line === undefined) throw new Error(`${fn}: the child printed no report:\n${stdout}`);
  const report = JSON.parse(line.slice('BUNDLE-REPORT '.length)) as Omit<ChildReport, 'logs'>;
  return { ...report, logs: `${stdout.replace(line, '')}${stderr}` };
}

beforeAll(async () => {
  for (const fn of [...FUNCTIONS, 'approve'] as const) built.set(fn, await bundle(fn));
}, 120_000);

describe('the deployed approve bundle (the approval endpoint)', () => {
  it('loads in a fresh node with the environment the construct gives it, reaching no network', async () => {
    const report = await loadInFreshNode('approve');
    expect(report.handlerType).toBe('function');
    expect(report.connections).toEqual([]);
  }, 60_000);

  it('rejects an event that did not come through the IAM-auth URL with a ParseError, before any call', async () => {
    const forged = { service: 'shop', planHash: 'a'.repeat(64) };
    const report = await loadInFreshNode('approve', forged);
    expect(report.invocation).toMatchObject({ ok: false, name: 'ParseError' });
    expect(report.connections).toEqual([]);
  }, 60_000);

  it('carries no config schema (it is given no config) and stays within the bundle budget', () => {
    const b = built.get('approve');
    if (b === undefined) throw new Error('approve was not bundled');
    expect(b.inputs).not.toContain('lib/config/schema.ts');
    expect(Buffer.byteLength(b.text)).toBeLessThan(500_000);
    expect(b.packages.has('@aws-sdk/client-dynamodb')).toBe(true);
    expect(b.packages.has('@aws-sdk/client-lambda')).toBe(false);
  });
});

describe.each(FUNCTIONS)('the deployed %s bundle', (fn) => {
  it('loads in a fresh node with the deployed environment and exports a handler function', async () => {
    // AWS_LAMBDA_FUNCTION_NAME is set, so module scope builds config and clients as in Lambda.
    const report = await loadInFreshNode(fn);
    expect(report.handlerType).toBe('function');
    expect(report.connections).toEqual([]);
  }, 60_000);

  it("carries lbguard's Lambda credential chain instead of the SDK's full one", () => {
    const packages = built.get(fn)?.packages ?? new Set<string>();
    expect(packages.has('@aws-sdk/client-dynamodb')).toBe(true);
    expect(
      [...packages]
        .filter((p) => p === CREDENTIAL_CHAIN_PACKAGE || p.startsWith('@aws-sdk/credential-provider-'))
        .sort(),
    ).toEqual(['@aws-sdk/credential-provider-env', '@aws-sdk/credential-provider-http']);
    expect(packages.has('@aws-sdk/nested-clients')).toBe(false);
  });

  it("parses its config without the JSON Schema's documentation, which only the schema generator reads", () => {
    const built_ = built.get(fn);
    if (built_ === undefined) throw new Error(`${fn} was not bundled`);
    // The config schema itself is in: the check looks at the right kind of input path.
    expect(built_.inputs).toContain('lib/config/schema.ts');
    expect(built_.inputs).not.toContain('lib/config/schema-docs.ts');
    expect(Object.values(DESCRIPTIONS).filter((description) => built_.text.includes(description))).toEqual(
      [],
    );
  });

  it("carries no schema for the fleet section, which the construct leaves out of the functions' config", () => {
    const b = built.get(fn);
    if (b === undefined) throw new Error(`${fn} was not bundled`);
    expect(b.inputs).toContain('lib/config/schema.ts');
    expect(b.inputs).not.toContain('lib/config/schema/fleet.ts');
    expect(b.inputs).toContain('lambdas/bundle-shims/no-fleet-schema.ts');
    expect(b.text).toContain(NO_FLEET_MESSAGE);
  });

  it("carries no KMS client: the state table's GenerateMac and VerifyMac are signed by hand", () => {
    const b = built.get(fn);
    if (b === undefined) throw new Error(`${fn} was not bundled`);
    // ~18 KB in inspect and remediate for two calls (state-store/state-signer.ts); the CLI keeps the
    // client for `lbguard init`, whose code no function imports.
    expect(b.packages.has('@aws-sdk/client-kms')).toBe(false);
    expect(b.inputs.filter((i) => i.includes('/@aws-sdk/client-kms/'))).toEqual([]);
    // The check looks at the right kind of path: the clients a function does build are listed.
    expect(b.packages.has('@aws-sdk/client-dynamodb')).toBe(true);
  });

  it('carries no DynamoDB document client: the state store marshals with util-dynamodb itself', () => {
    const packages = built.get(fn)?.packages ?? new Set<string>();
    // The document client cost ~7 KB per bundle for marshalling the store now does in a few lines.
    expect(packages.has('@aws-sdk/lib-dynamodb')).toBe(false);
    expect(packages.has('@aws-sdk/util-dynamodb')).toBe(true);
  });
});

describe("the SDK's event-stream codec, left out of every bundle", () => {
  it.each(FUNCTIONS)('is not in %s, and no operation that bundle calls streams events', async (fn) => {
    const built_ = built.get(fn);
    if (built_ === undefined) throw new Error(`${fn} was not bundled`);
    expect(built_.inputs.filter((i) => i.includes('/event-streams/'))).toEqual([]);
    expect(built_.inputs).toContain(path.relative(REPO_ROOT, NO_EVENT_STREAMS_MODULE));
    const sources = built_.inputs.filter((i) => !i.includes('node_modules/') && i.endsWith('.ts'));
    const imported = commandsImported(sources);
    // Something must be checked: every function's state store names DynamoDB's commands itself.
    expect(imported.get('@aws-sdk/client-dynamodb')?.size ?? 0).toBeGreaterThan(0);
    for (const [pkg, names] of imported) {
      const client = (await import(pkg)) as Record<string, new (input: object) => { schema?: unknown }>;
      for (const name of names) {
        const Command = client[name];
        if (Command === undefined) throw new Error(`${pkg} exports no ${name}`);
        expect({ pkg, name, streams: streamsEvents(new Command({})) }).toEqual({ pkg, name, streams: false });
      }
    }
  });

  it('would be caught: the check sees the stream of an operation that has one', () => {
    expect(streamsEvents(new SelectObjectContentCommand({ Bucket: 'b', Key: 'k' } as never))).toBe(true);
  });

  it(`stands in for ${EVENT_STREAMS_MODULE} with exports that say why they fail`, () => {
    expect(() => new EventStreamSerde()).toThrow(NO_EVENT_STREAMS_MESSAGE);
    expect(() => eventStreamSerdeProvider()).toThrow(/infra\/bundling\.ts/);
  });
});

describe("Powertools' JMESPath engine, left out of the remediate bundle", () => {
  it('is replaced by the shim in remediate, the one function that carries Idempotency', () => {
    const remediate = built.get('remediate');
    if (remediate === undefined) throw new Error('remediate was not bundled');
    expect(remediate.packages.has('@aws-lambda-powertools/idempotency')).toBe(true);
    expect(remediate.inputs.filter((i) => i.includes('/jmespath/'))).toEqual([]);
    expect(remediate.inputs).toContain(path.relative(REPO_ROOT, NO_JMESPATH_MODULE));
  });

  it('stands in with a quiet PowertoolsFunctions and a search that says why it fails', () => {
    expect(new PowertoolsFunctions()).toBeInstanceOf(PowertoolsFunctions);
    expect(() => search()).toThrow(NO_JMESPATH_MESSAGE);
    expect(() => search()).toThrow(/apply-once\.ts/);
  });
});

describe("DynamoDB's endpoint discovery, left out of every bundle", () => {
  /** The middleware names each DynamoDB command's own stack holds once resolved against a client. */
  async function commandMiddleware(): Promise<Map<string, string[]>> {
    const dynamodb = (await import('@aws-sdk/client-dynamodb')) as unknown as Record<string, unknown>;
    const client = new (
      dynamodb.DynamoDBClient as new (
        c: object,
      ) => {
        middlewareStack: unknown;
        config: unknown;
        destroy(): void;
      }
    )({ region: 'us-east-1', endpointDiscoveryEnabled: true });
    const found = new Map<string, string[]>();
    for (const [name, Command] of Object.entries(dynamodb)) {
      if (!/^[A-Z]\w*Command$/.test(name)) continue;
      const command = new (
        Command as new (
          input: object,
        ) => {
          middlewareStack: { identify(): string[] };
          resolveMiddleware(stack: unknown, config: unknown, options: object): unknown;
        }
      )({});
      command.resolveMiddleware(client.middlewareStack, client.config, {});
      found.set(name, command.middlewareStack.identify());
    }
    client.destroy();
    return found;
  }

  it.each(FUNCTIONS)('is replaced by the pass-through in %s', (fn) => {
    const built_ = built.get(fn);
    if (built_ === undefined) throw new Error(`${fn} was not bundled`);
    expect(built_.packages.has(ENDPOINT_DISCOVERY_MODULE)).toBe(false);
    expect(built_.packages.has('@aws-sdk/endpoint-cache')).toBe(false);
    expect(built_.inputs).toContain(path.relative(REPO_ROOT, NO_ENDPOINT_DISCOVERY_MODULE));
  });

  it('is asked for by no DynamoDB command, even with discovery switched on', async () => {
    const stacks = await commandMiddleware();
    expect(stacks.size).toBeGreaterThan(50);
    expect([...stacks].filter(([, ids]) => ids.some((id) => /discovery/i.test(id)))).toEqual([]);
  });

  it('would be caught: the check sees the middleware when a command has it', async () => {
    const { getEndpointDiscoveryPlugin } = await import('@aws-sdk/middleware-endpoint-discovery');
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    const command = new PutItemCommand({ TableName: 't', Item: {} });
    command.middlewareStack.use(
      getEndpointDiscoveryPlugin({} as never, {
        clientStack: command.middlewareStack,
        isDiscoveredEndpointRequired: false,
      }),
    );
    expect(command.middlewareStack.identify().some((id) => /discovery/i.test(id))).toBe(true);
  });

  it('passes the configuration through and reads no setting', () => {
    const input = { region: 'us-east-1' };
    expect(resolveEndpointDiscoveryConfig(input)).toBe(input);
    expect(NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS.environmentVariableSelector()).toBeUndefined();
  });
});

describe("@smithy/core's fallbacks a Lambda function never takes, left out of every bundle", () => {
  it.each(FUNCTIONS)('replaces the JavaScript SHA-256 and the instance-metadata region in %s', (fn) => {
    const built_ = built.get(fn);
    if (built_ === undefined) throw new Error(`${fn} was not bundled`);
    // The S3 endpoint rules are out because no function talks to S3.
    expect(built_.packages.has('@aws-sdk/client-s3')).toBe(false);
    for (const f of SMITHY_FALLBACKS) expect(built_.inputs).toContain(path.relative(REPO_ROOT, f.shim));
    expect(
      built_.inputs.filter((i) =>
        /Sha256Js\.js$|getInstanceMetadataRegion\.js$|AdaptiveRetryStrategy\.js$|DefaultRateLimiter\.js$|sdk-stream-mixin\.browser\.js$|service-customizations[\\/]s3\.js$|loadSharedConfigFiles\.js$|parseIni\.js$/.test(
          i,
        ),
      ),
    ).toEqual([]);
  });

  it('takes the native hash on this Node, so the JavaScript one is never reached', async () => {
    const { Sha256Node } = await import('@smithy/core/checksum');
    const hash = new Sha256Node();
    hash.update(new TextEncoder().encode('lbguard'));
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe(
      createHash('sha256').update('lbguard').digest('hex'),
    );
    expect(Sha256Node.name).toBe('Sha256Node');
  });

  it('stands in with a SHA-256 that says why it fails and a region lookup that finds none', async () => {
    expect(() => new Sha256Js()).toThrow(NO_SHA256_JS_MESSAGE);
    expect(await getInstanceMetadataRegion()).toBeUndefined();
    expect(() => new AdaptiveRetryStrategy()).toThrow(NO_ADAPTIVE_RETRY_MESSAGE);
    expect(() => sdkStreamMixin()).toThrow(/web-stream/);
    await expect(resolveParamsForS3()).rejects.toThrow(NO_S3_ENDPOINTS_MESSAGE);
    expect(await loadSharedConfigFiles()).toEqual({ configFile: {}, credentialsFile: {} });
  });

  it("builds the standard retry strategy for lbguard's clients, never the adaptive one", async () => {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({ region: 'us-east-1', maxAttempts: 2 });
    const strategy = await (
      client.config.retryStrategy as () => Promise<{ constructor: { name: string } }>
    )();
    expect(strategy.constructor.name).toBe('StandardRetryStrategy');
    client.destroy();
  });
});

describe('the deployed probe bundle', () => {
  it('rejects a malformed event with a ParseError before any network call', async () => {
    const report = await loadInFreshNode('probe', { kind: 'probe', loopSeconds: 'soon' });
    expect(report.invocation).toMatchObject({ ok: false, name: 'ParseError' });
    // The shared middleware logs why, with the request id, before the error reaches Lambda.
    expect(report.logs).toContain('malformed event rejected');
    expect(report.connections).toEqual([]);
  }, 60_000);
});

describe("the Lambda credential chain that replaces the SDK's", () => {
  const CREDENTIAL_VARIABLES = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_CREDENTIAL_EXPIRATION',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_PROFILE',
  ];
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const clearCredentials = () => {
    for (const name of CREDENTIAL_VARIABLES) vi.stubEnv(name, undefined);
  };

  it('returns the keys Lambda puts in the environment, and keeps them', async () => {
    clearCredentials();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token');
    const provider = defaultProvider();
    expect(await provider()).toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDCHANGED');
    expect((await provider()).accessKeyId).toBe('AKIDEXAMPLE');
  });

  it('says what it reads when neither the environment nor a container endpoint has credentials', async () => {
    clearCredentials();
    // A profile would have satisfied the SDK's own chain; this one must not pretend to read it.
    vi.stubEnv('AWS_PROFILE', 'dev');
    await expect(defaultProvider()()).rejects.toThrow(NO_LAMBDA_CREDENTIALS_MESSAGE);
  });

  it('asks the container endpoint when Lambda advertises one', async () => {
    clearCredentials();
    // A host fromHttp refuses: proves the endpoint was consulted, without a connection.
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', 'http://credentials.example.com/creds');
    await expect(defaultProvider()()).rejects.toThrow(/credentials\.example\.com|URL|host/i);
  });
});
