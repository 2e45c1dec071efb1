// One definition of how every function is bundled, read by the construct (NodejsFunction's
// `bundling`) and by bench/footprint.ts and test/unit/infra/bundles.test.ts (esbuild's API), so
// that what is measured and tested is what deploys. Each choice below was measured with
// interleaved fresh-process imports; bench/footprint.ts holds the figures.
import path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

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
   * event-stream codec (~15 KiB, reached only by streaming operations) → a module that throws.
   */
  readonly alias: Readonly<Record<string, string>>;
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
          }
        : {},
  };
}

/** The file name NodejsFunction gives a CommonJS bundle, and the one Lambda loads for `index.handler`. */
export const BUNDLE_FILE = 'index.js';

/** `functionBundling` as esbuild build options (add entryPoints, outfile, metafile…). */
export function esbuildOptions(mode: SdkMode = 'bundled'): BuildOptions {
  const b = functionBundling(mode);
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
  };
}

/** `functionBundling` as NodejsFunction `bundling` props (esbuild run locally, never in Docker). */
export function nodejsBundlingOptions(mode: SdkMode = 'bundled'): nodejs.BundlingOptions {
  const b = functionBundling(mode);
  const alias = Object.entries(b.alias).map(([from, to]) => `${from}=${to}`);
  return {
    forceDockerBundling: false,
    format: b.format === 'cjs' ? nodejs.OutputFormat.CJS : nodejs.OutputFormat.ESM,
    target: b.target,
    minify: b.minify,
    sourceMap: b.sourcemap,
    sourcesContent: b.sourcesContent,
    mainFields: [...b.mainFields],
    externalModules: [...b.external],
    // NodejsFunction has no alias prop; its CLI spelling is `--alias:from=to`.
    ...(alias.length === 0 ? {} : { esbuildArgs: { '--alias': alias } }),
  };
}
