#!/usr/bin/env node
// Runs vitest and closes with the plain `N passed, N failed, N skipped` line that CI reads.
// A run that executes no test is a failure: it would otherwise look green.
// On a fresh machine it first provisions (scripts/provision.mjs: Node 24, npm ci, haproxy,
// moto_server, cfn-lint) and re-runs itself under Node 24: under an older Node, vitest 5 finds
// no test file and prints a 0 % coverage table, which reads like a verdict on the code.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major] = process.versions.node.split('.').map(Number);
if (process.env.LBGUARD_PROVISIONED !== '1') {
  const provisioner = fileURLToPath(new URL('provision.mjs', import.meta.url));
  const provision = spawnSync(process.execPath, [provisioner], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (provision.status !== 0) {
    // Its stderr named what is missing and how to install it; CI reads the closing line.
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(provision.status ?? 1);
  }
  process.env.PATH = provision.stdout.trim().split('\n').pop();
  process.env.LBGUARD_PROVISIONED = '1';
  if (major < 24) {
    // Ctrl-C reaches vitest from the terminal; it stops its moto, and we wait for it.
    process.on('SIGINT', () => {});
    const child = spawn('node', process.argv.slice(1), { stdio: 'inherit', env: process.env });
    process.on('SIGTERM', () => child.kill('SIGTERM'));
    const [code, signal] = await new Promise((done) => {
      child.on('exit', (c, s) => done([c, s]));
      child.on('error', () => done([1, null]));
    });
    process.exit(signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : (code ?? 1));
  }
}
if (major < 22) {
  console.error(`test: Node ${process.version} is too old for vitest 5; run scripts/provision.mjs first.`);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

const report = 'reports/vitest.json';
mkdirSync('reports', { recursive: true });
rmSync(report, { force: true });

// Coverage is enforced on the whole of lib/, so it means something only for a whole run; with
// a file filter (`npm test -- test/unit/config.test.ts`) every untouched file would fail it.
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (filters.length > 0)
  console.error('test: a subset of the tests: coverage not measured (`npm test` alone enforces it)');
const args = [
  'vitest',
  'run',
  ...(filters.length > 0 ? [] : ['--coverage']),
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const run = spawnSync('npx', ['--no-install', ...args], { stdio: 'inherit' });

if (!existsSync(report)) {
  console.error('test: vitest wrote no JSON report; see its output above.');
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(run.status || 1);
}
const r = JSON.parse(readFileSync(report, 'utf8'));
const passed = r.numPassedTests ?? 0;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
// A file that fails before any test runs (import error, failing hook) has no failed test of its
// own; count each such file once so it cannot pass unnoticed.
const brokenFiles = (r.testResults ?? []).filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
);
for (const f of brokenFiles)
  console.error(`test: ${f.name} failed to run: ${String(f.message ?? '').split('\n')[0]}`);
let failed = (r.numFailedTests ?? 0) + brokenFiles.length;
if (run.status !== 0 && failed === 0) {
  // Every test passed but vitest still failed: a coverage threshold or an unhandled error.
  console.error(
    `test: vitest exited ${run.status} with every test passing (coverage threshold or unhandled error; see above)`,
  );
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (passed + failed === 0) {
  console.error('test: no test was executed; that is a failure, not a pass.');
  process.exit(1);
}
process.exit(run.status ?? 1);
