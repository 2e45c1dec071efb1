// Stands in for lib/config/schema/fleet.ts in the deployed bundles (a plugin in infra/bundling.ts),
// never imported by name. The fleet section drives the CLI's fan-out commands only, and the
// construct leaves it out of the config every function receives (`runtimeConfigFor`,
// infra/services.ts), so no function parses one; its schema would cost each bundle ~1.5 KiB.
// test/unit/infra/bundles.test.ts proves a bundle refuses a fleet section with this message.
import * as z from 'zod/mini';

/** What a deployed function says of a fleet section in its config. */
export const NO_FLEET_MESSAGE =
  "is read by the lbguard CLI only: the construct leaves it out of the functions' config (infra/services.ts)";

export const fleetSchema = z.never({ error: NO_FLEET_MESSAGE });
