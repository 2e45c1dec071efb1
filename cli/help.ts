import type { CommandName } from './args.ts';

const GLOBAL_FLAGS = `Global flags:
  --config FILE        config file (default ./lbguard.config.yaml)
  --region REGION      AWS region (default: config region, then AWS_REGION)
  --profile NAME       AWS profile (same as AWS_PROFILE)
  --endpoint-url URL   AWS endpoint, e.g. a local moto_server (also AWS_ENDPOINT_URL)
  --table NAME         lbguard state table (default: config tableName, else lbguard-state)
  --state-key KEY      KMS key vouching for snapshots (default: LBGUARD_STATE_KEY, else
                       alias/lbguard/<table>; the stack output StateKeyArn)
  --json               print one JSON document on stdout and nothing else
  --no-color           no colour (also NO_COLOR=1; colour is only used on a terminal)
  --debug              show stack traces of unexpected errors
  -h, --help           this help`;

const EXIT_CODES = `Exit codes:
  0  ok: balanced and healthy, nothing to do
  1  findings: skew, drift, verification failed, plan not applied, prerequisite missing
  2  usage or configuration error (bad flag, unknown service, invalid config)
  3  AWS/API error (including a missing state table: run lbguard init)`;

interface CommandHelp {
  /** One line for `lbguard --help`. */
  readonly short: string;
  readonly usage: string;
  readonly summary: string;
  readonly flags?: string;
  readonly details?: string;
  readonly example: string;
}

