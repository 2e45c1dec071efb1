// Stands in for `@aws-sdk/middleware-endpoint-discovery` in the deployed bundles (an esbuild alias
// in infra/bundling.ts), never imported by name. The DynamoDB client resolves an endpoint-discovery
// configuration (an endpoint cache built on an LRU cache, ~2 KiB with its dependencies) in every
// client, but no DynamoDB command of this SDK adds the discovery middleware that would read it
// (`commandBuilder.js`: `_mw0 = () => []`), so nothing is ever discovered: the client's endpoint is
// the regional one, or the endpoint lbguard passes. test/unit/infra/bundles.test.ts checks that
// no command lbguard calls asks for discovery; should an SDK release add the middleware, the import
// of a name this module lacks fails the bundle build.

/** The client reads the setting from the environment; whatever it says, no command discovers. */
export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = {
  environmentVariableSelector: (): undefined => undefined,
  configFileSelector: (): undefined => undefined,
  default: undefined,
};

/** The configuration passes through without the endpoint cache nobody reads. */
export function resolveEndpointDiscoveryConfig<T extends object>(input: T): T {
  return input;
}
