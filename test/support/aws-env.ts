import { inject } from 'vitest';
import { resetMoto as resetMotoAt } from '../../drill/world/moto.ts';

/** Another moto the helpers below point at instead of the run's: the IAM proof's enforcing one. */
export interface MotoTarget {
  readonly url: string;
  /** The identity of the test's own calls, read at each call: a reset makes a new one. */
  credentials(): { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Clears the emulator and sets up again what the target needs (IAM users and roles). */
  reset(): Promise<void>;
}

let target: MotoTarget | undefined;

/**
 * Points `motoClientConfig` and `resetMoto` (and so every moto world and fixture built on them)
 * at `to`, or back at the run's moto with `undefined`. For a test file that brings its own moto.
 */
export function redirectMoto(to: MotoTarget | undefined): void {
  target = to;
}

/** Client settings that point every AWS SDK v3 client at the test's moto_server, never at AWS. */
export function motoClientConfig(): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
} {
  return {
    endpoint: target?.url ?? inject('motoUrl'),
    region: 'us-east-1',
    credentials:
      target === undefined
        ? { accessKeyId: 'testing', secretAccessKey: 'testing' }
        : { ...target.credentials() },
    maxAttempts: 2,
  };
}

/** Clears all emulator state so each test file starts from an empty account. */
export function resetMoto(): Promise<void> {
  return target === undefined ? resetMotoAt(inject('motoUrl')) : target.reset();
}
