// A loopback HTTP proxy in front of moto that records every AWS API request lbguard sends: the
// service (from the SigV4 credential scope) and the operation (X-Amz-Target, the Smithy RPC v2
// path, the Query protocol's Action=, or the Lambda REST path). Counting at the HTTP layer counts
// what AWS would bill and throttle, retries and paginated pages included.
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { estimateRequestUnits, type RequestUnits } from './dynamodb-units.ts';

export interface RecordedCall {
  readonly service: string;
  readonly operation: string;
  readonly status: number;
  /** DynamoDB request units (estimated); zero for other services. */
  readonly units: RequestUnits;
  /** Request to response through the proxy, ms: where a cycle's time goes (calls may overlap). */
  readonly ms: number;
  /** When the request arrived (`performance.now()`), to tell overlapping calls from sequential ones. */
  readonly startMs: number;
}

export interface RecordingProxy {
  readonly url: string;
  /** Calls recorded since the last `take()`, and a fresh start. */
  take(): RecordedCall[];
  close(): Promise<void>;
}

/** The service of a SigV4-signed request: `Credential=AKID/date/region/<service>/aws4_request`. */
export function serviceOf(headers: IncomingHttpHeaders): string {
  const auth = headers.authorization ?? '';
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  return scope?.[1] ?? 'unknown';
}

/** The API operation of a request, whichever AWS protocol carries it. */
export function operationOf(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: string,
): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  const rpc = /\/service\/[^/]+\/operation\/([^/?]+)/.exec(path);
  if (rpc?.[1] !== undefined) return rpc[1];
  const contentType = headers['content-type'] ?? '';
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body).get('Action');
    if (action !== null) return action;
  }
  const query = new URL(path, 'http://x').searchParams.get('Action');
  if (query !== null) return query;
  if (/\/functions\/[^/]+\/invocations/.test(path)) return 'Invoke';
  // ARC's REST path embeds the resource's ARN: one name for the operation, not one per load balancer.
  if (method === 'GET' && path.startsWith('/managedresources/')) return 'GetManagedResource';
  return `${method} ${path.split('?')[0] ?? path}`;
}

function parseJson(text: string): Record<string, never> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, never>) : {};
  } catch {
    return {};
  }
}

/** Starts the proxy on a free loopback port, forwarding to `target` (moto's URL). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  let calls: RecordedCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const started = performance.now();
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      const service = serviceOf(req.headers);
      const operation = operationOf(req.method ?? 'GET', path, req.headers, body.toString('utf8'));
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (c: Buffer) => out.push(c));
          up.on('end', () => {
            const response = Buffer.concat(out);
            const status = up.statusCode ?? 0;
            const units =
              service === 'dynamodb' && status < 300
                ? estimateRequestUnits(
                    operation,
                    parseJson(body.toString('utf8')),
                    parseJson(response.toString('utf8')),
                  )
                : { read: 0, write: 0 };
            calls.push({
              service,
              operation,
              status,
              units,
              ms: performance.now() - started,
              startMs: started,
            });
            res.writeHead(status, up.headers);
            res.end(response);
          });
        },
      );
      forward.on('error', (err) => {
        calls.push({
          service,
          operation,
          status: 0,
          units: { read: 0, write: 0 },
          ms: performance.now() - started,
          startMs: started,
        });
        res.writeHead(502).end(String(err));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    take() {
      const taken = calls;
      calls = [];
      return taken;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Calls by `service:operation`, sorted by name, for the tables. */
export function countByOperation(calls: readonly RecordedCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of calls)
    counts[`${c.service}:${c.operation}`] = (counts[`${c.service}:${c.operation}`] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** Summed request time by `service:operation`, ms, largest first. */
export function timeByOperation(calls: readonly RecordedCall[]): Record<string, number> {
  const ms: Record<string, number> = {};
  for (const c of calls) ms[`${c.service}:${c.operation}`] = (ms[`${c.service}:${c.operation}`] ?? 0) + c.ms;
  return Object.fromEntries(Object.entries(ms).sort(([, a], [, b]) => b - a));
}

/**
 * How long at least one call was in flight, and in how many separate stretches: a stretch is a
 * round trip the caller waited on (calls in flight together count once), so the rest of the wall
 * time is the caller's own work, and `roundTrips × an AWS latency` prices the waits on AWS.
 */
export function waitsOf(calls: readonly Pick<RecordedCall, 'startMs' | 'ms'>[]): {
  readonly busyMs: number;
  readonly roundTrips: number;
} {
  const spans = calls.map((c) => [c.startMs, c.startMs + c.ms] as const).sort((a, b) => a[0] - b[0]);
  let busyMs = 0;
  let roundTrips = 0;
  let end = Number.NEGATIVE_INFINITY;
  let start = 0;
  for (const [s, e] of spans) {
    if (s > end) {
      if (roundTrips > 0) busyMs += end - start;
      roundTrips++;
      start = s;
      end = e;
    } else if (e > end) end = e;
  }
  if (roundTrips > 0) busyMs += end - start;
  return { busyMs, roundTrips };
}
