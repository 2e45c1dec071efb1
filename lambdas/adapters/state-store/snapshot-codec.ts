import { gunzipSync, gzipSync } from 'node:zlib';
import { LbGuardError } from '../../../lib/errors.ts';
import type { LbSnapshot } from '../../../lib/types.ts';

// How a snapshot fits in one DynamoDB item, whatever the size of the load balancer.

/** Snapshot JSON above this many bytes is gzipped into a binary attribute. */
export const SNAPSHOT_GZIP_THRESHOLD_BYTES = 64 * 1024;
/** DynamoDB's item limit is 400 KB; keep headroom for keys and other attributes. */
const MAX_SNAPSHOT_BYTES = 380 * 1024;
/** Encodes a snapshot for an item: plain JSON when small, gzip when large, refused when too large. */
export function encodeSnapshot(
  snapshot: LbSnapshot,
): { snapshotJson: string } | { snapshotGzip: Uint8Array } {
  const json = JSON.stringify(snapshot);
  if (Buffer.byteLength(json) <= SNAPSHOT_GZIP_THRESHOLD_BYTES) return { snapshotJson: json };
  const gz = gzipSync(json);
  if (gz.byteLength > MAX_SNAPSHOT_BYTES) {
    throw new LbGuardError(
      `snapshot of ${snapshot.loadBalancerArn} is ${gz.byteLength} bytes gzipped, over DynamoDB's item limit`,
    );
  }
  return { snapshotGzip: new Uint8Array(gz) };
}

export function decodeSnapshot(item: Record<string, unknown>): LbSnapshot {
  if (typeof item.snapshotJson === 'string') return JSON.parse(item.snapshotJson) as LbSnapshot;
  if (item.snapshotGzip instanceof Uint8Array)
    return JSON.parse(gunzipSync(item.snapshotGzip).toString('utf8'));
  throw new LbGuardError(`item ${String(item.sk)} holds no snapshot`);
}
