import { runEnrolment } from '../flows/enrolment.ts';
import { atColdStart } from '../runtime/cold-start.ts';
import { EnrolEventSchema } from '../runtime/enrol-events.ts';
import { readEnv } from '../runtime/env.ts';
import { createHandler } from '../runtime/middleware.ts';
import { enrolDeps } from './deps.ts';

// Enrol: on the sweep schedule and on a load balancer created, deleted or (un)tagged, one sweep of
// the account and region into the signed enrolment registry, then one message per transition.
const deps = atColdStart(() => enrolDeps(readEnv(process.env)));

export const handler = createHandler(EnrolEventSchema, (event) => runEnrolment(event, deps()));
