import type { CommandName, CommandOptions, GlobalOptions } from './args.ts';
import type { ExitCode } from './exit.ts';
import type { CliIo } from './io.ts';
import type { Renderer } from './render.ts';

/** What every command is given. */
export interface CommandContext {
  readonly io: CliIo;
  readonly global: GlobalOptions;
  readonly options: CommandOptions;
  readonly positionals: readonly string[];
  readonly render: Renderer;
}

/**
 * What every command returns: its exit code, the `--json` document, and the human text. The
 * caller prints exactly one of the two, so a command cannot leak text into JSON output.
 */
export interface CommandResult<Doc extends object = object> {
  readonly exitCode: ExitCode;
  readonly document: Doc;
  readonly text: string;
}

export type Command = (ctx: CommandContext) => Promise<CommandResult>;

/** The envelope of every `--json` document: `{ command, ok, exitCode, ... }`. */
export function envelope<T extends object>(
  command: CommandName,
  exitCode: ExitCode,
  body: T,
): { command: CommandName; ok: boolean; exitCode: ExitCode } & T {
  return { command, ok: exitCode === 0, exitCode, ...body };
}
