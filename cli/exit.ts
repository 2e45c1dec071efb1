import { AwsApiError, ConfigError, LbGuardError } from '../lib/errors.ts';

/**
 * The CLI's exit codes, the contract a deployment pipeline relies on. Documented in
 * docs/cli.md and in every `--help`.
 */
export const EXIT = {
  /** Healthy, balanced, nothing to do. */
  ok: 0,
  /** Findings: skew, drift, verification failed, a plan not applied, a missing prerequisite. */
  findings: 1,
  /** Usage or configuration error: a bad flag, an unknown service, an invalid config file. */
  usage: 2,
  /** AWS/API error, including a missing state table (run `lbguard init`). */
  aws: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type CliErrorKind = 'usage' | 'config' | 'aws';

/** An error the CLI reports as one message (never a stack trace) and an exit code. */
export class CliError extends LbGuardError {
  readonly kind: CliErrorKind;
  readonly exitCode: ExitCode;
  /** What to type instead, one line per suggestion. */
  readonly hints: readonly string[];

  constructor(
    kind: CliErrorKind,
    message: string,
    options: { readonly hints?: readonly string[]; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'CliError';
    this.kind = kind;
    this.exitCode = kind === 'aws' ? EXIT.aws : EXIT.usage;
    this.hints = options.hints ?? [];
  }
}

/** A bad flag, command or argument: exit 2 with what to type instead. */
export function usageError(message: string, ...hints: readonly string[]): CliError {
  return new CliError('usage', message, { hints });
}

/** SDK error names that mean "who are you?" rather than "that failed". */
const CREDENTIAL_ERRORS: ReadonlySet<string> = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);

function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth++) {
    current = current.cause;
  }
  return current;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/**
 * Translates whatever a command threw into the one message and exit code the operator sees.
 * Unexpected errors count as AWS/API errors (exit 3) because every call that can fail
 * unexpectedly in the CLI is a call to AWS; `--debug` shows the stack.
 */
export function classifyError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ConfigError) return new CliError('config', error.message, { cause: error });
  const root = rootCause(error);
  const name = errorName(root);
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || CREDENTIAL_ERRORS.has(name)) {
    return new CliError('aws', `AWS credentials were not accepted or not found (${name})`, {
      cause: error,
      hints: [
        'set AWS_PROFILE or pass --profile NAME, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
        'against a local emulator: --endpoint-url http://127.0.0.1:5000 with AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing',
      ],
    });
  }
  if (/region is missing/i.test(message) || /region is missing/i.test(String((root as Error)?.message))) {
    return new CliError('usage', 'no AWS region configured', {
      cause: error,
      hints: ['pass --region us-east-1, set region: in lbguard.config.yaml, or export AWS_REGION'],
    });
  }
  if (name === 'TimeoutError' || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(String((root as Error)?.message))) {
    return new CliError('aws', `could not reach AWS: ${message}`, {
      cause: error,
      hints: [
        'check --endpoint-url / AWS_ENDPOINT_URL and your network; `lbguard doctor` checks the endpoint',
      ],
    });
  }
  if (error instanceof AwsApiError || (typeof root === 'object' && root !== null && '$metadata' in root)) {
    return new CliError('aws', message, { cause: error });
  }
  return new CliError('aws', `unexpected error: ${message}`, {
    cause: error,
    hints: ['rerun with --debug for the stack trace, and report it if it persists'],
  });
}
