// The package's CDK entry point, `lbguard/cdk` (package.json `exports`): the construct, the stand-alone
// stack, the lint plugin, and the config loaders whose result the construct takes.

export {
  type ConfigIssue,
  formatConfigIssues,
  type LbGuardConfig,
  type LbGuardConfigInput,
  loadConfigOrThrow,
  parseConfig,
} from '../lib/config/index.ts';
export {
  type LbGuardAlarmOptions,
  type OnCallSignal,
  OperationalAlarms,
  type OperationalSignal,
  ServiceAlarms,
  type SignalAlarm,
} from './alarms.ts';
export {
  InvalidLoadBalancerArnError,
  type LoadBalancerArnParts,
  parseLoadBalancerArn,
  targetGroupFullName,
} from './arns.ts';
export {
  CONFIG_FILE_NAMES,
  type ConfigLocation,
  type LoadConfigResult,
  loadConfigFile,
} from './config-file.ts';
export { LbGuardDashboard, type LbGuardDashboardProps } from './dashboard.ts';
export { enrolmentPattern, ROUTING_CHANGE_EVENT_NAMES, routingChangePattern } from './event-patterns.ts';
export { EnvironmentTooLargeError, estimateEnvironmentBytes } from './functions.ts';
export {
  DEFAULT_STATE_TABLE,
  FLEET_DISCOVERY_ACTIONS,
  FLEET_STATUS_ELB_ACTIONS,
  LbGuardFleetRoleStack,
  type LbGuardFleetRoleStackProps,
} from './hub/fleet-role-stack.ts';
export { HubConfigError, hubSettingsFor } from './hub/hub-config.ts';
export { HUB_COVERAGE_ROLE_NAME, LbGuardHub, type LbGuardHubProps } from './hub/hub-construct.ts';
export { LbGuardHubStack, type LbGuardHubStackProps } from './hub/hub-stack.ts';
export { COVERAGE_QUERY, HUB_METRICS, HUB_NAMESPACE } from './hub/metrics.ts';
export { HUB_EVENT_BUS_ARN_PATTERN, HubForwarding, type HubForwardingProps } from './hub-forwarding.ts';
export {
  type GuardedServiceResources,
  LbGuard,
  type LbGuardProps,
  type LbGuardTrailMode,
} from './lbguard-construct.ts';
export { LbGuardStack, type LbGuardStackProps, stackEnvironmentFor } from './lbguard-stack.ts';
export { LbGuardLintPlugin, type LbGuardLintPluginProps, lintTemplate } from './lint-plugin.ts';
export { LBGUARD_METRICS, LBGUARD_NAMESPACE } from './metrics.ts';
export { LBGUARD_VERSION } from './package-version.ts';
export { ELBV2_READ_ACTIONS, remediationWriteStatements } from './permissions.ts';
export {
  addSpokeWaves,
  LbGuardSpokeStage,
  type LbGuardSpokeStageProps,
  type SpokeStackProps,
  type SpokeTarget,
} from './pipeline.ts';
export {
  type AssetManifest,
  assetPublishCommands,
  type LbGuardStackSetOptions,
  runtimeConfigJson,
  stackSetSynthesizer,
} from './stack-set.ts';
