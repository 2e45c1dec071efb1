// The config the construct writes into the functions' 4 KB environment: defaults stay behind,
// and the functions' own parse gives back exactly the config the construct validated.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactConfig } from '../../lib/config/compact.ts';
import { loadConfigOrThrow } from '../../lib/config/index.ts';
import { loadConfigJsonOrThrow } from '../../lib/config/json.ts';

const EXAMPLE = readFileSync('lbguard.config.example.yaml', 'utf8');

describe('compactConfig', () => {
  it('leaves an approval section at its defaults out, and the functions parse the config back whole', () => {
    const config = loadConfigOrThrow(EXAMPLE, 'example');
    const text = JSON.stringify(compactConfig(config));
    expect(text).not.toContain('"approval"');
    expect(text.length).toBeLessThan(JSON.stringify(config).length);
    expect(loadConfigJsonOrThrow(text, 'LBGUARD_CONFIG')).toEqual(config);
  });

  it('keeps an approval section that differs from the defaults, in any field', () => {
    fc.assert(
      fc.property(
        fc.record({
          expiresAfterMinutes: fc.integer({ min: 120, max: 1440 }),
          remindAfterMinutes: fc.integer({ min: 1, max: 59 }),
          escalateAfterMinutes: fc.integer({ min: 60, max: 119 }),
          trustedSteps: fc
            .boolean()
            .map((trusted): 'RegisterTargets'[] => (trusted ? ['RegisterTargets'] : [])),
        }),
        (approval) => {
          const base = loadConfigOrThrow(EXAMPLE, 'example');
          const config = {
            ...base,
            services: base.services.map((s) => ({ ...s, remediation: { ...s.remediation, approval } })),
          };
          const text = JSON.stringify(compactConfig(config));
          expect(text).toContain('"approval"');
          expect(loadConfigJsonOrThrow(text, 'LBGUARD_CONFIG')).toEqual(config);
        },
      ),
      { numRuns: 50 },
    );
  });
});
