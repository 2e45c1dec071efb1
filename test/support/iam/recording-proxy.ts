import { createServer, request, type Server } from 'node:http';
import type { ActionRecorder } from './action-recorder.ts';
import type { FunctionName } from './template-grants.ts';

// For functions whose SDK clients the IAM proof cannot reach (the hub's: their wiring builds its
// clients from endpoint and credentials, and hub-coverage opens one per account and region with
// the keys it assumed there), the proof records on the wire instead: a proxy in front of moto
// that names each call's role by its access key, its action by the request (`X-Amz-Target`, or
// the Query protocol's `Action=`) and its signing name, and moto's answer. A call by a key the
// proof does not know (the test's own set-up) is forwarded unrecorded.
//
// The keys an `sts:AssumeRole` of a recorded role hands out are learnt from moto's answer, and
// their calls recorded under `assumes`' role name: the fleet reader role hub-coverage assumes.

export interface RecordingProxy {
  readonly url: string;
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  readonly target: string;
  readonly recorder: ActionRecorder;
  /** The function whose role holds this access key, if any. */
  whose(accessKeyId: string): FunctionName | undefined;
  /** The role (as recorded) that keys assumed by `from` belong to. */
  readonly assumes?: { readonly from: FunctionName; readonly as: FunctionName };
}

function operationOf(headers: Record<string, unknown>, body: string): string | undefined {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').at(-1);
  return new URLSearchParams(body).get('Action') ?? undefined;
}

export async function startRecordingProxy(options: RecordingProxyOptions): Promise<RecordingProxy> {
  const upstream = new URL(options.target);
  const assumed = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const credential = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '');
      const key = credential?.[1] ?? '';
      const fn = assumed.has(key) ? options.assumes?.as : options.whose(key);
      const forward = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          const out: Buffer[] = [];
          answer.on('data', (c: Buffer) => out.push(c));
          answer.on('end', () => {
            const reply = Buffer.concat(out);
            const operation = operationOf(req.headers, text);
            if (fn !== undefined && operation !== undefined) {
              const status = answer.statusCode ?? 500;
              options.recorder.recordWire(fn, {
                signing: credential?.[2] ?? 'unsigned',
                operation,
                body: text,
                status,
                answer: reply.toString('utf8'),
              });
              if (fn === options.assumes?.from && operation === 'AssumeRole' && status === 200) {
                const minted = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(reply.toString('utf8'))?.[1];
                if (minted !== undefined) assumed.add(minted);
              }
            }
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            res.end(reply);
          });
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
