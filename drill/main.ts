import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DRILL_OPTIONS } from './options.ts';
import { renderSummaryTable, type ScenarioResult, writeReport } from './report.ts';
import { runDrill } from './runner.ts';
import { SCENARIOS, selectScenarios } from './scenarios/index.ts';
import { startMoto } from './world/moto.ts';

// The local game day: `lbguard drill` (and `npm run drill`) run here. Starts one moto_server for
// the whole invocation (each scenario resets it and builds a fresh world on it), runs the
// scenarios, writes the report and prints the summary. Exit 0 when every expectation held,
// 1 when one did not, 2 for a usage error.

export interface DrillCommandOptions {
  /** A scenario name or `all`. Default `seed-outage`. */
  readonly scenario: string;
  /** Output directory. Default `drill-out`. */
  readonly out: string;
  /** Run each scenario unguarded too; default: only where the scenario asks (the seed). */
  readonly compareUnguarded: boolean | 'scenario-default';
  readonly ratePerSecond?: number;
  /** Overrides every scenario's observation time after the fault. */
  readonly observeSeconds?: number;
  /** The honest clock: one drill second is one AWS second (seed outage only). */
  readonly realClock?: boolean;
  /** Attach to a running moto_server instead of starting one. */
  readonly motoUrl?: string;
}

export interface DrillCommandOutcome {
  readonly exitCode: 0 | 1 | 2;
  readonly results: readonly ScenarioResult[];
  readonly files: readonly string[];
  readonly summary: string;
}

/**
 * Scenarios whose timings hold on the real clock. The others wait in compressed drill time
 * (`ctx.sleep(12_000)` stands for 12 AWS minutes) and would mean something else at 1:1.
 */
export const REAL_CLOCK_SCENARIOS: readonly string[] = ['seed-outage'];

/** Scenario names and titles, for help and usage errors. */
export function describeScenarios(): string {
  return SCENARIOS.map((s) => `  ${s.name.padEnd(24)} ${s.title}`).join('\n');
}

/**
 * Runs the drill and writes the report. Progress goes to `progress` (stderr for people); the
 * summary table is returned for stdout.
 */
export async function drill(
  options: DrillCommandOptions,
  progress: (line: string) => void,
  now: () => string = () => new Date().toISOString(),
): Promise<DrillCommandOutcome> {
  const scenarios = selectScenarios(options.scenario);
  if (scenarios === undefined) {
    return {
      exitCode: 2,
      results: [],
      files: [],
      summary: `unknown scenario ${options.scenario}; scenarios:\n${describeScenarios()}\n  all`,
    };
  }
  const notReal = scenarios.filter((s) => !REAL_CLOCK_SCENARIOS.includes(s.name));
  if (options.realClock === true && notReal.length > 0) {
    return {
      exitCode: 2,
      results: [],
      files: [],
      summary: `--real-clock runs ${REAL_CLOCK_SCENARIOS.join(', ')} only (${notReal.map((s) => s.name).join(', ')} wait in compressed drill time); use --scenario seed-outage`,
    };
  }
  const startedAt = now();
  const moto = options.motoUrl === undefined ? await startMoto() : undefined;
  const motoUrl = options.motoUrl ?? moto?.url ?? '';
  try {
    const results = await runDrill(scenarios, {
      motoUrl,
      compareUnguarded: options.compareUnguarded,
      progress: (line) => progress(`drill: ${line}`),
      ...(options.ratePerSecond === undefined ? {} : { ratePerSecond: options.ratePerSecond }),
      ...(options.observeSeconds === undefined ? {} : { observeMs: options.observeSeconds * 1000 }),
      ...(options.realClock === true ? { realClock: true } : {}),
    });
    const rate = options.ratePerSecond ?? 150;
    const { files } = await writeReport(resolve(options.out), results, {
      startedAt,
      factor: results[0]?.guarded.run.clock.factor ?? 60,
      rate,
    });
    return {
      exitCode: results.every((r) => r.ok) ? 0 : 1,
      results,
      files,
      summary: renderSummaryTable(results),
    };
  } finally {
    await moto?.stop();
  }
}

const USAGE = `Usage: tsx drill/main.ts [--scenario NAME|all] [--out DIR] [--compare-unguarded | --no-compare-unguarded] [--rate N] [--observe-seconds N] [--real-clock] [--moto-url URL]

Scenarios:
${describeScenarios()}
  all`;

/** Parses the drill's own command line (used when this file is run directly). */
export function parseDrillArgs(argv: readonly string[]): DrillCommandOptions | { readonly usage: string } {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        ...DRILL_OPTIONS,
        'moto-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) return { usage: USAGE };
    const number = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max)
        throw new Error(`--${name} must be a number from ${min} to ${max}`);
      return n;
    };
    const rate = number('rate', values.rate, 10, 1000);
    const observe = number('observe-seconds', values['observe-seconds'], 1, 3600);
    return {
      scenario: values.scenario ?? 'seed-outage',
      out: values.out ?? 'drill-out',
      compareUnguarded:
        values['no-compare-unguarded'] === true
          ? false
          : values['compare-unguarded'] === true
            ? true
            : 'scenario-default',
      ...(rate === undefined ? {} : { ratePerSecond: rate }),
      ...(observe === undefined ? {} : { observeSeconds: observe }),
      ...(values['real-clock'] === true ? { realClock: true } : {}),
      ...(values['moto-url'] === undefined ? {} : { motoUrl: values['moto-url'] }),
    };
  } catch (error) {
    return { usage: `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}` };
  }
}

async function mainCli(): Promise<void> {
  const parsed = parseDrillArgs(process.argv.slice(2));
  if ('usage' in parsed) {
    process.stdout.write(`${parsed.usage}\n`);
    process.exitCode = process.argv.includes('--help') || process.argv.includes('-h') ? 0 : 2;
    return;
  }
  const outcome = await drill(parsed, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${outcome.summary}\n`);
  if (outcome.files.length > 0) process.stdout.write(`\nreport: ${outcome.files[0]}\n`);
  process.exitCode = outcome.exitCode;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('drill/main.ts') === true) {
  await mainCli();
}
