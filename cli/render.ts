/**
 * The human side of the CLI: colour only where a person is looking (a TTY, no NO_COLOR, no
 * --no-color), aligned tables, and a spinner on stderr for calls that take more than a moment.
 * `--json` output never passes through here.
 */

/** The slice of a stream the renderer needs; `process.stdout` and test fakes both fit. */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'dim' | 'bold' | 'accent';

const SGR: Readonly<Record<Tone, readonly [number, number]>> = {
  ok: [32, 39],
  warn: [33, 39],
  bad: [31, 39],
  dim: [2, 22],
  bold: [1, 22],
  accent: [36, 39],
};

/**
 * Whether to colour output: only on a TTY, and never when `NO_COLOR` is set to anything
 * non-empty (no-color.org) or `--no-color` was given.
 */
export function shouldColor(input: {
  readonly isTTY: boolean;
  readonly noColorFlag: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}): boolean {
  if (input.noColorFlag || !input.isTTY) return false;
  const noColor = input.env.NO_COLOR;
  return noColor === undefined || noColor === '';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
const ANSI = /\u001b\[[0-9;]*m/g;

/** The text without colour escapes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Length as a terminal shows it: escape sequences take no columns. */
export function visibleLength(text: string): number {
  return stripAnsi(text).length;
}

export class Renderer {
  readonly color: boolean;

  constructor(color: boolean) {
    this.color = color;
  }

  paint(tone: Tone, text: string): string {
    if (!this.color) return text;
    const [on, off] = SGR[tone];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  }

  /** Columns padded to their widest cell; the header is bold and underlined by dashes. */
  table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = headers.map((h, i) =>
      Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))),
    );
    const line = (cells: readonly string[]) =>
      cells
        .map((cell, i) =>
          i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)),
        )
        .join('  ')
        .trimEnd();
    return [
      this.paint('bold', line(headers)),
      this.paint('dim', line(widths.map((w) => '-'.repeat(w)))),
      ...rows.map(line),
    ].join('\n');
  }

  /** `✓ text` / `✗ text` / `! text`, coloured by tone. */
  mark(tone: 'ok' | 'warn' | 'bad', text: string): string {
    const symbol = tone === 'ok' ? '✓' : tone === 'bad' ? '✗' : '!';
    return `${this.paint(tone, symbol)} ${text}`;
  }
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Runs `work` with a spinner on `stream` when it is a TTY; shows nothing for calls that finish
 * within `delayMs`, so fast commands do not flicker. Always clears its line.
 */
export async function withSpinner<T>(
  stream: OutStream,
  label: string,
  work: () => Promise<T>,
  options: { readonly enabled?: boolean; readonly delayMs?: number; readonly intervalMs?: number } = {},
): Promise<T> {
  if (options.enabled === false || stream.isTTY !== true) return work();
  let frame = 0;
  let shown = false;
  const draw = () => {
    shown = true;
    stream.write(`\r${FRAMES[frame % FRAMES.length]} ${label}\u001b[K`);
    frame++;
  };
  let interval: ReturnType<typeof setInterval> | undefined;
  const start = setTimeout(() => {
    draw();
    interval = setInterval(draw, options.intervalMs ?? 80);
    interval.unref?.();
  }, options.delayMs ?? 250);
  start.unref?.();
  try {
    return await work();
  } finally {
    clearTimeout(start);
    if (interval !== undefined) clearInterval(interval);
    if (shown) stream.write('\r\u001b[K');
  }
}
