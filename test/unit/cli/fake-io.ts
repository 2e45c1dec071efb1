import type { CliIo } from '../../../cli/io.ts';

/** A recording stream, optionally pretending to be a terminal. */
export function recorder(isTTY = false): {
  write(text: string): boolean;
  readonly isTTY: boolean;
  text(): string;
} {
  let out = '';
  return {
    isTTY,
    write(text: string) {
      out += text;
      return true;
    },
    text: () => out,
  };
}

/** An in-process CliIo: no terminal, a fixed clock, a scratch cwd, answers "no" unless told. */
export function fakeIo(
  options: {
    readonly cwd?: string;
    readonly env?: Record<string, string | undefined>;
    readonly stdinIsTTY?: boolean;
    readonly answer?: boolean;
  } = {},
) {
  const stdout = recorder();
  const stderr = recorder();
  const questions: string[] = [];
  const io: CliIo = {
    stdout,
    stderr,
    stdinIsTTY: options.stdinIsTTY ?? false,
    env: options.env ?? {},
    cwd: options.cwd ?? '/nonexistent',
    now: () => '2026-11-24T14:02:11.000Z',
    confirm: async (q) => {
      questions.push(q);
      return options.answer ?? false;
    },
    shouldColor: () => false,
    user: 'alice',
  };
  return { io, stdout, stderr, questions };
}
