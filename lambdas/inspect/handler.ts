import { enforceVerification, inspect } from '../flows/inspect.ts';
import { atColdStart } from '../runtime/cold-start.ts';
import { readEnv } from '../runtime/env.ts';
import { InspectEventSchema } from '../runtime/events.ts';
import { createHandler } from '../runtime/middleware.ts';
import { inspectDeps } from './deps.ts';

// Inspect: on schedule, on an ELBv2 change, on an alarm, or to verify a deployment.
const deps = atColdStart(() => inspectDeps(readEnv(process.env)));

export const handler = createHandler(InspectEventSchema, async (event) =>
  enforceVerification(await inspect(event, deps())),
);
