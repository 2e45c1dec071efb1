// Stands in for `@smithy/core/event-streams` in the deployed bundles (an esbuild alias in
// infra/bundling.ts), never imported by name. Every SDK client reaches that module through one
// lazy `import()` in `HttpProtocol.loadEventStreamCapability`, taken only by operations whose input
// or output is an event stream (Lambda's InvokeWithResponseStream, S3's SelectObjectContent…).
// esbuild cannot know the branch is dead and bundles the whole codec, ~15 KiB a function.
// test/unit/infra/bundles.test.ts proves that no operation a function calls streams events, so
// these exports are never reached; if one ever is, it fails with this message, not a stack from
// inside the SDK.

/** What an operation that streams events gets from a deployed bundle. */
export const NO_EVENT_STREAMS_MESSAGE =
  "lbguard: this operation streams events, and the deployed bundles leave out the AWS SDK's " +
  'event-stream support (infra/bundling.ts). Remove the @smithy/core/event-streams alias there ' +
  'before calling it from a function.';

function missing(): never {
  throw new Error(NO_EVENT_STREAMS_MESSAGE);
}

/** The two names `HttpProtocol.loadEventStreamCapability` takes from the real module. */
export class EventStreamSerde {
  constructor() {
    missing();
  }
}

export function eventStreamSerdeProvider(): never {
  return missing();
}
