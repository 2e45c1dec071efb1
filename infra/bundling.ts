// One definition of how every function is bundled, read by the construct (`functionCode`, through
// bundle-function.ts) and by bench/footprint.ts and test/unit/infra/bundles.test.ts (esbuild's API), so
// that what is measured and tested is what deploys. Each choice below was measured with
// interleaved fresh-process imports; bench/footprint.ts holds the figures.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AssetHashType } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { BuildOptions, Plugin } from 'esbuild';
import { smithyFallbacksPlugin } from './sdk-fallbacks.ts';
import { sdkTrimPlugin } from './sdk-trim.ts';

/**
 * `bundled`: the AWS SDK goes into the bundle, tree-shaken (the default); `sdk-external`: every
 * `@aws-sdk/*` import is left to the SDK that ships with the Lambda runtime.
 */
export type SdkMode = 'bundled' | 'sdk-external';

/** The package every SDK client takes its default credential chain from. */
export const CREDENTIAL_CHAIN_PACKAGE = '@aws-sdk/credential-provider-node';

/** lbguard's Lambda-only chain (environment, then container endpoint) that replaces it. */
export const LAMBDA_CREDENTIALS_MODULE = path.resolve(
  import.meta.dirname,
  '..',
  'lambdas',
  'bundle-shims',
  'lambda-credentials.ts',
);

/** The SDK's event-stream codec, which no lbguard function calls (see the module below). */
export const EVENT_STREAMS_MODULE = '@smithy/core/event-streams';

/** What the bundles carry in its place: exports that throw a message naming this file. */
export const NO_EVENT_STREAMS_MODULE = path.resolve(
  import.meta.dirname,
  '..',
  'lambdas',
  'bundle-shims',
  'no-event-streams.ts',
);

/** The DynamoDB client's endpoint discovery, which no command of it uses (see the module below). */
export const ENDPOINT_DISCOVERY_MODULE = '@aws-sdk/middleware-endpoint-discovery';

/** What the bundles carry in its place: the configuration passing through, no endpoint cache. */
export const NO_ENDPOINT_DISCOVERY_MODULE = path.resolve(
  import.meta.dirname,
  '..',
  'lambdas',
  'bundle-shims',
  'no-endpoint-discovery.ts',
);

/** Powertools' JMESPath engine, which Idempotency imports but lbguard's apply never reaches. */
export const JMESPATH_MODULES = [
  '@aws-lambda-powertools/jmespath',
  '@aws-lambda-powertools/jmespath/functions',
];

/** What the bundles carry in its place: the two names Idempotency imports, `search` throwing why. */
export const NO_JMESPATH_MODULE = path.resolve(
  import.meta.dirname,
  '..',
  'lambdas',
  'bundle-shims',
  'no-jmespath.ts',
);

/** The config's fleet section schema, which only the CLI parses (the construct leaves the section out). */
export const FLEET_SCHEMA_MODULE = /[\\/]lib[\\/]config[\\/]schema[\\/]fleet\.ts$/;

/** What the bundles carry in its place: a schema that refuses any fleet section, saying why. */
export const NO_FLEET_SCHEMA_MODULE = path.resolve(
  import.meta.dirname,
  '..',
  'lambdas',
  'bundle-shims',
  'no-fleet-schema.ts',
);

/**
 * Bundled mode only: `lib/config/schema/fleet.ts` → `NO_FLEET_SCHEMA_MODULE`. The section's profiles
 * hold whole service sections, ~1.5 KiB of each bundle for a section no function receives
 * (`runtimeConfigFor` in infra/services.ts strips it). A relative import, so a plugin, not an alias.
 */
export function noFleetSchemaPlugin(): Plugin {
  return {
    name: 'lbguard-no-fleet-schema',
    setup(build) {
      build.onResolve({ filter: /[\\/]fleet\.ts$/ }, (args) =>
        FLEET_SCHEMA_MODULE.test(path.resolve(args.resolveDir, args.path))
          ? { path: NO_FLEET_SCHEMA_MODULE }
          : undefined,
      );
    },
  };
}

