// Stands in for @smithy/core's web-stream body mixin in the deployed bundles (infra/sdk-fallbacks.ts).
// The node mixin hands a body that is not a node `Readable` to it; the node HTTP handler lbguard's
// clients use only ever answers with `Readable`s. If it were reached, the node mixin turns this
// error into its own "Unexpected stream implementation" message, as it does for any stream it
// cannot adapt.

export function sdkStreamMixin(): never {
  throw new Error('lbguard: web-stream response bodies are left out of the deployed bundles');
}
