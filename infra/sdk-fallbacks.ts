// Two fallbacks inside @smithy/core that a Lambda function can never take, replaced at bundle time
// (bundled mode only; esbuild's `alias` cannot, since both are reached by relative imports):
//
// - `checksum/sha256/Sha256Js.js` (3.3 KiB): a pure-JavaScript SHA-256 that `Sha256Node` falls back
//   to only when `node:crypto` cannot create a sha256 hash. Node on Lambda always can; the stand-in
//   throws, naming this file, should that ever change.
// - `config-resolver/regionConfig/getInstanceMetadataRegion.js` (1.2 KiB): asks EC2 instance
//   metadata for the region when neither `AWS_REGION` nor a profile names one. Lambda sets
//   `AWS_REGION` in every function and has no instance metadata (the real lookup times out to
//   `undefined`); the stand-in answers `undefined` at once, so a missing region fails as before,
//   with the SDK's "Region is missing".
// - `retry/util-retry/AdaptiveRetryStrategy.js` and the rate limiter behind it (~3 KiB): built only
//   in the `adaptive` retry mode; lbguard's clients retry in the standard mode. The stand-in throws,
//   naming AWS_RETRY_MODE, should the mode be set on a function.
// - `serde/util-stream/sdk-stream-mixin.browser.js` (~1.6 KiB with its base64): adapts web-stream
//   response bodies; the node HTTP handler only ever gives node streams.
// - `endpoints/middleware-endpoint/service-customizations/s3.js` (0.8 KiB): bucket rules the endpoint
//   resolver applies only to an S3 client, which no function carries.
// - `config/shared-ini-file-loader/loadSharedConfigFiles.js` and its INI parser (~2 KiB): reads
//   ~/.aws/config and ~/.aws/credentials, which a Lambda function does not have (settings come
//   from its environment); the stand-in answers the empty files the real reader would.
//
// test/unit/infra/bundles.test.ts checks both are replaced in every function, and
// test/integration/bundled-sdk.test.ts signs and sends real requests to moto through them.
import path from 'node:path';
import type { Plugin } from 'esbuild';

const SHIMS = path.resolve(import.meta.dirname, '..', 'lambdas', 'bundle-shims');

/** Each fallback: the importer it is reached from, the relative path, and its stand-in. */
export const SMITHY_FALLBACKS = [
  {
    importer: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]checksum[\\/]sha256[\\/]Sha256Node\.js$/,
    request: './Sha256Js',
    shim: path.join(SHIMS, 'no-sha256-js.ts'),
  },
  {
    importer:
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]config[\\/](config-resolver[\\/]regionConfig[\\/]config|defaults-mode[\\/]resolveDefaultsModeConfig)\.js$/,
    request: /(^|\/)getInstanceMetadataRegion$/,
    shim: path.join(SHIMS, 'no-imds-region.ts'),
  },
  {
    importer:
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]retry[\\/]middleware-retry[\\/]configurations\.js$/,
    request: '../util-retry/AdaptiveRetryStrategy',
    shim: path.join(SHIMS, 'no-adaptive-retry.ts'),
  },
  {
    importer:
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]serde[\\/]util-stream[\\/]sdk-stream-mixin\.js$/,
    request: './sdk-stream-mixin.browser',
    shim: path.join(SHIMS, 'no-web-streams.ts'),
  },
  {
    importer:
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]endpoints[\\/]middleware-endpoint[\\/]adaptors[\\/]getEndpointFromInstructions\.js$/,
    request: '../service-customizations',
    shim: path.join(SHIMS, 'no-s3-endpoints.ts'),
  },
  {
    importer:
      /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]config[\\/]node-config-provider[\\/]fromSharedConfigFiles\.js$/,
    request: '../shared-ini-file-loader/loadSharedConfigFiles',
    shim: path.join(SHIMS, 'no-shared-config-files.ts'),
  },
] as const;

export function smithyFallbacksPlugin(): Plugin {
  return {
    name: 'lbguard-smithy-fallbacks',
    setup(build) {
      build.onResolve(
        {
          filter:
            /(Sha256Js|getInstanceMetadataRegion|AdaptiveRetryStrategy|sdk-stream-mixin\.browser|service-customizations|loadSharedConfigFiles)$/,
        },
        (args) => {
          for (const f of SMITHY_FALLBACKS) {
            const requested =
              typeof f.request === 'string' ? args.path === f.request : f.request.test(args.path);
            if (requested && f.importer.test(args.importer)) return { path: f.shim };
          }
          return undefined;
        },
      );
    },
  };
}
