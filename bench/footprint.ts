// Footprint of each function: the esbuild bundle the CDK construct deploys (same options as
// infra/lbguard-construct.ts `bundling`), with the AWS SDK bundled and with it left to the
// runtime, and the cold import time of each bundle in fresh `node` processes.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { parseConfig } from '../lib/config/index.ts';
import { median, percentile } from './stats.ts';

const run = promisify(execFile);

export const FUNCTIONS = ['probe', 'inspect', 'remediate'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** `bundled`: the construct's default (`externalModules: []`); `sdk-external`: `@aws-sdk/*` from the runtime. */
export type SdkMode = 'bundled' | 'sdk-external';

export interface BundleFigure {
  readonly fn: FunctionName;
  readonly mode: SdkMode;
  /** Minified JS as written (metafile `outputs[…].bytes`), source map excluded. */
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Input bytes by top-level package (`lbguard` for this repository), largest first. */
  readonly inputsByPackage: readonly { readonly name: string; readonly bytes: number }[];
  /** Cold import of the bundle, ms: median, p90 and every sample, in fresh processes. */
  readonly importMs: { readonly median: number; readonly p90: number; readonly samples: readonly number[] };
  /** Whole `node` process wall time (boot + import + exit), median ms. */
  readonly processMedianMs: number;
}

export interface FootprintOptions {
  readonly repoRoot: string;
  /** Fresh processes per bundle; the issue asks for at least 20. */
  readonly runs: number;
  readonly log: (line: string) => void;
}

/** The construct's bundling options (infra/lbguard-construct.ts), so the figure is what deploys. */
const CONSTRUCT_BANNER =
  "import { createRequire as lbguardCreateRequire } from 'node:module'; const require = lbguardCreateRequire(import.meta.url);";

/**
 * The environment a deployed function starts with, with values that keep module scope from
 * failing and every AWS call on a closed loopback port. `AWS_LAMBDA_FUNCTION_NAME` makes
 * `atColdStart` build its dependencies at import, as it does inside Lambda.
 */
export function coldStartEnvironment(repoRoot: string, fn: FunctionName): Record<string, string> {
  const text = readFileSync(path.join(repoRoot, 'lbguard.config.example.yaml'), 'utf8');
  const parsed = parseConfig(text, 'lbguard.config.example.yaml');
  if (!parsed.ok) throw new Error(`example config does not parse: ${JSON.stringify(parsed.issues)}`);
  return {
    PATH: process.env.PATH ?? '',
    LBGUARD_CONFIG: JSON.stringify(parsed.config),
    LBGUARD_TABLE: 'lbguard-bench',
    LBGUARD_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:lbguard-bench',
    LBGUARD_REMEDIATE_FUNCTION: 'lbguard-bench-remediate',
    POWERTOOLS_METRICS_NAMESPACE: 'LbGuard',
    POWERTOOLS_SERVICE_NAME: `lbguard-${fn}`,
    AWS_LAMBDA_FUNCTION_NAME: `lbguard-bench-${fn}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    // As deployed (sharedEnvironment in the construct): stack traces through the source map.
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/** Sums metafile input bytes per npm package; the repository's own files count as `lbguard`. */
export function bytesByPackage(inputs: Readonly<Record<string, { readonly bytesInOutput: number }>>): {
  readonly name: string;
  readonly bytes: number;
}[] {
  const totals = new Map<string, number>();
  for (const [file, info] of Object.entries(inputs)) {
    const name = packageOf(file);
    totals.set(name, (totals.get(name) ?? 0) + info.bytesInOutput);
  }
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/** `node_modules/@aws-sdk/client-sns/dist-es/x.js` → `@aws-sdk/client-sns`; own files → `lbguard`. */
export function packageOf(file: string): string {
  const at = file.lastIndexOf('node_modules/');
  if (at < 0) return 'lbguard';
  const parts = file.slice(at + 'node_modules/'.length).split('/');
  const first = parts[0] ?? '';
  return first.startsWith('@') ? `${first}/${parts[1] ?? ''}` : first;
}

async function bundle(
  repoRoot: string,
  outDir: string,
  fn: FunctionName,
  mode: SdkMode,
): Promise<{
  file: string;
  bytes: number;
  sourceMapBytes: number;
  inputsByPackage: BundleFigure['inputsByPackage'];
}> {
  const outfile = path.join(outDir, mode, fn, 'index.mjs');
  const result = await build({
    entryPoints: [path.join(repoRoot, 'lambdas', fn, 'handler.ts')],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    external: mode === 'bundled' ? [] : ['@aws-sdk/*'],
    banner: { js: CONSTRUCT_BANNER },
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = result.metafile.outputs;
  const key = Object.keys(outputs).find((k) => k.endsWith('index.mjs'));
  const output = key === undefined ? undefined : outputs[key];
  if (output === undefined) throw new Error(`esbuild wrote no index.mjs for ${fn}`);
  return {
    file: outfile,
    bytes: output.bytes,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    inputsByPackage: bytesByPackage(output.inputs),
  };
}

const IMPORT_SCRIPT = [
  "import { performance } from 'node:perf_hooks';",
  'const t0 = performance.now();',
  'await import(process.env.BENCH_IMPORT_URL);',
  'process.stdout.write(String(performance.now() - t0));',
].join('\n');

async function importOnce(
  file: string,
  env: Record<string, string>,
): Promise<{ importMs: number; processMs: number }> {
  const started = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT], {
    env: { ...env, BENCH_IMPORT_URL: pathToFileURL(file).href },
    timeout: 30_000,
  });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  const importMs = Number(stdout.trim());
  if (!Number.isFinite(importMs)) throw new Error(`cold import of ${file} printed ${JSON.stringify(stdout)}`);
  return { importMs, processMs };
}

/**
 * Bundles every function both ways and imports each bundle `runs` times in fresh processes.
 * Bundles go under node_modules/.cache so that the SDK-external variant resolves `@aws-sdk/*`
 * from the repository's node_modules, as Lambda's runtime would provide it.
 */
export async function measureFootprint(options: FootprintOptions): Promise<BundleFigure[]> {
  const outDir = path.join(options.repoRoot, 'node_modules', '.cache', 'lbguard-bench');
  mkdirSync(outDir, { recursive: true });
  const figures: BundleFigure[] = [];
  for (const fn of FUNCTIONS) {
    const env = coldStartEnvironment(options.repoRoot, fn);
    for (const mode of ['bundled', 'sdk-external'] as const) {
      const b = await bundle(options.repoRoot, outDir, fn, mode);
      // One unmeasured import warms the OS file cache, so every measured run starts equal.
      await importOnce(b.file, env);
      const imports: number[] = [];
      const processes: number[] = [];
      for (let i = 0; i < options.runs; i++) {
        const r = await importOnce(b.file, env);
        imports.push(r.importMs);
        processes.push(r.processMs);
      }
      const figure: BundleFigure = {
        fn,
        mode,
        bytes: b.bytes,
        sourceMapBytes: b.sourceMapBytes,
        inputsByPackage: b.inputsByPackage.slice(0, 12),
        importMs: { median: median(imports), p90: percentile(imports, 90), samples: imports },
        processMedianMs: median(processes),
      };
      options.log(
        `footprint ${fn} ${mode}: ${(b.bytes / 1024).toFixed(1)} KiB, import median ${figure.importMs.median.toFixed(1)} ms`,
      );
      figures.push(figure);
    }
  }
  return figures;
}
