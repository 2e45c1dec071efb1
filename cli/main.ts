import { LBGUARD_VERSION } from '../infra/package-version.ts';
import {
  COMMANDS as COMMAND_NAMES,
  type CommandName,
  type ParsedArgs,
  parseCliArgs,
  sniffGlobal,
} from './args.ts';
import type { Command, CommandResult } from './command.ts';
import { createRenderer } from './context.ts';
import { classifyError, type ExitCode } from './exit.ts';
import { renderCommandHelp, renderMainHelp } from './help.ts';
import type { CliIo } from './io.ts';
import { Renderer } from './render.ts';

/** Loaded on demand, so `--help` and usage errors never pay for the AWS SDK. */
const COMMANDS: Readonly<Record<CommandName, () => Promise<Command>>> = {
  status: async () => (await import('./commands/status.ts')).status,
  verify: async () => (await import('./commands/verify.ts')).verify,
  lint: async () => (await import('./commands/lint.ts')).lint,
  diff: async () => (await import('./commands/diff.ts')).diff,
  snapshot: async () => (await import('./commands/snapshot.ts')).snapshot,
  restore: async () => (await import('./commands/restore.ts')).restore,
  approve: async () => (await import('./commands/approve.ts')).approve,
  incidents: async () => (await import('./commands/incidents.ts')).incidents,
  postmortem: async () => (await import('./commands/postmortem.ts')).postmortem,
  init: async () => (await import('./commands/init.ts')).init,
  doctor: async () => (await import('./commands/doctor.ts')).doctor,
  drill: async () => (await import('./commands/drill.ts')).drill,
};

/** package.json's version (one number for the CLI, the lint plugin and the stack). */
export const VERSION = LBGUARD_VERSION;

/** Prints one command's outcome: the JSON document, or the human text, never both. */
function emit(io: CliIo, json: boolean, result: CommandResult): void {
  if (json) io.stdout.write(`${JSON.stringify(result.document, null, 2)}\n`);
  else if (result.text !== '') io.stdout.write(`${result.text}\n`);
}

function reportError(
  io: CliIo,
  argv: readonly string[],
  command: CommandName | undefined,
  error: unknown,
): ExitCode {
  const flags = sniffGlobal(argv);
  const cliError = classifyError(error);
  const render = new Renderer(io.shouldColor(flags.noColor) && io.stderr.isTTY === true);
  const lines = [
    `${render.paint('bad', 'lbguard: error:')} ${cliError.message}`,
    ...cliError.hints.map((h) => `  ${render.paint('accent', '→')} ${h}`),
  ];
  if (flags.debug) {
    const stack = (cliError.cause instanceof Error ? cliError.cause : cliError).stack;
    if (stack !== undefined) lines.push('', stack);
  }
  io.stderr.write(`${lines.join('\n')}\n`);
  if (flags.json) {
    const named =
      command ?? argv.find((a): a is CommandName => (COMMAND_NAMES as readonly string[]).includes(a));
    const document = {
      command: named ?? null,
      ok: false,
      exitCode: cliError.exitCode,
      error: { kind: cliError.kind, message: cliError.message, hints: cliError.hints },
    };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }
  return cliError.exitCode;
}

/**
 * Runs `lbguard` with `argv` (without `node` and the script) against `io`, and returns the
 * exit code. Never throws and never prints a stack trace unless `--debug` was given.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let parsed: ParsedArgs;
  try {
    parsed = parseCliArgs(argv);
  } catch (error) {
    return reportError(io, argv, undefined, error);
  }
  switch (parsed.kind) {
    case 'version':
      io.stdout.write(
        parsed.global.json ? `${JSON.stringify({ version: VERSION })}\n` : `lbguard ${VERSION}\n`,
      );
      return 0;
    case 'help':
      io.stdout.write(
        `${parsed.command === undefined ? renderMainHelp() : renderCommandHelp(parsed.command)}\n`,
      );
      return 0;
    case 'run': {
      try {
        const command = await COMMANDS[parsed.command]();
        const result = await command({
          io,
          global: parsed.global,
          options: parsed.options,
          positionals: parsed.positionals,
          render: createRenderer(io, parsed.global),
        });
        emit(io, parsed.global.json, result);
        return result.exitCode;
      } catch (error) {
        return reportError(io, argv, parsed.command, error);
      }
    }
  }
}