/**
 * What a bundle carries for the config's fleet section: `stub`, the refusing stand-in (the spoke's
 * functions, whose config never holds the section); `schema`, the real one (the hub's functions,
 * which parse `fleet` and its profiles from LBGUARD_FLEET_CONFIG).
 */
export type FleetSchemaMode = 'stub' | 'schema';

/** The esbuild options every function is bundled with, as plain data both consumers translate. */
export interface FunctionBundling {
  /**
   * CommonJS. The Lambda runtime `require()`s an `index.js` (no package.json beside it), so the
   * bundle needs no `createRequire` banner for the CommonJS code inside it, and `require('node:http')`
   * skips the ESM facade whose export sync loads http2, worker_threads and undici (66 more
   * built-in modules): probe and remediate, which import node:http for probing, cold-import
   * ~20 ms faster; inspect, which does not, is unchanged.
   */
  readonly format: 'cjs';
  readonly platform: 'node';
  /** Matches `Runtime.NODEJS_24_X`: no down-levelling of syntax Node 24 runs natively. */
  readonly target: 'node24';
  readonly minify: true;
  /**
   * Kept: the functions run with `--enable-source-maps`, and Node reads the map only when a stack
   * trace is formatted, so it costs no import time (measured).
   */
  readonly sourcemap: true;
  /** Mappings without the embedded sources: stack traces need only the former; the map is 3× smaller. */
  readonly sourcesContent: false;
  /** The SDK publishes ESM (`module`) builds that tree-shake; `main` is CommonJS. */
  readonly mainFields: readonly string[];
  readonly external: readonly string[];
  /**
   * Bundled mode only: the SDK's full credential chain → lbguard's Lambda-only one, and the SDK's
   * event-stream codec (~15 KiB, reached only by streaming operations) → a module that throws;
   * DynamoDB's endpoint discovery (its endpoint cache and LRU, ~2 KiB), which no command uses →
   * a pass-through configuration;
   * Powertools' JMESPath engine (23 KiB, remediate only) → a module whose `search` throws.
   */
  readonly alias: Readonly<Record<string, string>>;
  /**
   * Bundled mode only: each client's package.json and modelled error classes in compact form
   * (infra/sdk-trim.ts): 31,294 bytes off inspect, 25,975 off remediate, 7,978 off probe.
   */
  readonly trimSdk: boolean;
}

/**
 * The bundling of every lbguard function. Legal comments stay (esbuild's default, at the end of the
 * file): dropping them saved under 0.5 KiB and no measurable time, and they carry the licences.
 */
export function functionBundling(mode: SdkMode = 'bundled'): FunctionBundling {
  return {
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external: mode === 'bundled' ? [] : ['@aws-sdk/*'],
    alias:
      mode === 'bundled'
        ? {
            [CREDENTIAL_CHAIN_PACKAGE]: LAMBDA_CREDENTIALS_MODULE,
            [EVENT_STREAMS_MODULE]: NO_EVENT_STREAMS_MODULE,
            [ENDPOINT_DISCOVERY_MODULE]: NO_ENDPOINT_DISCOVERY_MODULE,
            ...Object.fromEntries(JMESPATH_MODULES.map((m) => [m, NO_JMESPATH_MODULE])),
          }
        : {},
    trimSdk: mode === 'bundled',
  };
}

/** The file name NodejsFunction gives a CommonJS bundle, and the one Lambda loads for `index.handler`. */
export const BUNDLE_FILE = 'index.js';

/** `functionBundling` as esbuild build options (add entryPoints, outfile, metafile…). */
export function esbuildOptions(
  mode: SdkMode = 'bundled',
  fleetSchema: FleetSchemaMode = 'stub',
): BuildOptions {
  const b = functionBundling(mode);
  const fleet = fleetSchema === 'stub' ? [noFleetSchemaPlugin()] : [];
  return {
    bundle: true,
    platform: b.platform,
    format: b.format,
    target: b.target,
    minify: b.minify,
    sourcemap: b.sourcemap,
    sourcesContent: b.sourcesContent,
    mainFields: [...b.mainFields],
    external: [...b.external],
    alias: { ...b.alias },
    plugins: b.trimSdk ? [sdkTrimPlugin(), smithyFallbacksPlugin(), ...fleet] : [],
  };
}

