import { describe, expect, it } from 'vitest';
import { renderCommandHelp } from '../../../cli/help.ts';
import { SCENARIOS } from '../../../drill/scenarios/index.ts';

describe('lbguard drill --help', () => {
  it('names every scenario the drill can run, and no other', () => {
    const flags = renderCommandHelp('drill');
    const block = flags.slice(flags.indexOf('--scenario NAME  '), flags.indexOf('-o, --out'));
    const named = [...block.matchAll(/([a-z0-9]+(?:-[a-z0-9]+)+)/g)].map((m) => m[1]);
    expect(new Set(named)).toEqual(new Set(SCENARIOS.map((s) => s.name)));
  });
});
