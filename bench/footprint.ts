// Footprint of each function: the esbuild bundle the CDK construct deploys (infra/bundling.ts, the
// options the construct passes to NodejsFunction), with the AWS SDK bundled and with it left to the
// runtime, and the cold import time of each bundle in fresh `node` processes, loaded the way the
// Lambda runtime loads it (`require()` of a CommonJS `index.js` with no package.json type).
//
// Why the SDK stays bundled (the construct's default), from runs on this 2-core machine shared with
// other work (Dec 2026, load 1–3.4, modes alternating run by run, 20 fresh processes each, medians):
// - Left to the runtime, the bundles are 174 / 260 / 269 KiB (probe / inspect / remediate) against
//   386 / 643 / 554 KiB, under the 500 KiB target, but they import 100–130 ms slower (inspect
//   289–308 ms against 193–209): the runtime's SDK is ~40 unminified CommonJS files (1.7 MiB for
//   inspect) that Node resolves, reads and compiles at every cold start, against the tree-shaken,
//   minified part of it in one file. Cold start is paid by every new instance; bundle size only by
//   the deploy. The bundled SDK is also the version the tests ran.
// - Levers kept (infra/bundling.ts), each an interleaved A/B against the previous options:
//   the Lambda-only credential chain (−102 to −125 KiB a function; inspect 260 → 198 ms, probe
//   189 → 162, remediate 189 → 173 at load 3), CommonJS output (probe 162 → 140, remediate
//   173 → 154; inspect unchanged; no createRequire banner), no sourcesContent in the map (3.1 → 1.0
//   MiB for inspect; import time unchanged, since Node reads the map only to format a stack trace).
// - Measured and left out: `legalComments: 'none'` (−0.3 KiB, no time) and no source map at all
//   (no import-time gain).
// - Later, the config, event and env schemas moved to zod/mini (~97 → ~38 KB of zod a bundle).
// - Then inspect's hand-off to remediate moved from Lambda's Invoke to SNS (−70 KiB of
//   @aws-sdk/client-lambda), the SDK's event-stream codec was aliased out (−15 KiB a function,
//   lambdas/bundle-shims/no-event-streams.ts), and remediate's SNS envelope schema moved to its own module.
// - The current figures are in bench/results.md.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { BUNDLE_FILE, esbuildOptions, type SdkMode } from '../infra/bundling.ts';
import { parseConfig } from '../lib/config/index.ts';
import { median, percentile } from './stats.ts';

const run = promisify(execFile);

export const FUNCTIONS = ['probe', 'inspect', 'remediate'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

export type { SdkMode } from '../infra/bundling.ts';

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
    LBGUARD_REMEDIATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:lbguard-bench-remediation',
    LBGUARD_STATE_KEY: 'arn:aws:kms:us-east-1:123456789012:key/0b5a2c6e-8d4f-4a3e-9d1b-2f3c4d5e6f70',
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
  const dir = path.join(outDir, mode, fn);
  const outfile = path.join(dir, BUNDLE_FILE);
  const result = await build({
    ...esbuildOptions(mode),
    entryPoints: [path.join(repoRoot, 'lambdas', fn, 'handler.ts')],
    absWorkingDir: repoRoot,
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  // Lambda's /var/task has no package.json; without this one the repository's `"type": "module"`
  // would make Node read the CommonJS bundle as ESM.
  writeFileSync(path.join(dir, 'package.json'), '{}\n');
  const outputs = result.metafile.outputs;
  const key = Object.keys(outputs).find((k) => k.endsWith(BUNDLE_FILE));
  const output = key === undefined ? undefined : outputs[key];
  if (output === undefined) throw new Error(`esbuild wrote no ${BUNDLE_FILE} for ${fn}`);
  return {
    file: outfile,
    bytes: output.bytes,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    inputsByPackage: bytesByPackage(output.inputs),
  };
}

// As the Lambda runtime loads a handler that is an `index.js` outside a `"type": "module"` package.
const IMPORT_SCRIPT = [
  "import { createRequire } from 'node:module';",
  "import { performance } from 'node:perf_hooks';",
  'const t0 = performance.now();',
  'const loaded = createRequire(import.meta.url)(process.env.BENCH_IMPORT_PATH);',
  'const ms = performance.now() - t0;',
  "if (typeof loaded.handler !== 'function') throw new Error('the bundle exports no handler function');",
  'process.stdout.write(String(ms));',
].join('\n');

async function importOnce(
  file: string,
  env: Record<string, string>,
): Promise<{ importMs: number; processMs: number }> {
  const started = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT], {
    env: { ...env, BENCH_IMPORT_PATH: file },
    timeout: 30_000,
  });
  const processMs = Number(process.hrtime.bigint() - started) / 1e6;
  const importMs = Number(stdout.trim());
  if (!Number.isFinite(importMs)) throw new Error(`cold import of ${file} printed ${JSON.stringify(stdout)}`);
  return { importMs, processMs };
}

/**
 * Bundles every function both ways and imports each bundle `runs` times in fresh processes, the
 * two modes alternating run by run so that load from other work on the machine falls on both alike.
 * Bundles go under node_modules/.cache so that the SDK-external variant resolves `@aws-sdk/*`
 * from the repository's node_modules, as Lambda's runtime would provide it.
 */
export async function measureFootprint(options: FootprintOptions): Promise<BundleFigure[]> {
  const outDir = path.join(options.repoRoot, 'node_modules', '.cache', 'lbguard-bench');
  mkdirSync(outDir, { recursive: true });
  const modes: readonly SdkMode[] = ['bundled', 'sdk-external'];
  const figures: BundleFigure[] = [];
  for (const fn of FUNCTIONS) {
    const env = coldStartEnvironment(options.repoRoot, fn);
    const variants = [];
    for (const mode of modes) {
      const b = await bundle(options.repoRoot, outDir, fn, mode);
      // One unmeasured import warms the OS file cache, so every measured run starts equal.
      await importOnce(b.file, env);
      variants.push({ mode, b, imports: [] as number[], processes: [] as number[] });
    }
    for (let i = 0; i < options.runs; i++) {
      // Alternate which goes first too, so neither always follows the other's page-cache traffic.
      for (const v of i % 2 === 0 ? variants : [...variants].reverse()) {
        const r = await importOnce(v.b.file, env);
        v.imports.push(r.importMs);
        v.processes.push(r.processMs);
      }
    }
    for (const { mode, b, imports, processes } of variants) {
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
