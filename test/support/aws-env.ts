import { inject } from 'vitest';
import { resetMoto as resetMotoAt } from '../../drill/world/moto.ts';

/** Client settings that point every AWS SDK v3 client at the test's moto_server, never at AWS. */
export function motoClientConfig(): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
} {
  return {
    endpoint: inject('motoUrl'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 2,
  };
}

/** Clears all emulator state so each test file starts from an empty account. */
export function resetMoto(): Promise<void> {
  return resetMotoAt(inject('motoUrl'));
}
