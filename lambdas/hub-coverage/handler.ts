import * as z from 'zod/mini';
import { checkCoverage } from '../flows/hub-coverage.ts';
import { atColdStart } from '../runtime/cold-start.ts';
import { readHubCoverageEnv } from '../runtime/hub-env.ts';
import { createHandler } from '../runtime/middleware.ts';
import { hubCoverageDeps } from './deps.ts';

// hub-coverage: every minute (EventBridge schedule), one coverage check of the whole fleet. The
// scheduled event carries nothing the check needs. A failed check throws: no CoverageChecks is
// counted and the missing-checks alarm speaks.
const deps = atColdStart(() => hubCoverageDeps(readHubCoverageEnv(process.env)));

export const handler = createHandler(z.unknown(), async () => {
  const outcome = await checkCoverage(deps());
  return { kind: outcome.kind, uncovered: outcome.result.uncovered.length };
});
