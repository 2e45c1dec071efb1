import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

// A thin stand-in for the parts of ALB's and CodeDeploy's control plane that moto 5.2.1 does not
// keep, in front of moto on its own loopback port. Every request goes to moto byte for byte
// (headers and body untouched, so Signature V4 and moto's IAM enforcement still hold); the
// stand-in only remembers what moto drops and writes it back into moto's answers:
// - rule transforms: `CreateRule`/`ModifyRule` accept `Transforms` and moto forgets them; the
//   stand-in keeps them per rule ARN (`ResetTransforms` clears, `DeleteRule` forgets) and adds
//   them to `DescribeRules`, `CreateRule` and `ModifyRule` answers;
// - anomaly detection: moto ignores `DescribeTargetHealth` `Include: AnomalyDetection`; the
//   stand-in adds `AnomalyDetection {Result, MitigationInEffect}` per target from the world's own
//   mitigation (anomaly-mitigation.ts), for groups whose algorithm is `weighted_random`;
// - CodeDeploy `StopDeployment`: moto has none, and its deployments stay `Created` for ever; the
//   stand-in answers it, then reports the deployment `Stopped` in `GetDeployment` and
//   `BatchGetDeployments`, and leaves it out of `ListDeployments` filtered on other statuses;
//   moto's deployment times (ISO strings, which the SDK refuses) are written as epoch seconds.
// Anything else is moto's answer unchanged.

/** One rewrite of a transform, as the ELBv2 API writes it (`$1` for capture groups). */
export interface Rewrite {
  readonly regex: string;
  readonly replace: string;
}

export interface StoredTransform {
  readonly type: 'url-rewrite' | 'host-header-rewrite';
  readonly rewrites: readonly Rewrite[];
}

/** What ALB would report for one target of a `weighted_random` group. */
export interface AnomalyReport {
  readonly result: 'anomalous' | 'normal';
  readonly mitigationInEffect: boolean;
}

export interface AlbStandInOptions {
  readonly motoUrl: string;
  /** The anomaly result of a target, or undefined when its group does not detect anomalies. */
  readonly anomaly?: (targetGroupArn: string, targetId: string) => AnomalyReport | undefined;
}

