// zod/mini, not `zod`: the chained classes of classic zod keep all of it in every bundle.
import * as z from 'zod/mini';
import type { LbGuardConfig } from '../../lib/config/index.ts';
import { loadConfigJsonOrThrow } from '../../lib/config/json.ts';
import '../../lib/config/zod-english.ts';
import { EnvironmentError } from './environment-error.ts';

/** What every function reads from its environment, validated once at cold start. */
export interface LbGuardEnv {
  readonly config: LbGuardConfig;
  readonly tableName: string;
  readonly topicArn: string;
  /**
   * The topic inspect hands remediation requests to and remediate is subscribed to; probe runs
   * without it.
   */
  readonly remediationTopicArn?: string;
  /**
   * The KMS HMAC key (ARN, or alias ARN) that signs and verifies snapshots and last known good in
   * the state table; inspect and remediate need it, probe runs without it.
   */
  readonly stateKey?: string;
  /**
   * Whether to report findings, incident transitions, enrolments and heartbeats on the default
   * event bus, which a rule forwards to the hub (`LBGUARD_HUB_EVENTS=on`, set when the stack is
   * given a hub bus). Off: no hub, no events.
   */
  readonly hubEvents?: boolean;
}

const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[A-Za-z0-9-]{1,128}|alias\/[A-Za-z0-9/_-]{1,250})$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/;

const envSchema = z.object({
  LBGUARD_CONFIG: z.string().check(z.minLength(1, 'must hold the validated lbguard config as JSON')),
  LBGUARD_TABLE: z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name')),
  LBGUARD_TOPIC_ARN: z.string().check(z.regex(SNS_TOPIC_ARN, 'must be an SNS topic ARN')),
  LBGUARD_REMEDIATION_TOPIC_ARN: z.optional(
    z.string().check(z.regex(SNS_TOPIC_ARN, 'must be an SNS topic ARN')),
  ),
  LBGUARD_STATE_KEY: z.optional(z.string().check(z.regex(KMS_KEY_ARN, 'must be a KMS key or alias ARN'))),
  LBGUARD_HUB_EVENTS: z.optional(z.enum(['on', 'off'], { error: 'must be on or off' })),
});

// Apart, so that a function given no config (approve) can raise it without the config's schema.
export { EnvironmentError } from './environment-error.ts';

/**
 * Reads and validates the environment. Throws (so the function fails at init, loudly, rather
 * than acting on half a configuration) with one line per problem; values are never quoted,
 * because `LBGUARD_CONFIG` carries probe headers that may hold tokens.
 */
export function readEnv(env: Readonly<Record<string, string | undefined>>): LbGuardEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${describe(i)}`);
    throw new EnvironmentError(`lbguard: bad environment\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  // The construct writes LBGUARD_CONFIG with JSON.stringify, so no YAML parser is bundled; this
  // raises a ConfigError naming every path that is wrong.
  const config = loadConfigJsonOrThrow(e.LBGUARD_CONFIG, 'LBGUARD_CONFIG');
  return {
    config,
    tableName: e.LBGUARD_TABLE,
    topicArn: e.LBGUARD_TOPIC_ARN,
    ...(e.LBGUARD_REMEDIATION_TOPIC_ARN === undefined
      ? {}
      : { remediationTopicArn: e.LBGUARD_REMEDIATION_TOPIC_ARN }),
    ...(e.LBGUARD_STATE_KEY === undefined ? {} : { stateKey: e.LBGUARD_STATE_KEY }),
    hubEvents: e.LBGUARD_HUB_EVENTS === 'on',
  };
}

function describe(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_type' ? 'is required' : issue.message;
}

/**
 * What the wiring functions need to build a function's default adapters: the validated
 * environment, or the CLI's and the drill's equivalent. The topics are needed only by the
 * adapters that publish to them, and only when the caller does not bring its own.
 */
export type WiringEnv = Pick<LbGuardEnv, 'config' | 'tableName'> &
  Partial<Pick<LbGuardEnv, 'topicArn' | 'remediationTopicArn' | 'stateKey' | 'hubEvents'>>;

/**
 * A topic the function cannot run without: the notification topic (for the default notifier) or
 * the remediation topic (inspect hands off to it, remediate checks requests came from it). Throws
 * at cold start, naming the variable, when it is missing.
 */
export function requireTopic(env: WiringEnv, topic: 'topicArn' | 'remediationTopicArn' = 'topicArn'): string {
  const arn = env[topic];
  if (arn === undefined) {
    const variable = topic === 'topicArn' ? 'LBGUARD_TOPIC_ARN' : 'LBGUARD_REMEDIATION_TOPIC_ARN';
    throw new EnvironmentError(`lbguard: bad environment\n${variable}: is required`);
  }
  return arn;
}

/** The state key, for a function that reads or writes snapshots; throws at cold start naming the variable. */
export function requireStateKey(env: WiringEnv): string {
  if (env.stateKey === undefined)
    throw new EnvironmentError('lbguard: bad environment\nLBGUARD_STATE_KEY: is required');
  return env.stateKey;
}
