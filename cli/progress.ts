import type { CliIo } from './io.ts';

/**
 * Progress of a long command, one timestamped line per poll or step, written whether or not the
 * output is a terminal, so a CI log never shows silent minutes. With `--json` it goes to stderr,
 * leaving stdout to the one JSON document.
 */
export type Progress = (line: string) => void;

export function progressTo(io: CliIo, json: boolean): Progress {
  const out = json ? io.stderr : io.stdout;
  return (line) => out.write(`[${io.now().replace(/\.\d+Z$/, 'Z')}] ${line}\n`);
}
