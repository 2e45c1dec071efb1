// Stands in for `@aws-lambda-powertools/jmespath` (and its `/functions` entry) in the deployed
// bundles (an esbuild alias in infra/bundling.ts), never imported by name. Powertools Idempotency
// imports the JMESPath engine statically but reaches it only when a config names
// `eventKeyJmesPath`, `payloadValidationJmesPath` or sets `throwOnNoIdempotencyKey: false`;
// lambdas/adapters/apply-once.ts does none of these (it hands over the key itself), so the
// ~23 KiB engine never runs. test/unit/infra/bundles.test.ts proves the apply keeps its key; if the
// engine is ever reached, it fails with this message, not a stack from inside Powertools.

/** What a JMESPath search gets from a deployed bundle. */
export const NO_JMESPATH_MESSAGE =
  "lbguard: JMESPath is left out of the deployed bundles (infra/bundling.ts), so Powertools Idempotency can't " +
  'take eventKeyJmesPath or payloadValidationJmesPath. Hand the key over as the payload ' +
  '(lambdas/adapters/apply-once.ts), or remove the @aws-lambda-powertools/jmespath alias there.';

export function search(): never {
  throw new Error(NO_JMESPATH_MESSAGE);
}

/**
 * `IdempotencyConfig` builds one of these as its default `customFunctions` whether or not JMESPath is
 * ever used, so it constructs quietly; only `search` fails.
 */
export class PowertoolsFunctions {}