const ELBV2_VERSION = '2015-12-01';
const CODEDEPLOY_TARGET = 'CodeDeploy_20141006.';

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlUnescape(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** `Transforms.member.N…` Query parameters as transforms; undefined when none were sent. */
export function transformsFromQuery(params: URLSearchParams): StoredTransform[] | undefined {
  const out: StoredTransform[] = [];
  for (let i = 1; params.has(`Transforms.member.${i}.Type`); i++) {
    const type = params.get(`Transforms.member.${i}.Type`);
    if (type !== 'url-rewrite' && type !== 'host-header-rewrite') continue;
    const config = type === 'url-rewrite' ? 'UrlRewriteConfig' : 'HostHeaderRewriteConfig';
    const rewrites: Rewrite[] = [];
    for (let j = 1; ; j++) {
      const base = `Transforms.member.${i}.${config}.Rewrites.member.${j}`;
      const regex = params.get(`${base}.Regex`);
      if (regex === null) break;
      rewrites.push({ regex, replace: params.get(`${base}.Replace`) ?? '' });
    }
    out.push({ type, rewrites });
  }
  return out.length === 0 ? undefined : out;
}

/** Transforms as the ELBv2 Query protocol answers them. */
export function transformsXml(transforms: readonly StoredTransform[]): string {
  const members = transforms.map((t) => {
    const config = t.type === 'url-rewrite' ? 'UrlRewriteConfig' : 'HostHeaderRewriteConfig';
    const rewrites = t.rewrites
      .map(
        (r) =>
          `<member><Regex>${xmlEscape(r.regex)}</Regex><Replace>${xmlEscape(r.replace)}</Replace></member>`,
      )
      .join('');
    return `<member><Type>${t.type}</Type><${config}><Rewrites>${rewrites}</Rewrites></${config}></member>`;
  });
  return `<Transforms>${members.join('')}</Transforms>`;
}

/** Adds the stored transforms after each `<RuleArn>` that has some. */
export function withTransforms(
  xml: string,
  lookup: (ruleArn: string) => readonly StoredTransform[] | undefined,
): string {
  return xml.replace(/<RuleArn>([^<]*)<\/RuleArn>/g, (whole, arn: string) => {
    const t = lookup(xmlUnescape(arn));
    return t === undefined || t.length === 0 ? whole : `${whole}${transformsXml(t)}`;
  });
}

/** Adds `AnomalyDetection` after each `<Target>` of a DescribeTargetHealth answer. */
export function withAnomalies(xml: string, report: (targetId: string) => AnomalyReport | undefined): string {
  return xml.replace(/<Target>([\s\S]*?)<\/Target>/g, (whole, inner: string) => {
    const id = /<Id>([^<]*)<\/Id>/.exec(inner)?.[1];
    const r = id === undefined ? undefined : report(xmlUnescape(id));
    if (r === undefined) return whole;
    return `${whole}<AnomalyDetection><Result>${r.result}</Result><MitigationInEffect>${r.mitigationInEffect ? 'yes' : 'no'}</MitigationInEffect></AnomalyDetection>`;
  });
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export class AlbControlPlaneStandIn {
  readonly url: string;
  /** Rule ARN → the transforms moto dropped. */
  readonly transforms = new Map<string, readonly StoredTransform[]>();
  /** Deployment id → when `StopDeployment` ended it (epoch ms). */
  readonly stoppedDeployments = new Map<string, number>();
  readonly #server: Server;
  readonly #opts: AlbStandInOptions;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 32 });
  readonly #moto: URL;

  private constructor(server: Server, opts: AlbStandInOptions) {
    this.#server = server;
    this.#opts = opts;
    this.#moto = new URL(opts.motoUrl);
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(opts: AlbStandInOptions): Promise<AlbControlPlaneStandIn> {
    let standIn: AlbControlPlaneStandIn | undefined;
    const server = createServer((req, res) => {
      void standIn?.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`drill ALB stand-in: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    standIn = new AlbControlPlaneStandIn(server, opts);
    return standIn;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target === `${CODEDEPLOY_TARGET}StopDeployment`) {
      const { deploymentId } = JSON.parse(body.toString() || '{}') as { deploymentId?: string };
      if (deploymentId !== undefined) this.stoppedDeployments.set(deploymentId, Date.now());
      send(
        res,
        200,
        { 'content-type': 'application/x-amz-json-1.1' },
        JSON.stringify({ status: 'Succeeded' }),
      );
      return;
    }
    const answer = await this.#forward(req, body);
    const rewritten =
      answer.status !== 200
        ? undefined
        : target.startsWith(CODEDEPLOY_TARGET)
          ? this.#codedeploy(target.slice(CODEDEPLOY_TARGET.length), body, answer.body)
          : this.#elbv2(body, answer);
    if (rewritten === undefined) {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers;
    send(res, answer.status, headers, rewritten);
  }

  #forward(req: IncomingMessage, body: Buffer): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const out = request(
        {
          host: this.#moto.hostname,
          port: this.#moto.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent: this.#agent,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(parts) }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  /** The rewritten ELBv2 answer, or undefined to pass moto's through. */
  #elbv2(body: Buffer, answer: Answer): string | undefined {
    if (body.length === 0) return undefined;
    const params = new URLSearchParams(body.toString());
    if (params.get('Version') !== ELBV2_VERSION) return undefined;
    const xml = answer.body.toString();
    const lookup = (arn: string): readonly StoredTransform[] | undefined => this.transforms.get(arn);
    switch (params.get('Action')) {
      case 'CreateRule': {
        const arn = /<RuleArn>([^<]*)<\/RuleArn>/.exec(xml)?.[1];
        const sent = transformsFromQuery(params);
        if (arn !== undefined && sent !== undefined) this.transforms.set(xmlUnescape(arn), sent);
        return withTransforms(xml, lookup);
      }
      case 'ModifyRule': {
        const arn = params.get('RuleArn') ?? '';
        const sent = transformsFromQuery(params);
        if (sent !== undefined) this.transforms.set(arn, sent);
        else if (params.get('ResetTransforms') === 'true') this.transforms.delete(arn);
        return withTransforms(xml, lookup);
      }
      case 'DeleteRule':
        this.transforms.delete(params.get('RuleArn') ?? '');
        return undefined;
      case 'DescribeRules':
        return withTransforms(xml, lookup);
      case 'DescribeTargetHealth': {
        const wanted = [...params].some(
          ([k, v]) => k.startsWith('Include.member.') && v === 'AnomalyDetection',
        );
        const group = params.get('TargetGroupArn') ?? '';
        const report = this.#opts.anomaly;
        if (!wanted || report === undefined) return undefined;
        return withAnomalies(xml, (id) => report(group, id));
      }
      default:
        return undefined;
    }
  }

  /** The rewritten CodeDeploy answer (times, stopped deployments), or undefined to pass moto's through. */
  #codedeploy(operation: string, request: Buffer, answer: Buffer): string | undefined {
    const stop = (d: Record<string, unknown>): Record<string, unknown> => {
      const at = this.stoppedDeployments.get(String(d.deploymentId));
      const info = { ...d, ...epochTimes(d) };
      return at === undefined ? info : { ...info, status: 'Stopped', completeTime: at / 1000 };
    };
    const json = JSON.parse(answer.toString() || '{}') as Record<string, unknown>;
    switch (operation) {
      case 'GetDeployment':
        return JSON.stringify({
          ...json,
          deploymentInfo: stop((json.deploymentInfo ?? {}) as Record<string, unknown>),
        });
      case 'BatchGetDeployments':
        return JSON.stringify({
          ...json,
          deploymentsInfo: ((json.deploymentsInfo ?? []) as Record<string, unknown>[]).map(stop),
        });
      case 'ListDeployments': {
        const { includeOnlyStatuses } = JSON.parse(request.toString() || '{}') as {
          includeOnlyStatuses?: string[];
        };
        if (includeOnlyStatuses === undefined || includeOnlyStatuses.includes('Stopped')) return undefined;
        const ids = (json.deployments ?? []) as string[];
        return JSON.stringify({ ...json, deployments: ids.filter((id) => !this.stoppedDeployments.has(id)) });
      }
      default:
        return undefined;
    }
  }
}

/**
 * moto writes a deployment's times as ISO strings where the API has epoch seconds (the SDK
 * refuses the strings); the stand-in writes them as the API does, and leaves out the nulls.
 */
function epochTimes(d: Record<string, unknown>): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const key of ['createTime', 'startTime', 'completeTime']) {
    const v = d[key];
    out[key] = typeof v === 'string' ? Date.parse(v) / 1000 : typeof v === 'number' ? v : undefined;
  }
  return out;
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