const COMMAND_HELP: Readonly<Record<CommandName, CommandHelp>> = {
  status: {
    short: "where each target's traffic goes, health, drift, incident, diagnosis",
    usage: 'lbguard status [--service NAME | --fleet [--hub --hub-table NAME]]',
    summary:
      "Per listener and rule: each target's share of traffic (routing model), target health, drift against last known good, open incident, and the diagnosis with its evidence.",
    flags: `  -s, --service NAME   one service from the config (default: all)
  --fleet              every load balancer tagged lbguard:guard in the config's fleet accounts
                       and regions (assumes fleet.roleName in each; docs/fleet.md): one line per
                       account/region and per service
  --hub                with --fleet: the fleet as the hub last heard it (fleet.hub; docs/fleet.md
                       "From the hub"), read from the hub table with your own credentials, which
                       must be the hub account's: spokes' heartbeats, services, uncovered LBs
  --hub-table NAME     the hub table (required with --hub; the hub stack lists it in its outputs)`,
    details:
      'Exit 1 when the diagnosis is anything but healthy. With --fleet: exit 3 when an account, region or service could not be read (the others are still listed), else 1 on any finding or unusable tag. With --fleet --hub: exit 0 when every load balancer is covered and healthy and every spoke heard from, 1 otherwise, 3 when the hub table cannot be read.',
    example: 'lbguard status --service shop',
  },
  verify: {
    short: 'pipeline gate: exit 0 only when traffic is spread as configured and healthy',
    usage:
      'lbguard verify [--service NAME] [--wait [--timeout SECONDS] [--interval SECONDS]] [--no-probe]\n       lbguard verify [SERVICE] --plan <cdk.out | TEMPLATE | CHANGE_SET_ARN> [--stack NAME]',
    summary:
      'The pipeline gate: exit 0 only when traffic is spread as configured and recent probe results are green. Traffic on one target fails it whatever the cause, named as configuration, health or capacity with what to do; every difference from last known good is listed as benign or harmful.',
    flags: `  -s, --service NAME   one service from the config (default: all)
  --wait               poll until converged or --timeout; one timestamped line per poll
  --timeout SECONDS    with --wait: give up after this long, exit 1 (default 300)
  --interval SECONDS   with --wait: seconds between polls (default 10)
  --no-probe           do not run the probes from here; health then comes only from the
                       probe function's results of the last two probe rounds, else "health unknown"
  --plan WHAT          before a deploy: a cdk.out directory, a CloudFormation template (JSON or
                       YAML) or a change set ARN; predicts each target's share under live health
  --stack NAME         with --plan on a template file: the stack it deploys to (maps its
                       resources to live ones and shows what the deploy deletes)`,
    details:
      'Runs the probes it can (not those sending a secret) and also lints the configuration: a lint error fails verify, warnings do not. No probe result in the window fails verify as "health unknown". With --json, progress lines go to stderr. With --plan it is the pre-deploy gate instead: exit 1 when the deploy would leave one healthy target carrying a group, send traffic to a group with no healthy target, or remove the only route to a busy group — and when a reference cannot be predicted (docs/pre-deploy-gate.md).',
    example: 'lbguard verify --service shop --wait --timeout 600 --json',
  },
  lint: {
    short: 'lint the live load balancer configuration (rules LBG-L*)',
    usage: 'lbguard lint [--service NAME | --org]',
    summary:
      "Lint each service's live load balancer configuration with target health: 100/0 forwards while the idle group has targets, forwards to empty groups, unreachable rules, a default 5xx, too few targets or zones, lax or strict health checks. docs/lint-rules.md lists every rule and its fix.",
    flags: `  -s, --service NAME   one service from the config (default: all)
  --org                every load balancer tagged lbguard:guard in the config's fleet accounts
                       and regions (assumes fleet.roleName in each; docs/fleet.md)`,
    details:
      'Exit 1 when any finding is an error; warnings are printed but do not fail. Reads ELBv2 only (no state table needed). With --org: exit 3 when an account or region could not be read (the others are still listed), else 1 on any error or unusable tag.',
    example: 'lbguard lint --service shop --json',
  },
  diff: {
    short: 'current configuration vs last known good, as typed changes',
    usage: 'lbguard diff [--service NAME]',
    summary: 'The current configuration against last known good, as typed changes (drift rules LBG-D*).',
    flags: '  -s, --service NAME   one service from the config (default: all)',
    details: 'Exit 1 when anything drifted; exit 2 when no last known good has been recorded yet.',
    example: 'lbguard diff --service shop',
  },
  snapshot: {
    short: 'record the configuration; --promote makes it last known good',
    usage: 'lbguard snapshot [--service NAME] [--promote [--force --reason TEXT]]',
    summary:
      'Record the current configuration. --promote makes it last known good, only if the diagnosis is healthy right now; --force overrides that with a recorded --reason.',
    flags: `  -s, --service NAME   one service from the config (default: all)
  --promote            make the snapshot last known good (only when healthy)
  --force              promote even when not healthy (needs --reason)
  --reason TEXT        why; recorded with the promotion`,
    details: 'Exit 1 when --promote was refused because the service is not healthy.',
    example: 'lbguard snapshot --service shop --promote',
  },
  restore: {
    short: 'plan to restore last known good (dry run); --apply runs it guarded',
    usage: 'lbguard restore [--service NAME] [--apply [--yes] [--force --reason TEXT]]',
    summary:
      'Show the plan that restores last known good (dry run, the default). --apply runs it through the guarded path of the remediate function: lock, re-plan, idempotent apply, verify.',
    flags: `  -s, --service NAME   one service from the config (default: all)
  --apply              apply the plan (asks for confirmation on a terminal)
  -y, --yes            do not ask; required with --apply when stdin is not a terminal
  --force              apply even though lbguard judges the load balancer not at fault (needs --reason)
  --reason TEXT        why; recorded in the incident and the notification`,
    details:
      'Exit 0 when there is nothing to restore or the plan was applied and verified; exit 1 when a plan exists but was not applied (dry run, refused, or verification failed). --apply prints a timestamped line per step and per wait for recovery (to stderr with --json).',
    example:
      'lbguard restore --service shop            # dry run\n  lbguard restore --service shop --apply --yes',
  },
  approve: {
    short: 'approve the plan awaiting approval (remediation.mode approve)',
    usage: 'lbguard approve SERVICE PLAN_HASH',
    summary:
      "Record your approval (your STS identity) of the plan awaiting approval on SERVICE's open incident, then hand it to remediate: the deployed function when LBGUARD_REMEDIATE_FUNCTION names it (stack output RemediateFunctionName), else remediate's own flow here. Remediate applies it only before it expires and only while the load balancer is still the one it was planned against; otherwise it plans again and asks again, listing what changed.",
    flags: '  (none besides the global ones)',
    details:
      'Exit 0 when the approval was recorded and handed off (or applied and verified here); exit 1 when it was refused (another plan awaits, it expired, nothing awaits) or the remediation here did not resolve.',
    example: 'lbguard approve shop 3f2a9c1e7b4d…  # the full hash from the notification',
  },
  incidents: {
    short: 'recent incidents, newest first',
    usage: 'lbguard incidents [--service NAME]',
    summary: 'Recent incidents per service, newest first.',
    flags: '  -s, --service NAME   one service from the config (default: all)',
    example: 'lbguard incidents --service shop',
  },
  postmortem: {
    short: 'draft the postmortem of an incident',
    usage: 'lbguard postmortem INCIDENT_ID [--out FILE] [--no-access-logs]',
    summary:
      "Draft the postmortem of an incident (summary, timeline, root cause and resolution, measures). When the service's load balancer writes access logs to S3, the impact section gets the incident window's per-target distribution from them.",
    flags: `  -o, --out FILE       write the Markdown to FILE instead of stdout
  --no-access-logs     do not read the load balancer's access logs (needs s3:ListBucket, s3:GetObject)`,
    details: 'Exit 2 when no incident has that id (list them with lbguard incidents).',
    example: "lbguard postmortem 'shop#2026-11-24T14:02:11.000Z' --out postmortem.md",
  },
  init: {
    short: 'create the lbguard state table',
    usage: 'lbguard init [--table NAME]',
    summary:
      'Create the lbguard state table (pk/sk strings, on demand, TTL on expiresAt), as the stack does; for a local emulator or a first run. Keeps an existing table.',
    example: 'lbguard init --table lbguard-state --endpoint-url http://127.0.0.1:5000',
  },
  doctor: {
    short: 'check prerequisites and print how to install what is missing',
    usage: 'lbguard doctor',
    summary:
      'Check the prerequisites of tests and drills (Node, moto_server, haproxy, socat) and of every command (AWS credentials, endpoint, state table), with the exact command that installs each missing one.',
    details: 'Exit 1 when something is missing.',
    example: 'lbguard doctor',
  },
  drill: {
    short: 'local game day: replay outages on a real load balancer, with and without lbguard',
    usage:
      'lbguard drill [--scenario NAME|all] [--out DIR] [--compare-unguarded | --no-compare-unguarded] [--rate N] [--observe-seconds N] [--real-clock]',
    summary:
      "Run a local game day: moto as AWS, HAProxy following it as the load balancer, a fleet of shop servers and customers, and lbguard's real lambda handlers on a compressed schedule (1 drill second = 1 AWS minute). Writes report.md, postmortem.md and SVG charts; prints a summary.",
    flags: `  --scenario NAME      seed-outage (default), gate-stops-seed, targets-deregistered, path-rule-flipped,
                       fixed-503-default, backend-crash-balanced, backend-500s,
                       healthy-noisy-soak, stale-last-good, blue-green-shift,
                       anomaly-mitigation, deployment-in-flight, rewrite-rule-restore,
                       rewrite-rule-recreated, data-plane-lag,
                       data-plane-stuck, or all
  -o, --out DIR        where the report goes (default drill-out)
  --compare-unguarded  also run every scenario without lbguard (default: the seed only)
  --no-compare-unguarded  never run the unguarded comparison
  --rate N             customer requests per second (default 150)
  --observe-seconds N  drill seconds to keep running after the fault (default per scenario;
                       360 with --real-clock)
  --real-clock         seed outage in real time: probes every 10 s, inspect every minute,
                       health checks at their configured timings, CloudTrail events 30 s
                       late; MTTD and MTTR in wall-clock seconds (takes ~15 minutes)`,
    details:
      'Needs moto_server and haproxy (lbguard doctor names them). Exit 1 when a scenario did not meet its expectations.',
    example: 'lbguard drill --scenario all --out drill-out',
  },
};

