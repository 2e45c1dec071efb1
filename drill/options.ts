/**
 * The drill's own options, as `node:util` `parseArgs` reads them: one list for `tsx drill/main.ts`
 * and `lbguard drill`, so the two command lines cannot drift apart. No imports, so the CLI's
 * argument parser can read it without loading the drill.
 */
export const DRILL_OPTIONS = {
  scenario: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'compare-unguarded': { type: 'boolean' },
  'no-compare-unguarded': { type: 'boolean' },
  rate: { type: 'string' },
  'observe-seconds': { type: 'string' },
  'real-clock': { type: 'boolean' },
} as const;
