import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  DescribeLoadBalancerAttributesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  type AccessLogDistribution,
  type AccessLogWindowOptions,
  createAccessLogAggregator,
} from '../../lib/access-logs.ts';
import { AwsApiError, LbGuardError } from '../../lib/errors.ts';

// ALB access logs in S3 (docs/per-target-distribution.md "ALB access logs"). Where the logs are
// is a load balancer attribute; the key layout is AWS's, documented at
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html:
// [prefix/]AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/
//   <account>_elasticloadbalancing_<region>_app.<name>.<id>_<end YYYYMMDDTHHMMZ>_<ip>_<random>.log.gz

/** What an ALB ARN says about where its logs are written. */
export interface LoadBalancerIdentity {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly name: string;
  readonly id: string;
}

/**
 * Splits `arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`.
 * @throws LbGuardError naming the expected shape when it is not an Application Load Balancer ARN.
 */
export function parseLoadBalancerArn(arn: string): LoadBalancerIdentity {
  const match =
    /^arn:([^:]+):elasticloadbalancing:([^:]+):(\d{12}):loadbalancer\/app\/([^/]+)\/([^/]+)$/.exec(arn);
  if (match === null) {
    throw new LbGuardError(
      `${arn} is not an Application Load Balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>); only ALBs write these access logs`,
    );
  }
  const [, partition, region, accountId, name, id] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { arn, partition, region, accountId, name, id };
}

export type AccessLogLocation =
  | {
      readonly kind: 'enabled';
      readonly loadBalancer: LoadBalancerIdentity;
      readonly bucket: string;
      /** Without leading or trailing slash; empty when logs go to the bucket's root. */
      readonly prefix: string;
    }
  | { readonly kind: 'not-enabled'; readonly loadBalancer: LoadBalancerIdentity };

/** One log object of the window, with the end of the 5-minute interval it covers. */
export interface AccessLogObject {
  readonly key: string;
  readonly size: number;
  readonly endsAt: string;
}

export type AccessLogRead =
  | {
      readonly kind: 'read';
      readonly location: AccessLogLocation & { kind: 'enabled' };
      readonly distribution: AccessLogDistribution;
    }
  | { readonly kind: 'not-enabled'; readonly location: AccessLogLocation & { kind: 'not-enabled' } };

export interface AlbAccessLogReaderOptions {
  /** Log objects read at most per window; more are reported as truncation. Default 2,000. */
  readonly maxObjects?: number;
  /** Compressed bytes read at most per window; more are reported as truncation. Default 1 GiB. */
  readonly maxBytes?: number;
}

/** What `readWindow` aggregates: the window and, optionally, the skew test's inputs. */
export type AccessLogWindow = Omit<AccessLogWindowOptions, 'elb'>;

const DEFAULT_MAX_OBJECTS = 2_000;
const DEFAULT_MAX_BYTES = 1024 ** 3;
/** ALB writes a file per node every 5 minutes; its key carries the end of that interval. */
const INTERVAL_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const END_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/;

/**
 * Reads a load balancer's access logs for a time window from S3: finds where they are
 * (`DescribeLoadBalancerAttributes`), lists the day folders the window touches (narrowed to this
 * load balancer's files by key prefix), streams and gunzips each object line by line into
 * lib/access-logs.ts, and stops at `maxObjects`/`maxBytes`, saying so in the result.
 */
export class AlbAccessLogReader {
  readonly #s3: S3Client;
  readonly #elbv2: ElasticLoadBalancingV2Client;
  readonly #maxObjects: number;
  readonly #maxBytes: number;

  constructor(s3: S3Client, elbv2: ElasticLoadBalancingV2Client, options: AlbAccessLogReaderOptions = {}) {
    this.#s3 = s3;
    this.#elbv2 = elbv2;
    this.#maxObjects = positive(options.maxObjects ?? DEFAULT_MAX_OBJECTS, 'maxObjects');
    this.#maxBytes = positive(options.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes');
  }

