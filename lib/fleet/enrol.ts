/**
 * Which load balancers of one account and region are guarded, and as what service. Pure: the
 * CLI (and later the spoke's sweep) lists load balancers and their tags, and this decides.
 *
 * Precedence, strongest first (docs/fleet.md "Precedence"):
 *   1. a `services[]` entry whose loadBalancerArn is this load balancer: used as written, its
 *      tags ignored (a config file is reviewed; a tag is not);
 *   2. the load balancer's own tags (`lbguard:probe-url`, `lbguard:remediation`, `lbguard:name`);
 *   3. the profile its `lbguard:profile` tag names (else the profile named `default`);
 *   4. the config's defaults.
 */
import * as z from 'zod/mini';
import type { DiscoveryConfig, ProfileConfig, ServiceConfig } from '../config/index.ts';
import { profileSchema } from '../config/schema/discovery.ts';
import { suggestKey } from '../suggest.ts';
import { compareArns, inScope, type Scope } from './scope.ts';
import { readGuardTags, TAGS, type TagError, type TagMap } from './tags.ts';

/** One load balancer as discovery lists it. */
export interface DiscoveredLoadBalancer {
  readonly loadBalancerArn: string;
  readonly loadBalancerName: string;
  readonly tags: TagMap;
}

/** Where an enrolled service's settings come from. */
export type EnrolmentSource =
  | { readonly kind: 'config' }
  | { readonly kind: 'tags'; readonly profile?: string };

export interface EnrolledService {
  readonly loadBalancerArn: string;
  readonly service: ServiceConfig;
  readonly source: EnrolmentSource;
}

/** A load balancer seen but not guarded, and why. */
export interface IgnoredLoadBalancer {
  readonly loadBalancerArn: string;
  readonly reason: 'untagged' | 'opted-out';
}

/** A load balancer whose tags ask for a guard that cannot be built; the others are unaffected. */
export interface EnrolmentError {
  readonly loadBalancerArn: string;
  readonly loadBalancerName: string;
  readonly error: TagError;
}

/** The outcome for one account and region; each list sorted by load balancer ARN. */
export interface Enrolment {
  readonly services: readonly EnrolledService[];
  readonly ignored: readonly IgnoredLoadBalancer[];
  readonly errors: readonly EnrolmentError[];
}

export interface EnrolInput {
  readonly loadBalancers: readonly DiscoveredLoadBalancer[];
  /** The config's `services[]`; those outside `scope` are left out. */
  readonly services: readonly ServiceConfig[];
  readonly profiles: DiscoveryConfig['profiles'];
  /** The account and region listed; config services of other places are not enrolled here. */
  readonly scope?: Scope;
}

type Candidate =
  | {
      readonly kind: 'service';
      readonly enrolled: EnrolledService;
      readonly name: string;
      readonly loadBalancerName: string;
    }
  | { readonly kind: 'ignored'; readonly ignored: IgnoredLoadBalancer }
  | { readonly kind: 'error'; readonly error: EnrolmentError };

const DEFAULT_PROFILE = 'default';

/** Built-in settings for a tagged load balancer with no profile: the config's defaults. */
const NO_PROFILE: ProfileConfig = z.parse(profileSchema, {});

