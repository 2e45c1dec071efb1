// Placeholder (dropped at merge): helper B writes the real hub-ingest handler; the hub's infra bundles
// this path, so the hub stack synthesizes in this branch.
export async function handler(): Promise<never> {
  throw new Error('lbguard hub-ingest: placeholder handler, replaced at merge');
}