  /** Where the load balancer writes its access logs; `not-enabled` is an answer, not an error. */
  async locate(loadBalancerArn: string): Promise<AccessLogLocation> {
    const loadBalancer = parseLoadBalancerArn(loadBalancerArn);
    let attributes: Map<string, string>;
    try {
      const out = await this.#elbv2.send(
        new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: loadBalancerArn }),
      );
      attributes = new Map((out.Attributes ?? []).map((a) => [a.Key ?? '', a.Value ?? '']));
    } catch (cause) {
      throw new AwsApiError('DescribeLoadBalancerAttributes', { cause });
    }
    const bucket = attributes.get('access_logs.s3.bucket') ?? '';
    if (attributes.get('access_logs.s3.enabled') !== 'true' || bucket === '') {
      return { kind: 'not-enabled', loadBalancer };
    }
    const prefix = (attributes.get('access_logs.s3.prefix') ?? '').replace(/^\/+|\/+$/g, '');
    return { kind: 'enabled', loadBalancer, bucket, prefix };
  }

  /**
   * The log objects that can hold requests answered in [from, to): those whose 5-minute interval
   * ends after `from` and no later than 5 minutes after `to`, oldest first. Lists at most one
   * object beyond `maxObjects`, so a huge window costs a bounded number of calls.
   */
  async listObjects(
    location: AccessLogLocation & { kind: 'enabled' },
    from: string,
    to: string,
  ): Promise<{ readonly objects: readonly AccessLogObject[]; readonly more: boolean }> {
    const start = Date.parse(from);
    const end = Date.parse(to) + INTERVAL_MS;
    if (Number.isNaN(start) || Number.isNaN(end)) {
      throw new LbGuardError(`access-log window ${from} → ${to} is not a pair of ISO-8601 times`);
    }
    const lb = location.loadBalancer;
    const filePrefix = `${lb.accountId}_elasticloadbalancing_${lb.region}_app.${lb.name}.${lb.id}_`;
    const objects: AccessLogObject[] = [];
    for (let day = Math.floor(start / DAY_MS) * DAY_MS; day < end; day += DAY_MS) {
      const folder = `${location.prefix === '' ? '' : `${location.prefix}/`}AWSLogs/${lb.accountId}/elasticloadbalancing/${lb.region}/${new Date(day).toISOString().slice(0, 10).replaceAll('-', '/')}/`;
      // Keys sort by end time after the load balancer's part: start just before the window.
      let startAfter: string | undefined = `${folder}${filePrefix}${stamp(start)}`;
      let token: string | undefined;
      do {
        const page = await this.#list(location.bucket, `${folder}${filePrefix}`, startAfter, token);
        startAfter = undefined;
        token = page.NextContinuationToken;
        for (const o of page.Contents ?? []) {
          const endsAt = endTimeOf(o.Key ?? '', filePrefix);
          if (endsAt === undefined) continue;
          const at = Date.parse(endsAt);
          if (at <= start) continue;
          if (at > end) {
            token = undefined;
            break;
          }
          objects.push({ key: o.Key ?? '', size: o.Size ?? 0, endsAt });
          if (objects.length > this.#maxObjects) return { objects, more: true };
        }
      } while (token !== undefined);
    }
    return { objects, more: false };
  }

  /**
   * The per-target distribution of [window.from, window.to) from the load balancer's access logs,
   * or `not-enabled`. Objects beyond the bounds are not read and the distribution says so.
   */
  async readWindow(loadBalancerArn: string, window: AccessLogWindow): Promise<AccessLogRead> {
    const location = await this.locate(loadBalancerArn);
    if (location.kind === 'not-enabled') return { kind: 'not-enabled', location };
    const lb = location.loadBalancer;
    const aggregator = createAccessLogAggregator({ ...window, elb: `app/${lb.name}/${lb.id}` });
    const listed = await this.listObjects(location, window.from, window.to);
    const chosen: AccessLogObject[] = [];
    let bytes = 0;
    for (const o of listed.objects.slice(0, this.#maxObjects)) {
      if (bytes + o.size > this.#maxBytes) break;
      chosen.push(o);
      bytes += o.size;
    }
    const unreadable: string[] = [];
    for (const o of chosen) {
      const ok = await this.#readObject(location.bucket, o.key, (line, n) =>
        aggregator.add(line, `${o.key}:${n}`),
      );
      if (!ok) unreadable.push(o.key);
    }
    const truncation = describeTruncation(chosen, listed, unreadable, {
      maxObjects: this.#maxObjects,
      maxBytes: this.#maxBytes,
    });
    return {
      kind: 'read',
      location,
      distribution: aggregator.finish({
        objects: chosen.length - unreadable.length,
        ...(truncation === undefined ? {} : { truncation }),
      }),
    };
  }

  async #list(bucket: string, prefix: string, startAfter: string | undefined, token: string | undefined) {
    try {
      return await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ...(startAfter === undefined ? {} : { StartAfter: startAfter }),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
    } catch (cause) {
      throw s3Error('ListObjectsV2', bucket, prefix, cause);
    }
  }

  /** Streams one object through gunzip line by line; false when it is not valid gzip. */
  async #readObject(
    bucket: string,
    key: string,
    onLine: (line: string, n: number) => void,
  ): Promise<boolean> {
    let body: unknown;
    try {
      body = (await this.#s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body;
    } catch (cause) {
      throw s3Error('GetObject', bucket, key, cause);
    }
    const source = toReadable(body);
    const gunzip = createGunzip();
    // A corrupt object must not cost the whole window: it is skipped and reported.
    let corrupt = false;
    gunzip.on('error', () => {
      corrupt = true;
    });
    source.on('error', (error) => gunzip.destroy(error));
    const lines = createInterface({ input: source.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
    let n = 0;
    try {
      for await (const line of lines) onLine(line, ++n);
    } catch {
      corrupt = true;
    } finally {
      source.destroy();
    }
    return !corrupt;
  }
}

function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body !== null && typeof body === 'object' && 'transformToWebStream' in body) {
    const web = (body as { transformToWebStream(): ReadableStream }).transformToWebStream();
    return Readable.fromWeb(web as Parameters<typeof Readable.fromWeb>[0]);
  }
  throw new LbGuardError('S3 GetObject returned no readable body');
}