/** The script that bundles one function in a child process (esbuild plugins need its async API). */
export const BUNDLE_SCRIPT = path.resolve(import.meta.dirname, 'bundle-function.ts');

/**
 * The spoke's functions (approve only when enabled, enrol only in discovery mode), each bundled
 * with the fleet schema stub.
 */
export const SPOKE_FUNCTION_NAMES = ['probe', 'inspect', 'remediate', 'approve', 'enrol'] as const;

/** The hub's functions (infra/hub/), which parse the fleet section and so bundle its schema. */
export const HUB_FUNCTION_NAMES = ['hub-ingest', 'hub-coverage'] as const;

/** lbguard's functions, each deployed from `lambdas/<name>/handler.ts`. */
export const FUNCTION_NAMES = [...SPOKE_FUNCTION_NAMES, ...HUB_FUNCTION_NAMES] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** What a function's bundle carries for the fleet section (see `FleetSchemaMode`). */
export function fleetSchemaModeOf(name: FunctionName): FleetSchemaMode {
  return (HUB_FUNCTION_NAMES as readonly string[]).includes(name) ? 'schema' : 'stub';
}

/** The handlers' sources in a clone; an installed package does not carry them. */
export const SOURCE_LAMBDAS_DIR = path.resolve(import.meta.dirname, '..', 'lambdas');

/**
 * Where an installed package keeps the bundles built once at pack time (scripts/build-package.ts):
 * `dist/lambda-bundles/<name>/index.js`, beside the compiled `dist/infra/`. Seen from the sources
 * of a clone this is `lambda-bundles/` at the repository root, which nothing creates, so a clone
 * always deploys what its sources say, never a build left behind by `npm pack`.
 */
export const PREBUILT_BUNDLES_DIR = path.resolve(import.meta.dirname, '..', 'lambda-bundles');

/**
 * The code of one lbguard function: its prebuilt bundle when the package carries one (a consumer
 * then needs neither esbuild nor tsx), else bundled at synth from `<lambdasDir>/<name>/handler.ts`,
 * which only a clone of the repository can do.
 */
export function lbguardFunctionCode(name: FunctionName, lambdasDir?: string): lambda.Code {
  const prebuilt = path.join(PREBUILT_BUNDLES_DIR, name);
  if (lambdasDir === undefined && existsSync(path.join(prebuilt, BUNDLE_FILE))) {
    return lambda.Code.fromAsset(prebuilt);
  }
  const entry = path.join(lambdasDir ?? SOURCE_LAMBDAS_DIR, name, 'handler.ts');
  if (!existsSync(entry) || !existsSync(BUNDLE_SCRIPT)) {
    throw new Error(
      `lbguard: no code for the ${name} function: neither a prebuilt bundle (${path.join(prebuilt, BUNDLE_FILE)}) ` +
        `nor sources to bundle (${entry}). An installed lbguard carries the bundles: reinstall it; ` +
        '`lambdasDir` (bundling from sources) works only in a clone of the lbguard repository.',
    );
  }
  return functionCode(entry, 'bundled', fleetSchemaModeOf(name));
}

/**
 * A function's code: its handler bundled locally by `bundle-function.ts` with `esbuildOptions`, so the
 * construct deploys byte for byte what bench/footprint.ts measures and the bundle tests load. Never
 * in Docker: a failed local bundle fails the synth with esbuild's message. Hashed by output, so an
 * edit anywhere in what the handler imports (and nothing else) changes the asset.
 */
export function functionCode(
  entry: string,
  mode: SdkMode = 'bundled',
  fleetSchema: FleetSchemaMode = 'stub',
): lambda.Code {
  const repoRoot = path.resolve(import.meta.dirname, '..');
  return lambda.Code.fromAsset(path.dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: lambda.Runtime.NODEJS_24_X.bundlingImage,
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(
            process.execPath,
            ['--import', 'tsx', BUNDLE_SCRIPT, entry, outputDir, mode, fleetSchema],
            {
              cwd: repoRoot,
              stdio: ['ignore', 'inherit', 'inherit'],
            },
          );
          return true;
        },
      },
    },
  });
}
