import { backend500s, backendCrashBalanced } from './app-faults.ts';
import { blueGreenShift, healthyNoisySoak, staleLastGood } from './changes.ts';
import { dataPlaneLag, dataPlaneStuck } from './data-plane.ts';
import { gateStopsSeed } from './gate.ts';
import { anomalyMitigation, deploymentInFlight, rewriteRuleRecreated, rewriteRuleRestore } from './intent.ts';
import { fixed503Default, pathRuleFlipped, seedOutage, targetsDeregistered } from './lb-faults.ts';
import type { Scenario } from './types.ts';

/** Every scenario, in the order `--scenario all` runs them (the seed first). */
export const SCENARIOS: readonly Scenario[] = [
  seedOutage,
  gateStopsSeed,
  targetsDeregistered,
  pathRuleFlipped,
  fixed503Default,
  backendCrashBalanced,
  backend500s,
  healthyNoisySoak,
  staleLastGood,
  blueGreenShift,
  anomalyMitigation,
  deploymentInFlight,
  rewriteRuleRestore,
  rewriteRuleRecreated,
  dataPlaneLag(),
  dataPlaneStuck,
];

/** The scenarios a `--scenario` value names: one by name, or `all`. Undefined for an unknown name. */
export function selectScenarios(name: string): readonly Scenario[] | undefined {
  if (name === 'all') return SCENARIOS;
  const found = SCENARIOS.find((s) => s.name === name);
  return found === undefined ? undefined : [found];
}
