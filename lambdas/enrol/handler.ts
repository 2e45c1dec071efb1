// Placeholder so that the infrastructure branch synthesizes and bundles an enrol function; helper
// A's handler (the sweep, the signed registry, notifications, hub events) replaces it at merge.
export async function handler(): Promise<{ readonly outcome: 'placeholder' }> {
  return { outcome: 'placeholder' };
}
