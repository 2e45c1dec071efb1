import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast; `integration` talks HTTP to a real moto_server
// started once by the global setup. Coverage is enforced on the pure core only, where
// every branch is a decision someone will be paged about.
export default defineConfig({
  test: {
    coverage: {
      provider: 'v8',
      include: ['lib/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'reports/coverage',
      thresholds: {
        'lib/**/*.ts': { branches: 95, lines: 95, functions: 95, statements: 95 },
      },
    },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/support/fast-check-setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/support/fast-check-setup.ts'],
          globalSetup: ['test/support/moto-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One moto serves the whole run; files run one at a time and reset it between.
          fileParallelism: false,
        },
      },
    ],
  },
});
