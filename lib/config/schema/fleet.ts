/**
 * The `fleet` section: where the fan-out commands and the hub look for load balancers tagged
 * `lbguard:guard` (accounts, regions, the role they assume there). Kept in its own file: only the
 * CLI and the hub read it, and the spoke's bundles carry a refusing stub instead (infra/bundling.ts).
 * The profiles a tag picks are the `discovery` section's (schema/discovery.ts): the spoke needs them.
 */
import * as z from 'zod/mini';
import '../zod-english.ts';
import { hasIssuesAt, intIn, strict, whenObject } from './helpers.ts';
import { REGION } from './leaves.ts';

const ACCOUNT_ID = /^\d{12}$/;
/** IAM role names (no path): what `arn:aws:iam::ACCOUNT:role/NAME` may end with. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const BUS_NAME = /^[A-Za-z0-9._-]{1,256}$/;

/**
 * The hub (docs/fleet.md "Hub"): one EventBridge bus in a monitoring account that every spoke
 * forwards findings, incident transitions and heartbeats to, and the coverage check over them.
 */
export const hubSchema = strict({
  /** Who may put events on the hub bus: the organisation (else the listed `accounts`). */
  organizationId: z.optional(
    z.string().check(z.regex(ORGANIZATION_ID, 'must be an organisation id like o-a1b2c3d4e5')),
  ),
  busName: z._default(
    z.string().check(z.regex(BUS_NAME, 'must be an EventBridge bus name (letters, digits, . _ -)')),
    'lbguard-hub',
  ),
  /** A tagged load balancer without a guard heartbeat for this long is uncovered. */
  coverageMinutes: z._default(intIn(2, 60), 5),
});
export type HubConfig = z.output<typeof hubSchema>;

const regionSchema = z.string().check(z.regex(REGION, 'must be an AWS region like eu-west-1'));

export const fleetSchema = strict({
  roleName: z
    .string()
    .check(z.regex(ROLE_NAME, 'must be an IAM role name without path, like lbguard-fleet-reader')),
  accounts: z.optional(
    z
      .array(z.string().check(z.regex(ACCOUNT_ID, 'must be a 12-digit account id in quotes')))
      .check(z.minLength(1, 'must not be empty')),
  ),
  organization: z.optional(z.boolean()),
  regions: z.array(regionSchema).check(z.minLength(1, 'must list a region, like [eu-west-1]')),
  concurrency: z._default(intIn(1, 32), 4),
  hub: z.optional(hubSchema),
}).check(
  z.superRefine((fleet, ctx) => {
    if (hasIssuesAt(ctx, 'accounts', 'organization')) return;
    const listed = fleet.accounts !== undefined;
    const organization = fleet.organization === true;
    if (listed === organization) {
      ctx.addIssue({
        code: 'custom',
        path: listed ? ['organization'] : ['accounts'],
        message: listed
          ? 'must be left out when accounts are listed (one or the other)'
          : 'must list account ids, or set organization: true for every active account',
      });
    }
    if (
      organization &&
      fleet.hub !== undefined &&
      fleet.hub.organizationId === undefined &&
      !hasIssuesAt(ctx, 'hub')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['hub', 'organizationId'],
        message:
          'is required with organization: true (the hub bus admits the organisation), e.g. o-a1b2c3d4e5',
      });
    }
  }, whenObject),
);
export type FleetConfig = z.output<typeof fleetSchema>;
