import type { App, Stack } from 'aws-cdk-lib';
import type { FunctionClients } from '../../../drill/run-types.ts';
import type { MotoServer } from '../../../drill/world/moto.ts';
import { LbGuardStack } from '../../../infra/index.ts';
import type { AwsClientOptions } from '../../../lambdas/adapters/clients.ts';
import { enrolClients } from '../../../lambdas/enrol/deps.ts';
import { inspectClients } from '../../../lambdas/inspect/deps.ts';
import { probeClients } from '../../../lambdas/probe/deps.ts';
import { remediateClients } from '../../../lambdas/remediate/deps.ts';
import { loadConfigOrThrow } from '../../../lib/config/index.ts';
import { ENV, importedLbStack } from '../../unit/infra/stacks.ts';
import { synthesize, testConfig } from '../../unit/infra/support.ts';
import { redirectMoto } from '../aws-env.ts';
import { useFunctionClients, useSpokeClients } from '../moto-lambdas.ts';
import { ActionRecorder } from './action-recorder.ts';
import { type Identities, resetWithIdentities, startIamMoto } from './moto-identities.ts';
import {
  DISCOVERY_FUNCTIONS,
  FUNCTIONS,
  type FunctionName,
  type RoleGrants,
  templateGrants,
} from './template-grants.ts';

/** What one proof runs under: a stack to synthesize and the functions whose roles it proves. */
export interface ProofSpec<F extends FunctionName> {
  readonly stack: (app: App) => Stack;
  readonly functions: readonly F[];
}

// The IAM proof's set-up in one place: the stack synthesized as the template tests do (one
// service in `auto`, so remediate holds its load-balancer writes), an IAM-enforcing moto of its
// own, the roles in it, and every moto world and drill of this file pointed at it, each
// function's clients under that function's role and recorded.

/** The stack the proof's template is synthesized from: the stand-alone stack, `shop` in auto. */
export function proofStack() {
  return importedLbStack(testConfig({ mode: 'auto' }));
}

/** `proofStack` in words, for the report. */
export const PROOF_TEMPLATE =
  "the stand-alone `LbGuardStack` ('Guard') guarding one imported load balancer, its one service `shop` in `auto` " +
  'mode (so remediate holds its load-balancer writes; `allowCreateRule` off, so not `CreateRule`), synthesized as ' +
  'the template tests do (test/unit/infra/stacks.ts `importedLbStack`, support.ts `testConfig`).';

/**
 * The spoke in discovery mode the enrolment scenarios run (test/integration/enrolment.test.ts): no
 * listed service, every load balancer tagged `lbguard:guard` guarded with one profile in `auto`.
 */
export const DISCOVERY_PROOF: ProofSpec<(typeof DISCOVERY_FUNCTIONS)[number]> = {
  stack: (app) =>
    new LbGuardStack(app, 'Spoke', {
      env: ENV,
      config: loadConfigOrThrow(
        `
version: 1
region: eu-west-1
services: []
discovery:
  profiles:
    default:
      probes:
        - { name: home, url: "https://shop.example.com/" }
      remediation: { mode: auto }
`,
        'iam-proof-discovery.yaml',
      ),
    }),
  functions: DISCOVERY_FUNCTIONS,
};

/** `DISCOVERY_PROOF` in words, for the report. */
export const DISCOVERY_PROOF_TEMPLATE =
  "a spoke `LbGuardStack` ('Spoke') in discovery mode: `services: []` and one `discovery` profile in `auto` " +
  '(so remediate holds its account+region-wide load-balancer writes, and enrol exists), with the ' +
  "`HubEventBusArn` parameter's grants (inspect, remediate and enrol put events on the default bus), " +
  'synthesized as the template tests do (test/support/iam/harness.ts `DISCOVERY_PROOF`).';

export interface IamProof<F extends FunctionName = (typeof FUNCTIONS)[number]> {
  readonly moto: MotoServer;
  readonly functions: readonly F[];
  readonly grants: Readonly<Record<F, RoleGrants>>;
  readonly recorder: ActionRecorder;
  /** The identities moto holds now; a reset (each world, each drill run) makes new ones. */
  identities(): Identities;
  /** Resets moto and provisions the administrator and the roles again. */
  reset(): Promise<Identities>;
  /** Client options under `fn`'s role, against the proof's moto. */
  clientOptions(fn: FunctionName): AwsClientOptions;
  /** Each function's clients under its role, recorded. */
  functionClients(): FunctionClients;
  /**
   * Points the moto worlds, fixtures and drills at this proof's moto and roles (done on start; again
   * to take them back from another proof that ran in between).
   */
  activate(): void;
  close(): Promise<void>;
}

/**
 * Synthesizes the stack, starts the enforcing moto and points `createMotoWorld` and the fixtures
 * at it (`redirectMoto`, `useFunctionClients`, `useSpokeClients`) until `close`. Without a spec:
 * the stand-alone stack of `proofStack` and its three functions.
 */
export async function startIamProof<F extends FunctionName = (typeof FUNCTIONS)[number]>(
  spec: ProofSpec<F> = { stack: proofStack(), functions: FUNCTIONS } as unknown as ProofSpec<F>,
): Promise<IamProof<F>> {
  const grants = templateGrants(synthesize(spec.stack).json, spec.functions);
  const policies = Object.fromEntries(spec.functions.map((fn) => [fn, grants[fn].motoPolicies])) as Partial<
    Record<FunctionName, RoleGrants['motoPolicies']>
  >;
  const moto = await startIamMoto();
  const recorder = new ActionRecorder();
  let current: Identities | undefined;
  const identities = (): Identities => {
    if (current === undefined) throw new Error('IAM proof: moto has no identities yet; call reset() first');
    return current;
  };
  const reset = async (): Promise<Identities> => {
    current = await resetWithIdentities(moto.url, policies);
    return current;
  };
  const clientOptions = (fn: FunctionName): AwsClientOptions => {
    const credentials = identities().roles[fn];
    if (credentials === undefined) throw new Error(`IAM proof: this proof's template has no ${fn} role`);
    return { endpoint: moto.url, region: 'us-east-1', credentials, maxAttempts: 2 };
  };
  // Built by each function's own client factory, so a client a function gains is covered too.
  const functionClients = (): FunctionClients => ({
    probe: recorder.instrument('probe', probeClients(clientOptions('probe'))),
    inspect: recorder.instrument('inspect', inspectClients(clientOptions('inspect'))),
    remediate: recorder.instrument('remediate', remediateClients(clientOptions('remediate'))),
  });
  const has = (fn: FunctionName) => (spec.functions as readonly FunctionName[]).includes(fn);
  const activate = (): void => {
    redirectMoto({
      url: moto.url,
      credentials: () => identities().admin,
      reset: async () => void (await reset()),
    });
    const three = has('probe') && has('inspect') && has('remediate');
    useFunctionClients(three ? functionClients : undefined);
    useSpokeClients(
      three && has('enrol')
        ? () => ({
            ...functionClients(),
            enrol: recorder.instrument('enrol', enrolClients(clientOptions('enrol'))),
          })
        : undefined,
    );
  };
  activate();
  return {
    moto,
    functions: spec.functions,
    grants,
    recorder,
    identities,
    reset,
    clientOptions,
    functionClients,
    activate,
    async close() {
      useSpokeClients(undefined);
      useFunctionClients(undefined);
      redirectMoto(undefined);
      await moto.stop();
    },
  };
}
