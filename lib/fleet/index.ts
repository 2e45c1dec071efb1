export { diffEnrolment, type EnrolmentTransition, type EnrolReason, type ReleaseReason } from './diff.ts';
export {
  type DiscoveredLoadBalancer,
  type EnrolInput,
  type EnrolledService,
  type Enrolment,
  type EnrolmentError,
  type EnrolmentSource,
  enrol,
  type IgnoredLoadBalancer,
} from './enrol.ts';
export {
  compareArns,
  fleetRoleArn,
  inScope,
  partitionOf,
  type Scope,
  scopeKey,
  scopeOfArn,
  scopesOf,
} from './scope.ts';
export { type GuardTags, readGuardTags, TAGS, type TagError, type TagKey, type TagMap } from './tags.ts';
