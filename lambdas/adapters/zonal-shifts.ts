import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  ChecksumConstructor,
  HashConstructor,
  HttpResponse,
  Provider,
  RequestHandler,
  HttpRequest as SmithyHttpRequest,
} from '@smithy/types';
import { AwsApiError } from '../../lib/errors.ts';
import type { ZonalShift } from '../../lib/types.ts';

// ARC zonal shift has no SDK package on this machine's registry and no moto support, so this is
// one signed REST call (`GET /managedresources/{resourceIdentifier}`), made with what the SDK
// clients already carry: SigV4 and the Node HTTP handler, the region, credentials and endpoint of
// the function's ELBv2 client. docs/zonal-shift.md says what was verified and what was not.

/** The zonal shifts and autoshifts in effect for a load balancer. */
export interface ZonalShifts {
  activeFor(loadBalancerArn: string): Promise<readonly ZonalShift[]>;
}

/** What the adapter borrows from a built SDK client's resolved config (any client's will do). */
export interface BorrowedClientConfig {
  readonly region: Provider<string>;
  readonly credentials: Provider<AwsCredentialIdentity>;
  readonly sha256: ChecksumConstructor | HashConstructor;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK config types its handler options as any.
  readonly requestHandler: RequestHandler<SmithyHttpRequest, HttpResponse, any>;
  /** Set when the client's endpoint was overridden (tests, a VPC endpoint): ARC is asked there too. */
  readonly endpoint?: Provider<{
    readonly protocol: string;
    readonly hostname: string;
    readonly port?: number;
  }>;
}

/** The parts of GetManagedResource's answer lbguard reads. */
interface ManagedResource {
  readonly zonalShifts?: readonly {
    readonly zonalShiftId?: string;
    readonly awayFrom?: string;
    readonly expiryTime?: number;
    readonly appliedStatus?: string;
  }[];
  readonly autoshifts?: readonly {
    readonly awayFrom?: string;
    readonly startTime?: number;
    readonly appliedStatus?: string;
  }[];
}

const SERVICE = 'arc-zonal-shift';

export class ArcZonalShifts implements ZonalShifts {
  readonly #config: BorrowedClientConfig;
  readonly #signer: SignatureV4;

  constructor(config: BorrowedClientConfig) {
    this.#config = config;
    this.#signer = new SignatureV4({
      service: SERVICE,
      region: config.region,
      credentials: config.credentials,
      sha256: config.sha256,
    });
  }

  async activeFor(loadBalancerArn: string): Promise<readonly ZonalShift[]> {
    const region = await this.#config.region();
    const endpoint = (await this.#config.endpoint?.()) ?? {
      protocol: 'https:',
      hostname: `${SERVICE}.${region}.amazonaws.com`,
    };
    const request = new HttpRequest({
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
      path: `/managedresources/${encodeURIComponent(loadBalancerArn)}`,
      headers: {
        host: endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`,
      },
    });
    let response: HttpResponse;
    let text: string;
    try {
      ({ response } = await this.#config.requestHandler.handle(await this.#signer.sign(request)));
      text = await readBody(response.body);
    } catch (cause) {
      throw new AwsApiError('GetManagedResource', { cause });
    }
    // ELB registers a load balancer with ARC only when zonal shift is turned on for it: not found
    // means no shift can be in effect.
    if (response.statusCode === 404) return [];
    if (response.statusCode !== 200) {
      const cause = Object.assign(new Error(text.slice(0, 300)), {
        name: response.headers['x-amzn-errortype']?.split(':')[0] ?? `HTTP ${response.statusCode}`,
        $metadata: { httpStatusCode: response.statusCode },
      });
      throw new AwsApiError('GetManagedResource', { cause });
    }
    return toZonalShifts(JSON.parse(text) as ManagedResource);
  }
}

/** Shifts and autoshifts ARC reports as applied (a practice run or a shift not yet applied is not). */
export function toZonalShifts(resource: ManagedResource): ZonalShift[] {
  const shifts = (resource.zonalShifts ?? []).flatMap((s): ZonalShift[] =>
    s.appliedStatus !== 'APPLIED' || s.awayFrom === undefined
      ? []
      : [
          {
            id: s.zonalShiftId ?? 'unknown',
            kind: 'zonal-shift',
            zone: s.awayFrom,
            ...(s.expiryTime === undefined ? {} : { expiry: new Date(s.expiryTime * 1000).toISOString() }),
          },
        ],
  );
  const autoshifts = (resource.autoshifts ?? []).flatMap((s): ZonalShift[] =>
    s.appliedStatus !== 'APPLIED' || s.awayFrom === undefined
      ? []
      : [{ id: `autoshift ${s.awayFrom}`, kind: 'autoshift', zone: s.awayFrom }],
  );
  return [...shifts, ...autoshifts];
}

async function readBody(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
