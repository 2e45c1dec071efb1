/**
 * lbguard's error hierarchy. Expected outcomes are discriminated unions, not exceptions; these
 * are for the unexpected, and each sets `name` so logs and alarms can tell them apart.
 */

/** One problem in a configuration file: where (`services[0].probes[1].url`) and how to fix it. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** One line per issue: `lbguard.config.yaml: services[0].probes[1].url: must be …`. */
export function formatConfigIssues(source: string, issues: readonly ConfigIssue[]): string {
  return issues.map((issue) => `${source}: ${issue.path}: ${issue.message}`).join('\n');
}

export class LbGuardError extends Error {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'LbGuardError';
  }
}

/** A configuration file that does not validate; `issues` lists every problem found. */
export class ConfigError extends LbGuardError {
  readonly source: string;
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(formatConfigIssues(source, issues));
    this.name = 'ConfigError';
    this.source = source;
    this.issues = issues;
  }
}

/** An AWS call that failed; `operation` is the API name, e.g. `ModifyListener`. */
export class AwsApiError extends LbGuardError {
  readonly operation: string;

  constructor(operation: string, options: { readonly cause: unknown }) {
    const why = options.cause instanceof Error ? `: ${options.cause.name}: ${options.cause.message}` : '';
    super(`AWS ${operation} failed${why}`, options);
    this.name = 'AwsApiError';
    this.operation = operation;
  }
}

/** Another invocation holds the remediation lock for this service. */
export class LockHeldError extends LbGuardError {
  readonly lock: string;

  constructor(lock: string, options?: { readonly cause?: unknown }) {
    super(`lock ${lock} is held by another invocation`, options);
    this.name = 'LockHeldError';
    this.lock = lock;
  }
}

/** A remediation plan that a guardrail refused (budget, blast radius, stale snapshot, …). */
export class PlanRejectedError extends LbGuardError {
  readonly reason: string;

  constructor(reason: string, options?: { readonly cause?: unknown }) {
    super(`plan rejected: ${reason}`, options);
    this.name = 'PlanRejectedError';
    this.reason = reason;
  }
}
