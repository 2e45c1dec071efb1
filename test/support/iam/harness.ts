import type { FunctionClients } from '../../../drill/run-types.ts';
import type { MotoServer } from '../../../drill/world/moto.ts';
import type { AwsClientOptions } from '../../../lambdas/adapters/clients.ts';
import { inspectClients } from '../../../lambdas/inspect/deps.ts';
import { probeClients } from '../../../lambdas/probe/deps.ts';
import { remediateClients } from '../../../lambdas/remediate/deps.ts';
import { importedLbStack } from '../../unit/infra/stacks.ts';
import { synthesize, testConfig } from '../../unit/infra/support.ts';
import { redirectMoto } from '../aws-env.ts';
import { useFunctionClients } from '../moto-lambdas.ts';
import { ActionRecorder } from './action-recorder.ts';
import { type Identities, resetWithIdentities, startIamMoto } from './moto-identities.ts';
import { FUNCTIONS, type FunctionName, type RoleGrants, templateGrants } from './template-grants.ts';

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

export interface IamProof {
  readonly moto: MotoServer;
  readonly grants: Readonly<Record<FunctionName, RoleGrants>>;
  readonly recorder: ActionRecorder;
  /** The identities moto holds now; a reset (each world, each drill run) makes new ones. */
  identities(): Identities;
  /** Resets moto and provisions the administrator and the roles again. */
  reset(): Promise<Identities>;
  /** Client options under `fn`'s role, against the proof's moto. */
  clientOptions(fn: FunctionName): AwsClientOptions;
  /** Each function's clients under its role, recorded. */
  functionClients(): FunctionClients;
  close(): Promise<void>;
}

/**
 * Synthesizes the stack, starts the enforcing moto and points `createMotoWorld` and the fixtures
 * at it (`redirectMoto`, `useFunctionClients`) until `close`.
 */
export async function startIamProof(): Promise<IamProof> {
  const grants = templateGrants(synthesize(proofStack()).json);
  const policies = Object.fromEntries(FUNCTIONS.map((fn) => [fn, grants[fn].motoPolicies])) as Record<
    FunctionName,
    RoleGrants['motoPolicies']
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
  const clientOptions = (fn: FunctionName): AwsClientOptions => ({
    endpoint: moto.url,
    region: 'us-east-1',
    credentials: identities().roles[fn],
    maxAttempts: 2,
  });
  // Built by each function's own client factory, so a client a function gains is covered too.
  const functionClients = (): FunctionClients => ({
    probe: recorder.instrument('probe', probeClients(clientOptions('probe'))),
    inspect: recorder.instrument('inspect', inspectClients(clientOptions('inspect'))),
    remediate: recorder.instrument('remediate', remediateClients(clientOptions('remediate'))),
  });
  redirectMoto({
    url: moto.url,
    credentials: () => identities().admin,
    reset: async () => void (await reset()),
  });
  useFunctionClients(functionClients);
  return {
    moto,
    grants,
    recorder,
    identities,
    reset,
    clientOptions,
    functionClients,
    async close() {
      useFunctionClients(undefined);
      redirectMoto(undefined);
      await moto.stop();
    },
  };
}
