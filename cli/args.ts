import { parseArgs } from 'node:util';
import { DRILL_OPTIONS } from '../drill/options.ts';
import { suggestKey } from '../lib/config/index.ts';
import { usageError } from './exit.ts';

/** The commands `lbguard` knows, in the order `--help` lists them. */
export const COMMANDS = [
  'status',
  'verify',
  'lint',
  'diff',
  'snapshot',
  'restore',
  'approve',
  'incidents',
  'postmortem',
  'init',
  'doctor',
  'drill',
] as const;

export type CommandName = (typeof COMMANDS)[number];

type OptionSpec = { readonly type: 'string' | 'boolean'; readonly short?: string };

/** Flags every command accepts. */
const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  'endpoint-url': { type: 'string' },
  table: { type: 'string' },
  'state-key': { type: 'string' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

const SERVICE = { service: { type: 'string', short: 's' } } as const satisfies Record<string, OptionSpec>;

/** Flags of each command, on top of the global ones. */
const COMMAND_OPTIONS = {
  status: {
    ...SERVICE,
    fleet: { type: 'boolean' },
    hub: { type: 'boolean' },
    'hub-table': { type: 'string' },
  },
  verify: {
    ...SERVICE,
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    interval: { type: 'string' },
    'no-probe': { type: 'boolean' },
    plan: { type: 'string' },
    stack: { type: 'string' },
  },
  lint: { ...SERVICE, org: { type: 'boolean' } },
  diff: SERVICE,
  snapshot: {
    ...SERVICE,
    promote: { type: 'boolean' },
    force: { type: 'boolean' },
    reason: { type: 'string' },
  },
  restore: {
    ...SERVICE,
    apply: { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    force: { type: 'boolean' },
    reason: { type: 'string' },
  },
  approve: {},
  incidents: SERVICE,
  postmortem: { out: { type: 'string', short: 'o' }, 'no-access-logs': { type: 'boolean' } },
  init: {},
  doctor: {},
  drill: DRILL_OPTIONS,
} as const satisfies Record<CommandName, Record<string, OptionSpec>>;

/** Positional arguments each command takes (name shown in messages), all required. */
const POSITIONALS: Readonly<Record<CommandName, readonly string[]>> = {
  status: [],
  verify: [],
  lint: [],
  diff: [],
  snapshot: [],
  restore: [],
  approve: ['SERVICE', 'PLAN_HASH'],
  incidents: [],
  postmortem: ['INCIDENT_ID'],
  init: [],
  doctor: [],
  drill: [],
};

export interface GlobalOptions {
  readonly config?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
  readonly table?: string;
  /** The KMS key (ARN or alias) that vouches for snapshots and last known good. */
  readonly stateKey?: string;
  readonly json: boolean;
  /** `--no-color` given. Whether colour is used also depends on the TTY and NO_COLOR. */
  readonly noColor: boolean;
  readonly debug: boolean;
}

export interface CommandOptions {
  readonly service?: string;
  readonly promote: boolean;
  readonly force: boolean;
  readonly reason?: string;
  readonly apply: boolean;
  readonly yes: boolean;
  readonly out?: string;
  /** `postmortem`: false with `--no-access-logs`, else undefined (read them when enabled). */
  readonly accessLogs?: boolean;
  /** `verify`: poll until converged or `--timeout`. */
  readonly wait: boolean;
  /** `verify --wait`: seconds before giving up, as typed (validated by the command). */
  readonly timeout?: string;
  /** `verify --wait`: seconds between polls, as typed. */
  readonly interval?: string;
  /** `verify`: false with `--no-probe` (health from the probe function's recent results only). */
  readonly probe: boolean;
  /** `status --fleet`: every tagged load balancer of the config's fleet section (docs/fleet.md). */
  readonly fleet: boolean;
  /** `lint --org`: the same fan-out for the linter. */
  readonly org: boolean;
  /** `status --fleet --hub`: the fleet as the hub table holds it, read in the hub account. */
  readonly hub: boolean;
  /** `status --fleet --hub --hub-table NAME`: the hub table, as typed. */
  readonly hubTable?: string;
  /** `verify --plan`: a cdk.out directory, a template file or a change set ARN, as typed. */
  readonly plan?: string;
  /** `verify --plan FILE --stack NAME`: the stack the template deploys to. */
  readonly stack?: string;
  /** `drill`: a scenario name or `all`. */
  readonly scenario?: string;
  /** `drill`: `--compare-unguarded` (true), `--no-compare-unguarded` (false), or neither. */
  readonly compareUnguarded?: boolean;
  /** `drill`: customer requests per second, as typed (validated by the command). */
  readonly rate?: string;
  /** `drill`: seconds to observe after the fault, as typed. */
  readonly observeSeconds?: string;
  /** `drill`: `--real-clock`, one drill second per AWS second. */
  readonly realClock?: boolean;
}

export type ParsedArgs =
  | { readonly kind: 'help'; readonly command?: CommandName; readonly global: GlobalOptions }
  | { readonly kind: 'version'; readonly global: GlobalOptions }
  | {
      readonly kind: 'run';
      readonly command: CommandName;
      readonly global: GlobalOptions;
      readonly options: CommandOptions;
      readonly positionals: readonly string[];
    };

function isCommand(word: string): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word);
}

