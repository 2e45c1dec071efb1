import { LbGuardError } from '../../lib/errors.ts';

/** Raised at cold start when the function's environment is incomplete or wrong. */
export class EnvironmentError extends LbGuardError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'EnvironmentError';
  }
}
