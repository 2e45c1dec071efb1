/** The shapes of the linter: rules, what they see, and what they answer. */
import type { LbSnapshot, TargetHealth } from '../types.ts';

export type LintLevel = 'error' | 'warning';

/** What a finding is about, with an identity a tool can act on and a name a person can read. */
export interface LintResource {
  readonly kind: 'listener' | 'rule' | 'target-group';
  /** ARN from the API, or logical id when the snapshot was built from a template. */
  readonly arn: string;
  /** `listener :443`, `listener :443 rule 10 (path /api/*)`, `target group web-a`. */
  readonly name: string;
}

export interface LintFinding {
  /** `LBG-L1` … */
  readonly ruleId: string;
  readonly level: LintLevel;
  readonly resource: LintResource;
  /** What is wrong here, in one sentence naming the parts involved. */
  readonly message: string;
  /** What to change, concretely. */
  readonly fix: string;
}

/** cdk-nag's three answers. */
export type LintOutcome =
  | { readonly kind: 'compliant' }
  | { readonly kind: 'non-compliant'; readonly findings: readonly LintFinding[] }
  | { readonly kind: 'not-applicable'; readonly why: string };

/** What a rule sees: the snapshot in canonical order, target health when known, and options. */
export interface LintContext {
  readonly snapshot: LbSnapshot;
  /** Health records by group ARN; absent when no health was given. */
  readonly health?: ReadonlyMap<string, readonly TargetHealth[]>;
  /** Groups whose registered targets the snapshot cannot know. */
  readonly unknownTargets: ReadonlySet<string>;
}

export interface LintRule {
  readonly id: string;
  readonly level: LintLevel;
  /** Short slug, e.g. `forward-concentrated`. */
  readonly name: string;
  /** What the rule flags. */
  readonly what: string;
  /** Why it matters. */
  readonly why: string;
  /** How to fix it, in general. */
  readonly fix: string;
  check(context: LintContext): LintOutcome;
}

export interface LintOptions {
  /**
   * Target groups (by ARN) whose registered targets the snapshot does not show, e.g. groups an
   * Auto Scaling group or ECS service registers into at run time. Rules about target counts and
   * zones skip them.
   */
  readonly unknownTargets?: readonly string[];
}

export interface LintReport {
  readonly findings: readonly LintFinding[];
  readonly errors: number;
  readonly warnings: number;
  /** Every rule's answer, in `LINT_RULES` order. */
  readonly outcomes: readonly { readonly ruleId: string; readonly outcome: LintOutcome['kind'] }[];
}
