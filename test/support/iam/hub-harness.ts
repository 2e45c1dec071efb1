import type { MotoServer } from '../../../drill/world/moto.ts';
import { fleetRoleStack, hubConfig, hubStack, LISTED_ACCOUNTS } from '../../unit/infra/hub-stacks.ts';
import { synthesize } from '../../unit/infra/support.ts';
import { redirectMoto } from '../aws-env.ts';
import { redirectFleetMoto } from '../fleet-moto.ts';
import { ActionRecorder } from './action-recorder.ts';
import {
  type AccountRole,
  type Identities,
  resetWithIdentities,
  roleName,
  startIamMoto,
} from './moto-identities.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { HUB_FUNCTIONS, type RoleGrants, templateGrants } from './template-grants.ts';

// The IAM proof's third part: the hub's two function roles, from the hub stack's template, in the
// hub account of an IAM-enforcing moto of its own, and the fleet reader role, from
// `LbGuardFleetRoleStack`'s template, in each listed account (each with an administrator of its
// own for the set-up there). The hub's scenarios (test/integration/hub-coverage.test.ts) build
// the functions' deps from an endpoint and credentials, so their calls are recorded on the wire
// (recording-proxy.ts); the keys hub-coverage assumes in each account are the reader role's.

/** The roles this part proves: the hub's functions and the reader role they assume. */
export const HUB_ROLES = [...HUB_FUNCTIONS, 'fleet-reader'] as const;
export type HubRole = (typeof HUB_ROLES)[number];

const READER = 'lbguard-fleet-reader';
const HUB_ACCOUNT = '123456789012';

/** The templates in words, for the report. */
export const HUB_PROOF_TEMPLATE =
  "the `LbGuardHubStack` ('Hub') admitting the listed accounts " +
  `${LISTED_ACCOUNTS.join(', ')} (test/unit/infra/hub-stacks.ts \`hubConfig('accounts')\`), for hub-ingest and ` +
  "hub-coverage; and `LbGuardFleetRoleStack` ('FleetRole', role `lbguard-fleet-reader`, no operators: its " +
  "parameters' defaults) for the reader role, created in each listed account.";

export interface HubIamProof {
  readonly moto: MotoServer;
  readonly grants: Readonly<Record<HubRole, RoleGrants>>;
  readonly recorder: ActionRecorder;
  /** The recording proxy the hub functions' calls go through. */
  readonly proxyUrl: string;
  identities(): Identities;
  close(): Promise<void>;
}

/** Synthesizes both stacks, starts the moto and the recorder, and points the fleet helpers at them. */
export async function startHubIamProof(): Promise<HubIamProof> {
  const hub = templateGrants(synthesize(hubStack('Hub', hubConfig('accounts'))).json, HUB_FUNCTIONS);
  const reader = templateGrants(synthesize(fleetRoleStack).json, ['fleet-reader'], {
    'fleet-reader': 'FleetReaderRole',
  });
  const grants = { ...hub, ...reader };
  const moto = await startIamMoto();
  const recorder = new ActionRecorder();
  let current: Identities | undefined;
  const identities = (): Identities => {
    if (current === undefined) throw new Error('IAM proof: moto has no identities yet; reset first');
    return current;
  };
  const readers: AccountRole[] = LISTED_ACCOUNTS.map((account) => ({
    account,
    roleName: READER,
    as: 'fleet-reader',
    policies: reader['fleet-reader'].motoPolicies,
    trustedArn: `arn:aws:iam::${HUB_ACCOUNT}:role/${roleName('hub-coverage')}`,
  }));
  const reset = async (): Promise<void> => {
    current = await resetWithIdentities(
      moto.url,
      Object.fromEntries(HUB_FUNCTIONS.map((fn) => [fn, hub[fn].motoPolicies])),
      readers,
    );
  };
  const proxy: RecordingProxy = await startRecordingProxy({
    target: moto.url,
    recorder,
    whose: (key) =>
      current === undefined ? undefined : HUB_FUNCTIONS.find((fn) => current?.roles[fn]?.accessKeyId === key),
    assumes: { from: 'hub-coverage', as: 'fleet-reader' },
  });
  redirectMoto({ url: moto.url, credentials: () => identities().admin, reset });
  redirectFleetMoto({
    url: moto.url,
    admin: (account) => {
      const admin = identities().admins[account];
      if (admin === undefined) throw new Error(`IAM proof: no administrator in account ${account}`);
      return admin;
    },
    functionOptions: (fn) => {
      const credentials = identities().roles[fn];
      if (credentials === undefined) throw new Error(`IAM proof: no ${fn} role`);
      return { endpoint: proxy.url, credentials };
    },
  });
  return {
    moto,
    grants,
    recorder,
    proxyUrl: proxy.url,
    identities,
    async close() {
      redirectFleetMoto(undefined);
      redirectMoto(undefined);
      await proxy.close();
      await moto.stop();
    },
  };
}
