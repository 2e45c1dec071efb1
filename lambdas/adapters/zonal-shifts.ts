import type { ZonalShift } from '../../lib/types.ts';
import { type BorrowedClientConfig, SignedRequests } from './signed-request.ts';

// ARC zonal shift has no SDK package on this machine's registry and no moto support, so this is
// one signed REST call (`GET /managedresources/{resourceIdentifier}`, signed-request.ts) with the
// region, credentials, handler and endpoint of the function's ELBv2 client. docs/intent.md says
// what was verified and what was not.

/** The zonal shifts and autoshifts in effect for a load balancer. */
export interface ZonalShifts {
  activeFor(loadBalancerArn: string): Promise<readonly ZonalShift[]>;
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

export class ArcZonalShifts implements ZonalShifts {
  readonly #arc: SignedRequests;

  constructor(config: BorrowedClientConfig) {
    this.#arc = new SignedRequests(config, 'arc-zonal-shift');
  }

  async activeFor(loadBalancerArn: string): Promise<readonly ZonalShift[]> {
    const { status, text } = await this.#arc.send({
      operation: 'GetManagedResource',
      method: 'GET',
      path: `/managedresources/${encodeURIComponent(loadBalancerArn)}`,
      // ELB registers a load balancer with ARC only when zonal shift is turned on for it: not
      // found means no shift can be in effect.
      accept: [404],
    });
    return status === 404 ? [] : toZonalShifts(JSON.parse(text) as ManagedResource);
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
