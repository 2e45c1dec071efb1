export { ConfigError } from '../errors.ts';
export { suggestKey } from '../suggest.ts';
export { DEFAULTS } from './defaults.ts';
export { loadConfigJsonOrThrow, type ParseConfigJsonResult, parseConfigJson } from './json.ts';
export { LIMITS, type LimitName } from './limits.ts';
export {
  type ConfigIssue,
  formatConfigIssues,
  formatIssuePath,
  loadConfigOrThrow,
  type ParseConfigResult,
  parseConfig,
} from './parse.ts';
export {
  classifyAddress,
  classifyUrlHost,
  FORBIDDEN_RANGES,
  FORBIDDEN_TARGETS,
  type ForbiddenTarget,
  isIpLiteral,
  isRefused,
} from './probe-targets.ts';
export { findRegexRisk, type RegexRisk } from './regex-safety.ts';
export {
  configSchema,
  type DiscoveryConfig,
  type ExpectConfig,
  type FleetConfig,
  HTTP_METHODS,
  type HubConfig,
  type LbGuardConfig,
  type LbGuardConfigInput,
  type NotificationsConfig,
  type ProbeConfig,
  type ProbeStepConfig,
  type ProfileConfig,
  type RemediationConfig,
  type ScheduleConfig,
  type ServedBySampleConfig,
  type ServiceConfig,
  type ThresholdsConfig,
} from './schema.ts';
export {
  type ConfiguredValue,
  configSecretReferences,
  credentialWarnings,
  describeReference,
  isSecretReference,
  type PlainProbe,
  type PlainStep,
  plainProbe,
  referenceKey,
  type SecretReference,
  secretReferences,
  usesSecrets,
} from './secrets.ts';