function fromTags(lb: DiscoveredLoadBalancer, profiles: DiscoveryConfig['profiles']): Candidate {
  const read = readGuardTags(lb.tags);
  const fail = (error: TagError): Candidate => ({
    kind: 'error',
    error: { loadBalancerArn: lb.loadBalancerArn, loadBalancerName: lb.loadBalancerName, error },
  });
  if (!read.ok) return fail(read.error);
  const tags = read.tags;
  switch (tags.guard) {
    case 'untagged':
    case 'opted-out':
      return { kind: 'ignored', ignored: { loadBalancerArn: lb.loadBalancerArn, reason: tags.guard } };
    case 'guarded':
      break;
  }
  const profileName =
    tags.profile ?? (Object.hasOwn(profiles, DEFAULT_PROFILE) ? DEFAULT_PROFILE : undefined);
  let profile = NO_PROFILE;
  if (profileName !== undefined) {
    const found = Object.hasOwn(profiles, profileName) ? profiles[profileName] : undefined;
    if (found === undefined) {
      const known = Object.keys(profiles).sort();
      const suggestion = suggestKey(profileName, known);
      return fail({
        code: 'unknown-profile',
        tag: TAGS.profile,
        message: `tag ${TAGS.profile} names ${profileName}, which discovery.profiles does not define; ${
          suggestion !== undefined
            ? `did you mean ${suggestion}?`
            : known.length === 0
              ? 'add it to discovery.profiles'
              : `profiles: ${known.join(', ')}`
        }`,
      });
    }
    profile = found;
  }
  const probes = tags.probe === undefined ? profile.probes : [tags.probe];
  if (probes === undefined) {
    return fail({
      code: 'no-probes',
      message: `nothing to probe: tag it ${TAGS.probeUrl}=https://… or give the profile${profileName === undefined ? '' : ` ${profileName}`} probes`,
    });
  }
  const name = tags.name ?? lb.loadBalancerName.toLowerCase();
  const service: ServiceConfig = {
    name,
    loadBalancerArn: lb.loadBalancerArn,
    probes,
    ...(profile.servedByHeader === undefined ? {} : { servedByHeader: profile.servedByHeader }),
    instanceCounters: profile.instanceCounters,
    thresholds: profile.thresholds,
    remediation:
      tags.remediationMode === undefined
        ? profile.remediation
        : { ...profile.remediation, mode: tags.remediationMode },
    notifications: profile.notifications,
  };
  return {
    kind: 'service',
    name,
    loadBalancerName: lb.loadBalancerName,
    enrolled: {
      loadBalancerArn: lb.loadBalancerArn,
      service,
      source: { kind: 'tags', ...(profileName === undefined ? {} : { profile: profileName }) },
    },
  };
}

const byArn = <T extends { readonly loadBalancerArn: string }>(a: T, b: T): number =>
  compareArns(a.loadBalancerArn, b.loadBalancerArn);

/**
 * Decides the guarded services of one account and region from its load balancers' tags, the
 * config's `services[]` (which win, see the module comment) and its `discovery.profiles`. A load
 * balancer whose tags are unusable becomes an `EnrolmentError` naming the tag and the fix, and
 * only it is left unguarded. Two tag-enrolled services with one name both fail with
 * `duplicate-name` (names key state and metrics). The answer does not depend on the order of
 * `loadBalancers` or of their tags; a load balancer listed twice counts once.
 */
export function enrol(input: EnrolInput): Enrolment {
  const listed = input.services.filter(
    (s) => input.scope === undefined || inScope(s.loadBalancerArn, input.scope),
  );
  const listedArns = new Set(listed.map((s) => s.loadBalancerArn));
  const unique = new Map<string, DiscoveredLoadBalancer>();
  for (const lb of input.loadBalancers) unique.set(lb.loadBalancerArn, lb);
  const candidates = [...unique.values()]
    .filter((lb) => !listedArns.has(lb.loadBalancerArn))
    .map((lb) => fromTags(lb, input.profiles));
  const configNames = new Set(listed.map((s) => s.name));
  const nameCounts = new Map<string, number>();
  for (const c of candidates)
    if (c.kind === 'service') nameCounts.set(c.name, (nameCounts.get(c.name) ?? 0) + 1);

  const services: EnrolledService[] = listed.map((service) => ({
    loadBalancerArn: service.loadBalancerArn,
    service,
    source: { kind: 'config' },
  }));
  const ignored: IgnoredLoadBalancer[] = [];
  const errors: EnrolmentError[] = [];
  for (const c of candidates) {
    switch (c.kind) {
      case 'ignored':
        ignored.push(c.ignored);
        break;
      case 'error':
        errors.push(c.error);
        break;
      case 'service': {
        const clash = configNames.has(c.name)
          ? 'a services[] entry'
          : (nameCounts.get(c.name) ?? 0) > 1
            ? 'another tagged load balancer'
            : undefined;
        if (clash === undefined) {
          services.push(c.enrolled);
          break;
        }
        errors.push({
          loadBalancerArn: c.enrolled.loadBalancerArn,
          loadBalancerName: c.loadBalancerName,
          error: {
            code: 'duplicate-name',
            name: c.name,
            message: `service name ${c.name} is taken by ${clash} in this account and region; give each a unique ${TAGS.name} tag`,
          },
        });
        break;
      }
    }
  }
  return { services: services.sort(byArn), ignored: ignored.sort(byArn), errors: errors.sort(byArn) };
}