function flagNames(command: CommandName | undefined): string[] {
  const own = command === undefined ? {} : COMMAND_OPTIONS[command];
  return [...Object.keys(GLOBAL_OPTIONS), ...Object.keys(own)];
}

/** `--servce` → `--service`; `-x` stays as it is. */
function suggestFlag(flag: string, command: CommandName | undefined): string | undefined {
  if (!flag.startsWith('--')) return undefined;
  const suggestion = suggestKey(flag.slice(2), flagNames(command));
  return suggestion === undefined ? undefined : `--${suggestion}`;
}

function helpHint(command: CommandName | undefined): string {
  return command === undefined ? 'see lbguard --help' : `see lbguard ${command} --help`;
}

/** Turns node:util's parse errors into a message that says what to type instead. */
function explainParseError(error: unknown, command: CommandName | undefined): never {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  // Node quotes the option as `'--name'` or, for one with a short alias, `'-s, --name <value>'`.
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const flag = /--[^\s=<,]+/.exec(quoted)?.[0] ?? /-[^\s=<,]+/.exec(quoted)?.[0] ?? quoted;
  const where = command === undefined ? 'lbguard' : `lbguard ${command}`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const suggestion = suggestFlag(flag, command);
      throw usageError(
        `unknown option ${flag} for ${where}`,
        suggestion === undefined ? helpHint(command) : `did you mean ${suggestion}? (${helpHint(command)})`,
      );
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      throw usageError(
        /argument missing/.test(message)
          ? `option ${flag} needs a value, e.g. ${flag} VALUE`
          : `option ${flag} does not take a value`,
        helpHint(command),
      );
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const extra = /'([^']*)'/.exec(message)?.[1] ?? '';
      throw usageError(`unexpected argument ${extra} for ${where}`, helpHint(command));
    }
    default:
      throw usageError(message, helpHint(command));
  }
}

