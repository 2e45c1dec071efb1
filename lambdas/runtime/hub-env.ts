// zod/mini, as env.ts: the hub's bundles stay small too.
import * as z from 'zod/mini';
import { type HubFunctionConfig, loadHubConfigOrThrow } from '../../lib/config/hub-config.ts';
import { EnvironmentError } from './environment-error.ts';

/** hub-ingest's environment. */
export interface HubIngestEnv {
  readonly hubTableName: string;
}

/** hub-coverage's environment. */
export interface HubCoverageEnv extends HubIngestEnv {
  readonly topicArn: string;
  readonly config: HubFunctionConfig;
}

const TABLE = z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'));
const TOPIC = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/, 'must be an SNS topic ARN'));

const ingestSchema = z.object({ LBGUARD_HUB_TABLE: TABLE });
const coverageSchema = z.object({
  LBGUARD_HUB_TABLE: TABLE,
  LBGUARD_HUB_TOPIC_ARN: TOPIC,
  LBGUARD_FLEET_CONFIG: z.string().check(z.minLength(1, 'must hold { "fleet": …, "profiles": … } as JSON')),
});

function parseOrThrow<S extends z.core.$ZodType>(schema: S, env: unknown): z.output<S> {
  const parsed = z.safeParse(schema, env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map(
    (i) => `${String(i.path[0])}: ${i.code === 'invalid_type' ? 'is required' : i.message}`,
  );
  throw new EnvironmentError(`lbguard: bad environment\n${lines.join('\n')}`);
}

/** Reads hub-ingest's environment once at cold start; throws naming each bad variable. */
export function readHubIngestEnv(env: Readonly<Record<string, string | undefined>>): HubIngestEnv {
  return { hubTableName: parseOrThrow(ingestSchema, env).LBGUARD_HUB_TABLE };
}

/**
 * Reads hub-coverage's environment once at cold start. `LBGUARD_FLEET_CONFIG` is parsed with the
 * config file's schemas; a bad one raises a ConfigError naming the field (`fleet.regions: …`).
 */
export function readHubCoverageEnv(env: Readonly<Record<string, string | undefined>>): HubCoverageEnv {
  const e = parseOrThrow(coverageSchema, env);
  return {
    hubTableName: e.LBGUARD_HUB_TABLE,
    topicArn: e.LBGUARD_HUB_TOPIC_ARN,
    config: loadHubConfigOrThrow(e.LBGUARD_FLEET_CONFIG, 'LBGUARD_FLEET_CONFIG'),
  };
}
