import { setTimeout as sleep } from 'node:timers/promises';
import { HttpProber } from '../../lambdas/adapters/http-prober.ts';
import { gateServices } from '../../lambdas/flows/verify.ts';
import type { GateVerdict } from '../../lib/gate.ts';
import type { CommandOptions } from '../args.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { spin, withServices } from '../context.ts';
import { EXIT, usageError } from '../exit.ts';
import { renderGate } from '../gate-views.ts';
import { describeLintFailure, renderVerifyLint, type ServiceLint } from '../lint-views.ts';
import { progressTo } from '../progress.ts';
import type { Renderer } from '../render.ts';
import { createCliRuntime } from '../runtime.ts';
import { lintServices } from './lint.ts';

/** Long enough for a re-registered target to leave `initial` (5 × 30 s by default), with margin. */
const DEFAULT_TIMEOUT_SECONDS = 300;
/** The probe function's own interval. */
const DEFAULT_INTERVAL_SECONDS = 10;

interface Waiting {
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
}

function seconds(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw usageError(
      `--${flag} ${value} is not a whole number of seconds from 1 to ${max}`,
      `e.g. --${flag} ${fallback}`,
    );
  }
  return n;
}

function waitingOf(options: CommandOptions): Waiting | undefined {
  if (!options.wait) return undefined;
  return {
    timeoutSeconds: seconds('timeout', options.timeout, DEFAULT_TIMEOUT_SECONDS, 3600),
    intervalSeconds: seconds('interval', options.interval, DEFAULT_INTERVAL_SECONDS, 300),
  };
}

function failingLine(verdicts: readonly GateVerdict[], lint: readonly ServiceLint[]): string {
  const lintFailure = describeLintFailure(lint);
  return [
    ...verdicts.filter((v) => !v.ok).map((v) => `${v.service}: ${v.cause}: ${v.summary}`),
    ...(lintFailure === undefined ? [] : [lintFailure]),
  ].join('; ');
}

function renderVerify(
  render: Renderer,
  verdicts: readonly GateVerdict[],
  lint: readonly ServiceLint[],
  timedOut: boolean,
): string {
  const lines = verdicts.flatMap((v) => renderGate(render, v));
  lines.push(renderVerifyLint(render, lint), '');
  const lintFailure = describeLintFailure(lint);
  const failed = verdicts.filter((v) => !v.ok);
  if (timedOut) lines.push('verify FAILED: not converged before --timeout.');
  for (const v of failed) lines.push(`verify FAILED: ${v.service}: ${v.cause}: ${v.summary}.`);
  if (lintFailure !== undefined) {
    lines.push(
      `verify FAILED: ${lintFailure}. See lbguard lint; docs/lint-rules.md says how to fix each rule.`,
    );
  }
  if (failed.length === 0 && lintFailure === undefined) {
    lines.push('verify passed: traffic is spread as configured and probes are green.');
  }
  return lines.join('\n');
}

/**
 * `lbguard verify [--service NAME] [--wait [--timeout S] [--interval S]] [--no-probe]`: the
 * pipeline gate (lib/gate.ts). Exit 0 only when every service's traffic is spread as configured,
 * recent probe results are green and lint finds no error; 1 otherwise, naming the cause. With
 * `--wait` it polls until that holds or the timeout passes, one progress line per poll. With
 * `--plan` it is the predictive gate before a deploy instead (verify-plan.ts).
 */
export async function verify(ctx: CommandContext): Promise<CommandResult> {
  const { io, global, options, render } = ctx;
  if (options.plan !== undefined) return (await import('./verify-plan.ts')).verifyPlan(ctx, options.plan);
  const waiting = waitingOf(options);
  return withServices(ctx, async ({ config, services, aws }) => {
    const runtime = createCliRuntime(aws, config, io, global.debug);
    const deps = { ...runtime.inspectDeps, ...(options.probe ? { prober: new HttpProber() } : {}) };
    const say = progressTo(io, global.json);
    const started = Date.parse(io.now());
    let lint: ServiceLint[] = [];
    let verdicts: GateVerdict[] = [];
    let polls = 0;
    let timedOut = false;
    for (;;) {
      polls++;
      // Lint reads live health too (LBG-L10): judged again on every poll, like the gate.
      [verdicts, lint] = await spin(io, 'verifying', () =>
        Promise.all([gateServices(services, deps), lintServices(aws, services)]),
      );
      const converged = verdicts.every((v) => v.ok) && describeLintFailure(lint) === undefined;
      if (waiting === undefined) break;
      say(`verify poll ${polls}: ${converged ? 'converged' : failingLine(verdicts, lint)}`);
      if (converged) break;
      const left = started + waiting.timeoutSeconds * 1000 - Date.parse(io.now());
      if (left <= 0) {
        timedOut = true;
        say(`verify: not converged after ${waiting.timeoutSeconds} s, giving up`);
        break;
      }
      await sleep(Math.min(waiting.intervalSeconds * 1000, left));
    }
    const ok = verdicts.every((v) => v.ok) && describeLintFailure(lint) === undefined;
    const exitCode = ok ? EXIT.ok : EXIT.findings;
    const waited =
      waiting === undefined
        ? null
        : {
            polls,
            seconds: Math.round((Date.parse(io.now()) - started) / 1000),
            converged: !timedOut && ok,
            timedOut,
          };
    return {
      exitCode,
      document: envelope('verify', exitCode, { findings: verdicts, lint, waited }),
      text: renderVerify(render, verdicts, lint, timedOut),
    };
  });
}
