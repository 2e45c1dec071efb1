// Stands in for @smithy/core's adaptive retry strategy in the deployed bundles
// (infra/sdk-fallbacks.ts). A client builds it only when its retry mode is `adaptive`
// (AWS_RETRY_MODE or `retryMode`); lbguard's clients use the standard mode, so the strategy and the
// client-side rate limiter behind it (~3 KiB) are never built.

export const NO_ADAPTIVE_RETRY_MESSAGE =
  "lbguard: the deployed bundles leave out the AWS SDK's adaptive retry mode (infra/sdk-fallbacks.ts): " +
  'unset AWS_RETRY_MODE=adaptive on the function, or remove that replacement.';

export class AdaptiveRetryStrategy {
  constructor() {
    throw new Error(NO_ADAPTIVE_RETRY_MESSAGE);
  }
}
