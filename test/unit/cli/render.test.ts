import { describe, expect, it } from 'vitest';
import { Renderer, shouldColor, stripAnsi, visibleLength, withSpinner } from '../../../cli/render.ts';
import { recorder } from './fake-io.ts';

describe('shouldColor', () => {
  it.each([
    [true, false, {}, true],
    [false, false, {}, false],
    [true, true, {}, false],
    [true, false, { NO_COLOR: '1' }, false],
    [true, false, { NO_COLOR: '' }, true],
  ])('on a TTY %s with --no-color %s and env %j colours: %s', (isTTY, noColorFlag, env, expected) => {
    expect(shouldColor({ isTTY, noColorFlag, env })).toBe(expected);
  });
});

describe('Renderer', () => {
  it('paints only when colour is on', () => {
    expect(new Renderer(false).paint('bad', 'x')).toBe('x');
    expect(new Renderer(true).paint('bad', 'x')).toBe('\u001b[31mx\u001b[39m');
  });

  it('aligns table columns by what the terminal shows, ignoring colour escapes', () => {
    const r = new Renderer(true);
    const table = r.table(
      ['A', 'B'],
      [
        [r.paint('ok', 'healthy'), '1'],
        ['x', '22'],
      ],
    );
    const lines = table.split('\n').map(stripAnsi);
    expect(lines).toEqual(['A        B', '-------  --', 'healthy  1', 'x        22']);
    expect(visibleLength(r.paint('bold', 'abc'))).toBe(3);
  });

  it('marks lines ok, warn and bad with distinct symbols', () => {
    const r = new Renderer(false);
    expect([r.mark('ok', 'a'), r.mark('warn', 'b'), r.mark('bad', 'c')]).toEqual(['✓ a', '! b', '✗ c']);
  });
});

describe('withSpinner', () => {
  it('draws nothing when the stream is not a terminal', async () => {
    const stream = recorder(false);
    expect(await withSpinner(stream, 'work', async () => 42, { delayMs: 0 })).toBe(42);
    expect(stream.text()).toBe('');
  });

  it('draws on a terminal once the call takes longer than the delay, then clears its line', async () => {
    const stream = recorder(true);
    await withSpinner(stream, 'reading', () => new Promise((r) => setTimeout(r, 60)), {
      delayMs: 0,
      intervalMs: 10,
    });
    expect(stream.text()).toContain('reading');
    expect(stream.text().endsWith('\r\u001b[K')).toBe(true);
  });

  it('stays silent for calls that finish within the delay, and passes errors through', async () => {
    const stream = recorder(true);
    await expect(
      withSpinner(stream, 'x', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(stream.text()).toBe('');
  });
});
