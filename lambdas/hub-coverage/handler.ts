// Placeholder (dropped at merge): helper B writes the real hub-coverage handler; the hub's infra bundles
// this path, so the hub stack synthesizes in this branch.
export async function handler(): Promise<never> {
  throw new Error('lbguard hub-coverage: placeholder handler, replaced at merge');
}
