import { probe } from '../flows/probe.ts';
import { atColdStart } from '../runtime/cold-start.ts';
import { readEnv } from '../runtime/env.ts';
import { ProbeEventSchema } from '../runtime/events.ts';
import { createHandler } from '../runtime/middleware.ts';
import { probeDeps } from './deps.ts';

// Probe: synthetic journeys in rounds for most of a minute, and one served-by sample.
const deps = atColdStart(() => probeDeps(readEnv(process.env)));

export const handler = createHandler(ProbeEventSchema, (event, context) =>
  probe(event, { ...deps(), remainingTimeMs: () => context.getRemainingTimeInMillis() }),
);
