/**
 * A seeded pseudo-random source (mulberry32): floats in [0, 1), the same sequence for the same
 * seed on every machine, so a drill's traffic, a benchmark's figures and a property test's
 * shuffles replay exactly. Small and fast; for simulation, never for secrets.
 *
 * @param seed any number; only its low 32 bits (as an unsigned integer) matter.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