/** `lbguard --help`. */
export function renderMainHelp(): string {
  const width = Math.max(...Object.keys(COMMAND_HELP).map((c) => c.length));
  const commands = Object.entries(COMMAND_HELP)
    .map(([name, help]) => `  ${name.padEnd(width)}  ${help.short}`)
    .join('\n');
  return `lbguard — keeps a site behind an AWS Application Load Balancer serving

Usage: lbguard <command> [flags]

Commands:
${commands}

${GLOBAL_FLAGS}

${EXIT_CODES}

Examples:
  lbguard status
  lbguard verify --service shop        # in a pipeline after a load balancer change
  lbguard restore --service shop --apply

Run lbguard <command> --help for a command's flags. docs/cli.md has a walkthrough.`;
}

/** `lbguard <command> --help`. */
export function renderCommandHelp(command: CommandName): string {
  const help = COMMAND_HELP[command];
  return [
    `Usage: ${help.usage}`,
    '',
    help.summary,
    ...(help.details === undefined ? [] : ['', help.details]),
    ...(help.flags === undefined ? [] : ['', 'Flags:', help.flags]),
    '',
    GLOBAL_FLAGS,
    '',
    EXIT_CODES,
    '',
    'Example:',
    `  ${help.example}`,
  ].join('\n');
}
