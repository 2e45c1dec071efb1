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
export { LbGuardDashboard, type LbGuardDashboardProps } from './dashboard.ts';
export { ROUTING_CHANGE_EVENT_NAMES, routingChangePattern } from './event-patterns.ts';
export { EnvironmentTooLargeError, estimateEnvironmentBytes } from './functions.ts';
export {
  type GuardedServiceResources,
  LbGuard,
  type LbGuardProps,
  type LbGuardTrailMode,
} from './lbguard-construct.ts';
export { LbGuardStack, type LbGuardStackProps, stackEnvironmentFor } from './lbguard-stack.ts';
export { LBGUARD_METRICS, LBGUARD_NAMESPACE } from './metrics.ts';
export { ELBV2_READ_ACTIONS, remediationWriteStatements } from './permissions.ts';
