/**
 * The tag vocabulary of a guarded load balancer (docs/fleet.md "Tags"). A tag is read once, here,
 * into what it means, or into a named error for that one load balancer: a typo on one tag must
 * never stop the rest of the fleet from being guarded.
 */
import * as z from 'zod/mini';
import type { ProbeConfig, RemediationConfig } from '../config/index.ts';
import { toConfigIssues } from '../config/issues.ts';
import { nameSchema } from '../config/schema/leaves.ts';
import { probeSchema } from '../config/schema/probes.ts';
import { remediationSchema } from '../config/schema/remediation.ts';
import { suggestKey } from '../suggest.ts';

/** Every tag key lbguard reads; other `lbguard:` keys are reported so a misspelt one is not silently ignored. */
export const TAGS = {
  /** `true` or empty: guard this load balancer; `false`: keep it out (an explicit opt-out). */
  guard: 'lbguard:guard',
  /** The name of a `discovery.profiles` entry; default: the profile named `default`, if there is one. */
  profile: 'lbguard:profile',
  /** The service name; default: the load balancer's name, lowercased. */
  name: 'lbguard:name',
  /** One GET probe of this URL (expects 200), instead of the profile's probes. */
  probeUrl: 'lbguard:probe-url',
  /** `off`, `dry-run`, `auto`…: overrides the profile's `remediation.mode`. */
  remediation: 'lbguard:remediation',
} as const;

export type TagKey = (typeof TAGS)[keyof typeof TAGS];
const KNOWN_KEYS: readonly string[] = Object.values(TAGS);
const PREFIX = 'lbguard:';

/** Tags as ELBv2 DescribeTags returns them, folded into a map (keys are unique per resource). */
export type TagMap = Readonly<Record<string, string>>;

/** Why the tags of one load balancer cannot be used; each names the tag and the fix. */
export type TagError =
  | { readonly code: 'bad-tag-value'; readonly tag: TagKey; readonly message: string }
  | { readonly code: 'unknown-tag'; readonly tag: string; readonly message: string }
  | { readonly code: 'unknown-profile'; readonly tag: TagKey; readonly message: string }
  | { readonly code: 'no-probes'; readonly message: string }
  | { readonly code: 'duplicate-name'; readonly name: string; readonly message: string }
  /** More tagged load balancers than one spoke's registry holds (lib/fleet/registry.ts). */
  | { readonly code: 'over-limit'; readonly message: string };

/** What the tags of one load balancer ask for. */
export type GuardTags =
  | { readonly guard: 'untagged' }
  | { readonly guard: 'opted-out' }
  | {
      readonly guard: 'guarded';
      readonly profile?: string;
      readonly name?: string;
      readonly probe?: ProbeConfig;
      readonly remediationMode?: RemediationConfig['mode'];
    };

const modeSchema = remediationSchema.def.shape.mode;

function firstIssue(issues: readonly z.core.$ZodIssue[]): string {
  return toConfigIssues(issues)[0]?.message ?? 'is not valid';
}

function badValue(tag: TagKey, fix: string): TagError {
  return { code: 'bad-tag-value', tag, message: `tag ${tag} ${fix}` };
}

/**
 * Reads the lbguard tags of one load balancer. Values are trimmed (the console keeps stray
 * spaces); the guard value is case-insensitive. Returns the first problem found as a `TagError`.
 */
export function readGuardTags(tags: TagMap): { ok: true; tags: GuardTags } | { ok: false; error: TagError } {
  const unknown = Object.keys(tags).find((key) => key.startsWith(PREFIX) && !KNOWN_KEYS.includes(key));
  const guardValue = tags[TAGS.guard];
  if (guardValue === undefined) {
    // An unknown lbguard: key on an untagged load balancer is somebody's note, not a mistake here.
    return { ok: true, tags: { guard: 'untagged' } };
  }
  if (unknown !== undefined) {
    const suggestion = suggestKey(unknown, KNOWN_KEYS);
    return {
      ok: false,
      error: {
        code: 'unknown-tag',
        tag: unknown,
        message: `tag ${unknown} is not one lbguard reads; ${suggestion === undefined ? `known tags: ${KNOWN_KEYS.join(', ')}` : `did you mean ${suggestion}?`}`,
      },
    };
  }
  const guard = guardValue.trim().toLowerCase();
  if (guard === 'false') return { ok: true, tags: { guard: 'opted-out' } };
  if (guard !== 'true' && guard !== '') {
    return {
      ok: false,
      error: badValue(TAGS.guard, 'must be true (or empty) to guard, or false to opt out'),
    };
  }
  const value = (key: TagKey): string | undefined => {
    const v = tags[key]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const name = value(TAGS.name);
  if (name !== undefined) {
    const parsed = z.safeParse(nameSchema, name);
    if (!parsed.success) return { ok: false, error: badValue(TAGS.name, firstIssue(parsed.error.issues)) };
  }
  let probe: ProbeConfig | undefined;
  const url = value(TAGS.probeUrl);
  if (url !== undefined) {
    const parsed = z.safeParse(probeSchema, { name: 'probe-url', url });
    if (!parsed.success) {
      return {
        ok: false,
        error: badValue(TAGS.probeUrl, `${firstIssue(parsed.error.issues)} (an http(s) URL)`),
      };
    }
    probe = parsed.data;
  }
  let remediationMode: RemediationConfig['mode'] | undefined;
  const mode = value(TAGS.remediation);
  if (mode !== undefined) {
    const parsed = z.safeParse(modeSchema, mode);
    if (!parsed.success) {
      return { ok: false, error: badValue(TAGS.remediation, firstIssue(parsed.error.issues)) };
    }
    remediationMode = parsed.data;
  }
  const profile = value(TAGS.profile);
  return {
    ok: true,
    tags: {
      guard: 'guarded',
      ...(profile === undefined ? {} : { profile }),
      ...(name === undefined ? {} : { name }),
      ...(probe === undefined ? {} : { probe }),
      ...(remediationMode === undefined ? {} : { remediationMode }),
    },
  };
}
