import { REAL_CLOCK_SCENARIOS, drill as runDrillCommand } from '../../drill/main.ts';
import { SCENARIOS, selectScenarios } from '../../drill/scenarios/index.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { EXIT, usageError } from '../exit.ts';
import { missingDrillTools } from '../prerequisites.ts';

/** A flag's number, within bounds, or a usage error that says what is allowed. */
function numberFlag(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw usageError(
      `--${name} must be a number from ${min} to ${max}`,
      `e.g. lbguard drill --${name} ${min}`,
    );
  }
  return n;
}

/**
 * `lbguard drill`: the local game day (drill/). `--endpoint-url` attaches to a running
 * moto_server instead of starting one. Progress goes to stderr; stdout carries the summary
 * table, or the JSON document with `--json`.
 */
export async function drill(ctx: CommandContext): Promise<CommandResult> {
  const { options, global, io } = ctx;
  const scenario = options.scenario ?? 'seed-outage';
  if (selectScenarios(scenario) === undefined) {
    throw usageError(
      `unknown scenario ${scenario}`,
      `scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}, all`,
    );
  }
  if (options.realClock === true && !REAL_CLOCK_SCENARIOS.includes(scenario)) {
    throw usageError(
      `--real-clock runs ${REAL_CLOCK_SCENARIOS.join(', ')} only: the other scenarios wait in compressed drill time`,
      'lbguard drill --scenario seed-outage --real-clock',
    );
  }
  const rate = numberFlag('rate', options.rate, 10, 1000);
  const observe = numberFlag('observe-seconds', options.observeSeconds, 1, 3600);
  const endpoint = global.endpointUrl ?? io.env.AWS_ENDPOINT_URL;
  const absent = missingDrillTools(io.env.PATH, endpoint !== undefined);
  if (absent.length > 0) {
    // The doctor's words: what is missing, why, and the exact command that installs it.
    const lines = absent.flatMap((t) => [
      `✗ ${t.program}: not found on PATH (${t.purpose})`,
      `    fix: ${t.fix}`,
    ]);
    return {
      exitCode: EXIT.findings,
      document: envelope('drill', EXIT.findings, { missing: absent }),
      text: [
        ...lines,
        '',
        `${absent.length} prerequisite(s) missing; run the fix command shown for each.`,
      ].join('\n'),
    };
  }
  const outcome = await runDrillCommand(
    {
      scenario,
      out: options.out ?? 'drill-out',
      compareUnguarded: options.compareUnguarded ?? 'scenario-default',
      ...(rate === undefined ? {} : { ratePerSecond: rate }),
      ...(observe === undefined ? {} : { observeSeconds: observe }),
      ...(options.realClock === true ? { realClock: true } : {}),
      ...(endpoint === undefined ? {} : { motoUrl: endpoint }),
    },
    (line) => io.stderr.write(`${line}\n`),
    () => io.now(),
  );
  const exitCode = outcome.exitCode === 0 ? EXIT.ok : outcome.exitCode === 1 ? EXIT.findings : EXIT.usage;
  const report = outcome.files[0];
  return {
    exitCode,
    document: envelope('drill', exitCode, {
      report: report ?? null,
      files: outcome.files,
      scenarios: outcome.results.map((r) => ({
        name: r.scenario.name,
        ok: r.ok,
        cause: r.guarded.analysis.cause ?? null,
        mttdMs: r.guarded.analysis.detected ?? null,
        mttrMs: r.guarded.analysis.recovered ?? null,
        rebalancedMs: r.guarded.analysis.rebalanced ?? null,
        // When a CloudWatch 5xx alarm (1-minute period, 1 datapoint, > 0) would have fired on the same traffic.
        alarmMs: r.guarded.analysis.baselineAlarm.firedAt ?? null,
        failed: r.guarded.analysis.failedAfterFault,
        requests: r.guarded.analysis.requestsAfterFault,
        unguardedFailed: r.unguarded?.analysis.failedAfterFault ?? null,
        elbv2Writes: r.guarded.run.writes.map((w) => w.op),
        checks: r.checks,
      })),
    }),
    text: report === undefined ? outcome.summary : `${outcome.summary}\n\nreport: ${report}`,
  };
}
