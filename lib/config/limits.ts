/**
 * Upper bounds on what `lbguard.config.yaml` may hold, in one place. Each is enforced by the schema
 * with a message that names it (`… (limit stepsPerProbe)`), and docs/configuration.md lists them
 * with their reasons (a unit test keeps the two in step).
 *
 * The whole config has a further, harder bound that is not repeated here: every function receives
 * it as JSON in its environment, which Lambda caps at 4 KB, and `cdk synth` refuses a config that
 * would not fit (infra/functions.ts). These limits catch, field by field and before any deployment,
 * what no deployment could carry or what a probe round could not finish.
 */
export const LIMITS = {
  /** `services[]`: one inspect invocation works through the services one after another. */
  services: 50,
  /** `services[].probes[]`: a service's probes run side by side every round. */
  probesPerService: 20,
  /** `steps[]` of a journey: steps run one after another, each up to `timeoutMs`, in a round. */
  stepsPerProbe: 10,
  /** Request `headers` of one request. */
  requestHeaders: 20,
  /** One request header value (an `Authorization` token fits). */
  headerValueChars: 2048,
  /** One request `body`: a body larger than this could never fit the 4 KB environment. */
  requestBodyChars: 4096,
  /** `expect.headers` of one request. */
  expectedHeaders: 20,
  /** `expect.bodyContains` and an exact `expect.headers` value. */
  expectationChars: 1024,
  /** A regular expression in `expect.bodyMatches` or `expect.headers.*.matches`. */
  patternChars: 256,
  /** A probe `url`. */
  urlChars: 2048,
} as const;

/** The name of one limit, as error messages and docs/configuration.md spell it. */
export type LimitName = keyof typeof LIMITS;
