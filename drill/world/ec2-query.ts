import { queryBody, type SigningCredentials, signQueryPost } from './sigv4.ts';

// EC2 through its Query API. The EC2 SDK client is not a dependency of lbguard (it never
// touches EC2), and the drill needs only a handful of calls; moto answers form-encoded Query
// requests like AWS and routes them by the credential scope, without checking signatures unless
// IAM enforcement is on (then give `credentials` and each request is signed).

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface Ec2QueryOptions {
  readonly endpoint: string;
  readonly region?: string;
  readonly timeoutMs?: number;
  /** Sign with these (an IAM-enforcing moto checks signatures); default an unsigned placeholder. */
  readonly credentials?: SigningCredentials;
}

function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
}

function firstXmlValue(xml: string, tag: string): string {
  const v = xmlValues(xml, tag)[0];
  if (v === undefined) throw new Error(`no <${tag}> in EC2 response: ${xml.slice(0, 300)}`);
  return v;
}

function numbered(prefix: string, values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((v, i) => [`${prefix}.${i + 1}`, v]));
}

/** The few EC2 calls the drill makes, against moto (or any Query-compatible endpoint). */
export class Ec2QueryClient {
  readonly #endpoint: string;
  readonly #region: string;
  readonly #timeoutMs: number;
  readonly #credentials: SigningCredentials | undefined;

  constructor(opts: Ec2QueryOptions) {
    this.#endpoint = opts.endpoint;
    this.#region = opts.region ?? 'us-east-1';
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
    this.#credentials = opts.credentials;
  }

  async #headers(body: string): Promise<Record<string, string>> {
    if (this.#credentials === undefined) {
      return {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${this.#region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
      };
    }
    return signQueryPost({
      url: this.#endpoint,
      region: this.#region,
      service: 'ec2',
      body,
      credentials: this.#credentials,
    });
  }

  /** One Query call; returns the XML body or throws with EC2's error text. */
  async call(params: Readonly<Record<string, string>>): Promise<string> {
    const body = queryBody({ Version: '2016-11-15', ...params });
    const res = await fetch(this.#endpoint, {
      method: 'POST',
      headers: await this.#headers(body),
      body,
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`EC2 ${params.Action} failed: HTTP ${res.status} ${text.slice(0, 400)}`);
    return text;
  }

  async createVpc(cidrBlock: string): Promise<string> {
    return firstXmlValue(await this.call({ Action: 'CreateVpc', CidrBlock: cidrBlock }), 'vpcId');
  }

  async createSubnet(vpcId: string, cidrBlock: string, availabilityZone: string): Promise<string> {
    const xml = await this.call({
      Action: 'CreateSubnet',
      VpcId: vpcId,
      CidrBlock: cidrBlock,
      AvailabilityZone: availabilityZone,
    });
    return firstXmlValue(xml, 'subnetId');
  }

  async runInstances(
    subnetId: string,
    count: number,
    tags: Readonly<Record<string, string>> = {},
  ): Promise<string[]> {
    const tagParams: Record<string, string> = {};
    Object.entries(tags).forEach(([k, v], i) => {
      tagParams['TagSpecification.1.ResourceType'] = 'instance';
      tagParams[`TagSpecification.1.Tag.${i + 1}.Key`] = k;
      tagParams[`TagSpecification.1.Tag.${i + 1}.Value`] = v;
    });
    const xml = await this.call({
      Action: 'RunInstances',
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.micro',
      MinCount: String(count),
      MaxCount: String(count),
      SubnetId: subnetId,
      ...tagParams,
    });
    // `instanceId` appears once per instance in the reservation.
    return [...new Set(xmlValues(xml, 'instanceId'))];
  }

  /** Stops instances; moto then reports their targets `unused` / `Target.InvalidState`. */
  async stopInstances(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.call({ Action: 'StopInstances', ...numbered('InstanceId', ids) });
  }

  async startInstances(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.call({ Action: 'StartInstances', ...numbered('InstanceId', ids) });
  }

  async terminateInstances(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.call({ Action: 'TerminateInstances', ...numbered('InstanceId', ids) });
  }

  /** Current state of each instance (`stopped`, `running`, …). */
  async describeInstanceStates(ids: readonly string[]): Promise<Map<string, InstanceState>> {
    const xml = await this.call({
      Action: 'DescribeInstances',
      ...numbered('InstanceId', ids),
    });
    const out = new Map<string, InstanceState>();
    // Each <item> of instancesSet carries instanceId … <instanceState><code/><name/></instanceState>.
    for (const m of xml.matchAll(
      /<instanceId>([^<]+)<\/instanceId>[\s\S]*?<instanceState>\s*<code>\d+<\/code>\s*<name>([^<]+)<\/name>/g,
    )) {
      if (m[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2] as InstanceState);
    }
    return out;
  }
}
