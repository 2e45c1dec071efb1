#!/usr/bin/env node
// Runs the IAM proof (test/integration/iam-proof.test.ts: every function under its role on an
// IAM-enforcing moto) and writes its table to docs/iam-proof.md. Commit the result: the same
// test fails when the committed file no longer matches a run.
import { spawnSync } from 'node:child_process';

const run = spawnSync(
  'npx',
  ['--no-install', 'vitest', 'run', '--project', 'integration', 'test/integration/iam-proof.test.ts'],
  { stdio: 'inherit', env: { ...process.env, LBGUARD_IAM_REPORT: 'write' } },
);
process.exit(run.status ?? 1);
