import { inject } from 'vitest';

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
export async function resetMoto(): Promise<void> {
  const res = await fetch(`${inject('motoUrl')}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
}
