import fc from 'fast-check';

// Locally every run explores new cases. Under CI the properties run on a fixed seed, so that a
// landing is reproducible and a failure names a seed anyone can re-run; FC_SEED overrides both
// (fast-check prints the seed of any failure).
const fromEnv = process.env.FC_SEED;
const seed = fromEnv !== undefined ? Number(fromEnv) : process.env.CI === 'true' ? 20261124 : undefined;
if (seed !== undefined && Number.isFinite(seed)) fc.configureGlobal({ seed });
