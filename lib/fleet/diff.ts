/**
 * What changed between two enrolments of one account and region: the enrol and release
 * transitions a notification (and, later, the spoke) acts on, each with its reason.
 */
import type { EnrolledService, Enrolment, EnrolmentError } from './enrol.ts';
import { compareArns } from './scope.ts';
import type { TagError } from './tags.ts';

/** Why a load balancer became guarded. */
export type EnrolReason =
  /** Listed by ARN in `services[]`. */
  | 'listed'
  /** Not seen before: a new load balancer, created already tagged. */
  | 'created'
  /** Seen before without `lbguard:guard` (or opted out), now tagged. */
  | 'tagged'
  /** Seen before with unusable tags, now fixed. */
  | 'fixed';

/** Why a guarded load balancer is no longer guarded. */
export type ReleaseReason =
  /** Gone from the listing: deleted. */
  | 'deleted'
  /** Its `services[]` entry was removed, and it carries no usable guard tag. */
  | 'unlisted'
  /** `lbguard:guard` removed. */
  | 'untagged'
  /** `lbguard:guard=false`. */
  | 'opted-out'
  /** Its tags became unusable; `error` says which and how to fix it. */
  | 'tag-error';

export type EnrolmentTransition =
  | {
      readonly kind: 'enrol';
      readonly loadBalancerArn: string;
      readonly service: string;
      readonly reason: EnrolReason;
    }
  | {
      readonly kind: 'release';
      readonly loadBalancerArn: string;
      readonly service: string;
      readonly reason: ReleaseReason;
      readonly error?: TagError;
    }
  | {
      /** Still guarded, with other settings (a new profile, name or probe URL, or now listed). */
      readonly kind: 'update';
      readonly loadBalancerArn: string;
      readonly service: string;
      readonly previousService: string;
    };

function byArn<T extends { readonly loadBalancerArn: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((item) => [item.loadBalancerArn, item]));
}

/** Key order does not matter to two services being the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function sameService(a: EnrolledService, b: EnrolledService): boolean {
  return (
    JSON.stringify(canonical(a.service)) === JSON.stringify(canonical(b.service)) &&
    JSON.stringify(canonical(a.source)) === JSON.stringify(canonical(b.source))
  );
}

/**
 * The transitions from `previous` to `current`, two enrolments of the same account and region,
 * sorted by load balancer ARN. Compare only enrolments whose listings both succeeded: a listing
 * that failed would read as every load balancer deleted. The diff of an enrolment with itself
 * is empty; applying the transitions to `previous`'s services gives `current`'s.
 */
export function diffEnrolment(previous: Enrolment, current: Enrolment): EnrolmentTransition[] {
  const before = byArn(previous.services);
  const after = byArn(current.services);
  const ignoredBefore = byArn(previous.ignored);
  const ignoredNow = byArn(current.ignored);
  const errorsBefore = byArn(previous.errors);
  const errorsNow: Map<string, EnrolmentError> = byArn(current.errors);
  const transitions: EnrolmentTransition[] = [];

  for (const [arn, now] of after) {
    const was = before.get(arn);
    if (was === undefined) {
      const reason: EnrolReason =
        now.source.kind === 'config'
          ? 'listed'
          : errorsBefore.has(arn)
            ? 'fixed'
            : ignoredBefore.has(arn)
              ? 'tagged'
              : 'created';
      transitions.push({ kind: 'enrol', loadBalancerArn: arn, service: now.service.name, reason });
    } else if (!sameService(was, now)) {
      transitions.push({
        kind: 'update',
        loadBalancerArn: arn,
        service: now.service.name,
        previousService: was.service.name,
      });
    }
  }
  for (const [arn, was] of before) {
    if (after.has(arn)) continue;
    const error = errorsNow.get(arn);
    const ignored = ignoredNow.get(arn);
    const base = { kind: 'release', loadBalancerArn: arn, service: was.service.name } as const;
    if (error !== undefined) transitions.push({ ...base, reason: 'tag-error', error: error.error });
    else if (ignored === undefined) transitions.push({ ...base, reason: 'deleted' });
    else if (was.source.kind === 'config') transitions.push({ ...base, reason: 'unlisted' });
    else transitions.push({ ...base, reason: ignored.reason });
  }
  return transitions.sort((a, b) => compareArns(a.loadBalancerArn, b.loadBalancerArn));
}
