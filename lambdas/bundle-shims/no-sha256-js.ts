// Stands in for @smithy/core's pure-JavaScript SHA-256 in the deployed bundles (infra/sdk-fallbacks.ts):
// `Sha256Node` takes it only when `node:crypto` cannot hash sha256, which Node on Lambda always can.

export const NO_SHA256_JS_MESSAGE =
  "lbguard: node:crypto could not create a sha256 hash, and the deployed bundles leave out the SDK's " +
  'JavaScript fallback (infra/sdk-fallbacks.ts). Remove that replacement to run on such a runtime.';

export class Sha256Js {
  constructor() {
    throw new Error(NO_SHA256_JS_MESSAGE);
  }
}
