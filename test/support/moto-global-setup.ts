import type { TestProject } from 'vitest/node';
import { startMoto } from '../../drill/world/moto.ts';

// Starts one real moto_server for the integration project and shares its URL with
// `inject('motoUrl')`. A missing moto_server fails the run loudly with the install command
// (startMoto), never as a silent skip: integration tests that do not talk to the emulator
// prove nothing.

declare module 'vitest' {
  export interface ProvidedContext {
    motoUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  project.provide('motoUrl', moto.url);
  return () => moto.stop();
}
