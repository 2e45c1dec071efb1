import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { fakeIo } from './fake-io.ts';

// `main` in-process with a fake process: every path that ends before the first AWS call.

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';

function workspace(config?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbguard-main-'));
  if (config !== undefined) writeFileSync(join(dir, 'lbguard.config.yaml'), config);
  return dir;
}

const VALID = `services:
  - name: shop
    loadBalancerArn: ${ARN}
    probes:
      - name: health
        url: https://shop.example.com/health
  - name: checkout
    loadBalancerArn: ${ARN.replace('/shop/', '/checkout/')}
    probes:
      - name: health
        url: https://checkout.example.com/health
`;

/** Written out rather than taken from cli/args.ts, so that dropping a command fails here. */
const DOCUMENTED_COMMANDS = [
  'status',
  'verify',
  'lint',
  'diff',
  'snapshot',
  'restore',
  'incidents',
  'postmortem',
  'init',
  'doctor',
] as const;

describe('main', () => {
  it('prints the overview with every command and the exit codes, exit 0', async () => {
    const { io, stdout } = fakeIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const command of DOCUMENTED_COMMANDS) {
      expect(stdout.text()).toContain(`  ${command} `);
    }
    expect(stdout.text()).toContain('2  usage or configuration error');
  });

  it.each(DOCUMENTED_COMMANDS)('prints help with an example for %s', async (command) => {
    const { io, stdout } = fakeIo();
    expect(await main([command, '--help'], io)).toBe(0);
    expect(stdout.text()).toMatch(new RegExp(`Usage: lbguard ${command}`));
    expect(stdout.text()).toMatch(new RegExp(`Example:\\n  lbguard ${command}`));
  });

  it('prints its version', async () => {
    const { io, stdout } = fakeIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(stdout.text()).toMatch(/^lbguard \d+\.\d+\.\d+\n$/);
  });

  it('reports a usage error on stderr only, without a stack trace, exit 2', async () => {
    const { io, stdout, stderr } = fakeIo();
    expect(await main(['stauts'], io)).toBe(2);
    expect(stdout.text()).toBe('');
    expect(stderr.text()).toBe('lbguard: error: unknown command stauts\n  → did you mean lbguard status?\n');
  });

  it.each([
    [
      '--timeout',
      'soon',
      '--timeout soon is not a whole number of seconds from 1 to 3600\n  → e.g. --timeout 300',
    ],
    [
      '--interval',
      '0',
      '--interval 0 is not a whole number of seconds from 1 to 300\n  → e.g. --interval 10',
    ],
  ])(
    'refuses verify --wait %s %s before touching AWS, naming the fix (exit 2)',
    async (flag, value, message) => {
      const { io, stderr } = fakeIo({ cwd: workspace(VALID) });
      expect(await main(['verify', '--wait', flag, value], io)).toBe(2);
      expect(stderr.text()).toBe(`lbguard: error: ${message}\n`);
    },
  );

  it('with --json also prints the error as one JSON document naming the command', async () => {
    const { io, stdout } = fakeIo();
    expect(await main(['status', '--bogus', '--json'], io)).toBe(2);
    expect(JSON.parse(stdout.text())).toEqual({
      command: 'status',
      ok: false,
      exitCode: 2,
      error: {
        kind: 'usage',
        message: 'unknown option --bogus for lbguard status',
        hints: ['see lbguard status --help'],
      },
    });
  });

  it('says where the config file should be when there is none (exit 2)', async () => {
    const { io, stderr } = fakeIo({ cwd: workspace() });
    expect(await main(['status'], io)).toBe(2);
    expect(stderr.text()).toContain('no config file at lbguard.config.yaml');
    expect(stderr.text()).toContain('copy lbguard.config.example.yaml');
  });

  it('names the --config path it could not find', async () => {
    const { io, stderr } = fakeIo({ cwd: workspace() });
    expect(await main(['diff', '--config', 'ops/missing.yaml'], io)).toBe(2);
    expect(stderr.text()).toContain('no config file at ops/missing.yaml');
    expect(stderr.text()).toContain('check the path given to --config');
  });

  it('lists every broken field of an invalid config by path (exit 2)', async () => {
    const { io, stderr } = fakeIo({ cwd: workspace('services:\n  - name: shop\n    probes: []\n') });
    expect(await main(['verify'], io)).toBe(2);
    expect(stderr.text()).toContain('lbguard.config.yaml: services[0].loadBalancerArn: is required');
    expect(stderr.text()).toContain('lbguard.config.yaml: services[0].probes: must have at least one probe');
  });

  it.each(['status', 'verify', 'lint', 'diff', 'snapshot', 'restore', 'incidents'])(
    'rejects an unknown --service for %s with the services that exist (exit 2)',
    async (command) => {
      const { io, stderr } = fakeIo({ cwd: workspace(VALID) });
      expect(await main([command, '--service', 'chekout'], io)).toBe(2);
      expect(stderr.text()).toContain('unknown service chekout');
      expect(stderr.text()).toContain(
        'did you mean --service checkout? (services in the config: shop, checkout)',
      );
    },
  );

  it('refuses restore --apply without --yes when stdin is not a terminal, before reading anything', async () => {
    const { io, stderr } = fakeIo({ cwd: workspace() });
    expect(await main(['restore', '--service', 'shop', '--apply'], io)).toBe(2);
    expect(stderr.text()).toContain('stdin is not a terminal');
    expect(stderr.text()).toContain('lbguard restore --service shop --apply --yes');
  });

  it('rejects a malformed incident id for postmortem (exit 2)', async () => {
    const { io, stderr } = fakeIo({ cwd: workspace() });
    expect(await main(['postmortem', 'not-an-id'], io)).toBe(2);
    expect(stderr.text()).toContain('not-an-id is not an incident id');
    expect(stderr.text()).toContain('lbguard incidents');
  });

  it('rejects an --endpoint-url that is not a URL (exit 2)', async () => {
    const { io, stderr } = fakeIo({ cwd: workspace(VALID) });
    expect(await main(['init', '--endpoint-url', 'localhost 5000'], io)).toBe(2);
    expect(stderr.text()).toContain('is not a URL');
  });

  it('shows the stack of an unexpected error only with --debug', async () => {
    const { io, stderr } = fakeIo({ cwd: workspace(VALID) });
    expect(await main(['init', '--debug', '--endpoint-url', 'localhost 5000'], io)).toBe(2);
    expect(stderr.text()).toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
