import { createInterface } from 'node:readline/promises';
import { type OutStream, shouldColor } from './render.ts';

/**
 * Everything the CLI takes from its process, as one seam: tests run `main` in-process with
 * fakes, the launcher passes the real process. Commands never touch `process` directly.
 */
export interface CliIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** Whether stdin is a terminal a person can answer a question on. */
  readonly stdinIsTTY: boolean;
  /** Mutable because `--profile` is handed to the SDK through `AWS_PROFILE`. */
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** The current time as ISO-8601; the CLI's only clock. */
  now(): string;
  /** Asks a yes/no question on the terminal; resolves true only for an explicit yes. */
  confirm(question: string): Promise<boolean>;
  /** Colour on stdout? (TTY, NO_COLOR, --no-color). */
  shouldColor(noColorFlag: boolean): boolean;
  /** The operator, for the record (`promoted by alice via lbguard CLI`). */
  readonly user: string;
}

/** The real process. */
export function processIo(user: string): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date().toISOString(),
    confirm: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
    shouldColor: (noColorFlag) =>
      shouldColor({ isTTY: process.stdout.isTTY === true, noColorFlag, env: process.env }),
    user,
  };
}
