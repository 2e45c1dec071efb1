import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMANDS, parseCliArgs } from '../../../cli/args.ts';
import { CliError } from '../../../cli/exit.ts';

function usageFailure(argv: readonly string[]): CliError {
  try {
    parseCliArgs(argv);
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error(`expected ${argv.join(' ')} to be a usage error`);
}

describe('parseCliArgs', () => {
  it.each([
    [['status'], 'status', {}],
    [['status', '--service', 'shop'], 'status', { service: 'shop' }],
    [['verify', '-s', 'shop', '--json'], 'verify', { service: 'shop', wait: false, probe: true }],
    [
      ['verify', '--wait', '--timeout', '600', '--interval', '5', '--no-probe'],
      'verify',
      { wait: true, timeout: '600', interval: '5', probe: false },
    ],
    [
      ['snapshot', '--promote', '--force', '--reason', 'rolled back by hand'],
      'snapshot',
      { promote: true, force: true, reason: 'rolled back by hand' },
    ],
    [['verify', 'shop', '--plan', 'cdk.out'], 'verify', { service: 'shop', plan: 'cdk.out' }],
    [
      ['verify', '--plan', 'edge.yaml', '--stack', 'shop-edge'],
      'verify',
      { plan: 'edge.yaml', stack: 'shop-edge' },
    ],
    [['restore', '--apply', '-y'], 'restore', { apply: true, yes: true }],
    [['postmortem', 'shop#2026-11-24T14:02:11.000Z', '--out', 'pm.md'], 'postmortem', { out: 'pm.md' }],
    [
      ['postmortem', 'shop#2026-11-24T14:02:11.000Z', '--no-access-logs'],
      'postmortem',
      { accessLogs: false },
    ],
    [
      ['drill', '--real-clock', '--observe-seconds', '300'],
      'drill',
      { realClock: true, observeSeconds: '300' },
    ],
  ] as const)('parses %j as the %s command', (argv, command, options) => {
    const parsed = parseCliArgs(argv);
    expect(parsed.kind).toBe('run');
    if (parsed.kind !== 'run') return;
    expect(parsed.command).toBe(command);
    expect(parsed.options).toMatchObject(options);
  });

  it('accepts global flags before the command, including ones that take a value', () => {
    const parsed = parseCliArgs([
      '--config',
      'ops/lbguard.yaml',
      '--endpoint-url',
      'http://127.0.0.1:5000',
      'diff',
      '--table',
      't1',
    ]);
    expect(parsed).toMatchObject({
      kind: 'run',
      command: 'diff',
      global: { config: 'ops/lbguard.yaml', endpointUrl: 'http://127.0.0.1:5000', table: 't1', json: false },
    });
  });

  it('refuses --timeout or --interval without --wait, naming the fix', () => {
    const error = usageFailure(['verify', '--timeout', '60']);
    expect(error.message).toBe('--timeout and --interval only make sense with --wait');
    expect(error.hints).toEqual(['lbguard verify --wait --timeout 300 --interval 10']);
    expect(usageFailure(['status', '--wait']).message).toMatch(/unknown option --wait for lbguard status/);
  });

  it.each([
    [
      ['verify', '--plan', 'cdk.out', '--wait'],
      '--plan judges a deploy before it happens; --wait polls after it: use one',
    ],
    [['verify', '--plan', ' '], '--plan needs a cdk.out directory, a template file or a change set ARN'],
    [['verify', '--stack', 'shop-edge'], '--stack only makes sense with --plan'],
    [['verify', 'shop', 'extra'], 'unexpected argument shop for lbguard verify'],
    [['verify', 'shop', '--service', 'shop'], 'unexpected argument shop for lbguard verify'],
  ])('refuses %j, naming the fix', (argv, message) => {
    expect(usageFailure(argv).message).toBe(message);
  });

  it('reads --json, --no-color and --debug as global flags', () => {
    expect(parseCliArgs(['incidents', '--json', '--no-color', '--debug']).global).toMatchObject({
      json: true,
      noColor: true,
      debug: true,
    });
  });

  it.each([
    [[], undefined],
    [['--help'], undefined],
    [['help'], undefined],
    [['help', 'restore'], 'restore'],
    [['restore', '--help'], 'restore'],
    [['doctor', '-h'], 'doctor'],
  ] as const)('treats %j as a request for help', (argv, command) => {
    const parsed = parseCliArgs(argv);
    expect(parsed.kind).toBe('help');
    if (parsed.kind === 'help') expect(parsed.command).toBe(command);
  });

  it('answers --version', () => {
    expect(parseCliArgs(['--version']).kind).toBe('version');
  });

  it.each([
    [['statsu'], 'unknown command statsu', 'did you mean lbguard status?'],
    [['frobnicate'], 'unknown command frobnicate', 'commands: status'],
    [['help', 'restroe'], 'unknown command restroe', 'did you mean lbguard restore?'],
    [['status', '--servce', 'shop'], 'unknown option --servce for lbguard status', 'did you mean --service?'],
    [['status', '--zzz'], 'unknown option --zzz', 'see lbguard status --help'],
    [['--zzz'], 'unknown option --zzz for lbguard', 'see lbguard --help'],
    [['status', '--service'], 'option --service needs a value', 'see lbguard status --help'],
    [['status', '--json=yes'], 'option --json does not take a value', 'see lbguard status --help'],
    [['status', 'extra'], 'unexpected argument extra for lbguard status', 'see lbguard status --help'],
    [['postmortem'], 'lbguard postmortem needs INCIDENT_ID', 'usage: lbguard postmortem INCIDENT_ID'],
    [['postmortem', 'a#b', 'c#d'], 'unexpected argument c#d', 'see lbguard postmortem --help'],
    [
      ['snapshot', '--force', '--reason', 'x'],
      '--force only makes sense with --promote',
      '--promote --force --reason',
    ],
    [['snapshot', '--promote', '--force'], '--force needs --reason TEXT', '--reason'],
    [['status', '--service', ' '], '--service needs a service name', 'lbguard status --service shop'],
  ] as const)('rejects %j as a usage error that says what to type instead', (argv, message, hint) => {
    const error = usageFailure(argv);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(message);
    expect(error.hints.join('\n')).toContain(hint);
  });

  it('never throws anything but a usage error, whatever the arguments', () => {
    const word = fc.oneof(
      fc.constantFrom(
        ...COMMANDS,
        '--json',
        '--service',
        '-s',
        '--apply',
        '--yes',
        '--force',
        '--promote',
        '--',
        '-h',
      ),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), (argv) => {
        try {
          parseCliArgs(argv);
        } catch (error) {
          expect(error).toBeInstanceOf(CliError);
          expect((error as CliError).exitCode).toBe(2);
        }
      }),
    );
  });
});
