import * as z from 'zod/mini';
import { ingestHubEvent } from '../flows/hub-ingest.ts';
import { atColdStart } from '../runtime/cold-start.ts';
import { readHubIngestEnv } from '../runtime/hub-env.ts';
import { createHandler } from '../runtime/middleware.ts';
import { hubIngestDeps } from './deps.ts';

// hub-ingest: one event from the hub bus per invocation (the rule's target). The event is taken
// as it comes: the flow validates it, and refuses (never throws on) a malformed one, so a poison
// event is counted once instead of retried into the dead-letter queue.
const deps = atColdStart(() => hubIngestDeps(readHubIngestEnv(process.env)));

export const handler = createHandler(z.unknown(), (event) => ingestHubEvent(event, deps()));