function toGlobal(values: Record<string, string | boolean | undefined>): GlobalOptions {
  const str = (key: string) => {
    const v = values[key];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    ...defined('config', str('config')),
    ...defined('region', str('region')),
    ...defined('profile', str('profile')),
    ...defined('endpointUrl', str('endpoint-url')),
    ...defined('table', str('table')),
    ...defined('stateKey', str('state-key')),
    json: values.json === true,
    noColor: values['no-color'] === true,
    debug: values.debug === true,
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Checks that hold across flags (`--force` needs `--promote` and `--reason`). */
function checkCombinations(command: CommandName, options: CommandOptions): void {
  if (options.service !== undefined && options.service.trim() === '') {
    throw usageError('--service needs a service name', `e.g. lbguard ${command} --service shop`);
  }
  if (!options.wait && (options.timeout !== undefined || options.interval !== undefined)) {
    throw usageError(
      '--timeout and --interval only make sense with --wait',
      'lbguard verify --wait --timeout 300 --interval 10',
    );
  }
  if (options.plan !== undefined && (options.wait || options.plan.trim() === '')) {
    throw usageError(
      options.wait
        ? '--plan judges a deploy before it happens; --wait polls after it: use one'
        : '--plan needs a cdk.out directory, a template file or a change set ARN',
      'lbguard verify shop --plan cdk.out',
    );
  }
  if (options.stack !== undefined && options.plan === undefined) {
    throw usageError(
      '--stack only makes sense with --plan',
      'lbguard verify shop --plan template.yaml --stack shop-edge',
    );
  }
  if (options.hubTable !== undefined && !options.hub) {
    throw usageError(
      '--hub-table only makes sense with --fleet --hub',
      'lbguard status --fleet --hub --hub-table NAME',
    );
  }
  if (options.hub && (!options.fleet || options.hubTable === undefined || options.hubTable.trim() === '')) {
    throw usageError(
      options.fleet
        ? '--hub needs --hub-table NAME, the hub table to read'
        : '--hub only makes sense with --fleet',
      'lbguard status --fleet --hub --hub-table NAME (the hub stack lists the table name in its outputs)',
    );
  }
  if (command === 'restore' && options.force) {
    if (!options.apply) {
      throw usageError(
        '--force only makes sense with --apply',
        'lbguard restore --service shop --apply --force --reason "why restoring helps"',
      );
    }
    if (options.reason === undefined || options.reason.trim() === '') {
      throw usageError(
        '--force needs --reason TEXT: overriding the diagnosis is recorded, with its reason, in the incident and the notification',
        'lbguard restore --service shop --apply --force --reason "the new rule sends checkout to the wrong group"',
      );
    }
  }
  if (command === 'snapshot') {
    if (options.force && !options.promote) {
      throw usageError(
        '--force only makes sense with --promote',
        'lbguard snapshot --promote --force --reason "why this is good"',
      );
    }
    if (options.force && (options.reason === undefined || options.reason.trim() === '')) {
      throw usageError(
        '--force needs --reason TEXT: overriding the health check is recorded with its reason',
        'lbguard snapshot --promote --force --reason "rollback verified by hand"',
      );
    }
  }
}

/**
 * Parses `lbguard <command> [flags]` strictly: unknown flags, missing values and stray
 * arguments are usage errors (exit 2) that name the fix. Global flags may come before or
 * after the command.
 */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  const commandIndex = findCommandIndex(argv);
  const word = commandIndex < 0 ? undefined : argv[commandIndex];
  // Global flags before the command: parse them alone so their values are not taken for the command.
  if (word === undefined || word === 'help') {
    const rest = word === undefined ? argv : argv.filter((_, i) => i !== commandIndex);
    const topic = word === 'help' ? rest.find((a) => !a.startsWith('-')) : undefined;
    const flags = rest.filter((a) => a !== topic);
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({
        args: [...flags],
        options: { ...GLOBAL_OPTIONS, version: { type: 'boolean' } },
        strict: true,
        allowPositionals: false,
      }).values;
    } catch (error) {
      explainParseError(error, undefined);
    }
    const global = toGlobal(values);
    if (values.version === true) return { kind: 'version', global };
    if (topic !== undefined) {
      if (!isCommand(topic)) throw unknownCommand(topic);
      return { kind: 'help', command: topic, global };
    }
    return { kind: 'help', global };
  }
  if (!isCommand(word)) throw unknownCommand(word);
  const command = word;
  const args = argv.filter((_, i) => i !== commandIndex);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    const options: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[command] };
    parsed = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    explainParseError(error, command);
  }
  const global = toGlobal(parsed.values);
  if (parsed.values.help === true) return { kind: 'help', command, global };
  const expected = POSITIONALS[command];
  // `lbguard verify shop --plan cdk.out`: the service may also be named without --service.
  const serviceWord =
    command === 'verify' && parsed.positionals.length === 1 && typeof parsed.values.service !== 'string'
      ? parsed.positionals.shift()
      : undefined;
  if (parsed.positionals.length > expected.length) {
    throw usageError(
      `unexpected argument ${parsed.positionals[expected.length]} for lbguard ${command}`,
      helpHint(command),
    );
  }
  const missing = expected[parsed.positionals.length];
  if (missing !== undefined) {
    throw usageError(
      `lbguard ${command} needs ${missing}`,
      `usage: lbguard ${command} ${expected.join(' ')}`,
    );
  }
  const v = parsed.values;
  const options: CommandOptions = {
    ...defined('service', typeof v.service === 'string' ? v.service : serviceWord),
    ...defined('reason', typeof v.reason === 'string' ? v.reason : undefined),
    ...defined('out', typeof v.out === 'string' ? v.out : undefined),
    ...defined('accessLogs', v['no-access-logs'] === true ? false : undefined),
    ...defined('scenario', typeof v.scenario === 'string' ? v.scenario : undefined),
    ...defined('rate', typeof v.rate === 'string' ? v.rate : undefined),
    ...defined('timeout', typeof v.timeout === 'string' ? v.timeout : undefined),
    ...defined('interval', typeof v.interval === 'string' ? v.interval : undefined),
    ...defined('plan', typeof v.plan === 'string' ? v.plan : undefined),
    ...defined('stack', typeof v.stack === 'string' ? v.stack : undefined),
    ...defined('hubTable', typeof v['hub-table'] === 'string' ? v['hub-table'] : undefined),
    ...defined('observeSeconds', typeof v['observe-seconds'] === 'string' ? v['observe-seconds'] : undefined),
    ...defined('realClock', v['real-clock'] === true ? true : undefined),
    ...defined(
      'compareUnguarded',
      v['no-compare-unguarded'] === true ? false : v['compare-unguarded'] === true ? true : undefined,
    ),
    promote: v.promote === true,
    force: v.force === true,
    apply: v.apply === true,
    yes: v.yes === true,
    wait: v.wait === true,
    probe: v['no-probe'] !== true,
    fleet: v.fleet === true,
    org: v.org === true,
    hub: v.hub === true,
  };
  checkCombinations(command, options);
  return { kind: 'run', command, global, options, positionals: parsed.positionals };
}

/** Index of the first word that is neither a flag nor the value of a global string flag. */
function findCommandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!arg.startsWith('-')) return i;
    const name = arg.slice(2);
    const spec = (GLOBAL_OPTIONS as Record<string, OptionSpec>)[name];
    if (arg.startsWith('--') && !arg.includes('=') && spec?.type === 'string') i++;
  }
  return -1;
}

function unknownCommand(word: string) {
  const suggestion = suggestKey(word, COMMANDS);
  return usageError(
    `unknown command ${word}`,
    suggestion === undefined
      ? `commands: ${COMMANDS.join(', ')} (see lbguard --help)`
      : `did you mean lbguard ${suggestion}?`,
  );
}

/** Global flags as far as they can be read from a command line that failed to parse. */
export function sniffGlobal(argv: readonly string[]): Pick<GlobalOptions, 'json' | 'debug' | 'noColor'> {
  return {
    json: argv.includes('--json'),
    debug: argv.includes('--debug'),
    noColor: argv.includes('--no-color'),
  };
}