/** `20261124T1405Z`: the end-time part of a log object's key. */
function stamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

/** The end of the interval a log object covers, from its key; undefined for any other key. */
export function endTimeOf(key: string, filePrefix: string): string | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (!name.startsWith(filePrefix) || !name.endsWith('.log.gz')) return undefined;
  const match = END_TIME.exec(name.slice(filePrefix.length).split('_')[0] ?? '');
  if (match === null) return undefined;
  const [, y, mo, d, h, mi] = match;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:00.000Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

function describeTruncation(
  chosen: readonly AccessLogObject[],
  listed: { readonly objects: readonly AccessLogObject[]; readonly more: boolean },
  unreadable: readonly string[],
  limits: { readonly maxObjects: number; readonly maxBytes: number },
): string | undefined {
  const parts: string[] = [];
  if (chosen.length < listed.objects.length) {
    const total = listed.more ? `more than ${limits.maxObjects}` : String(listed.objects.length);
    const last = chosen.at(-1)?.endsAt ?? 'the window start';
    parts.push(
      `read ${chosen.length} of ${total} log files (limits: ${limits.maxObjects} files, ${formatBytes(limits.maxBytes)}); requests after ${last} are not counted`,
    );
  }
  if (unreadable.length > 0) {
    parts.push(
      `${unreadable.length} log file(s) were not valid gzip and were skipped: ${unreadable.slice(0, 3).join(', ')}`,
    );
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}

function formatBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

/** An S3 failure, naming the bucket and, for AccessDenied, the permission that is missing. */
function s3Error(
  operation: 'ListObjectsV2' | 'GetObject',
  bucket: string,
  keyOrPrefix: string,
  cause: unknown,
) {
  const name = cause instanceof Error ? cause.name : '';
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'Forbidden') {
    const permission =
      operation === 'GetObject'
        ? `s3:GetObject on arn:aws:s3:::${bucket}/${keyOrPrefix}`
        : `s3:ListBucket on arn:aws:s3:::${bucket} (prefix ${keyOrPrefix})`;
    return new LbGuardError(
      `access denied reading the ALB access logs in bucket ${bucket}: the caller needs ${permission}`,
      { cause },
    );
  }
  if (name === 'NoSuchBucket') {
    return new LbGuardError(
      `bucket ${bucket}, named by the load balancer's access_logs.s3.bucket attribute, does not exist`,
      { cause },
    );
  }
  return new AwsApiError(`S3 ${operation} on bucket ${bucket}`, { cause });
}

function positive(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${field} must be a positive integer, not ${value}`);
  }
  return value;
}
