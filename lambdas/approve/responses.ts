import type { RefusedCause } from '../flows/approval.ts';

/** What one request to the approval endpoint came to. */
export type ApproveOutcome =
  /** Recorded now, or found approved already (by `alreadyBy`); either way handed to remediate. */
  | {
      readonly kind: 'recorded';
      readonly service: string;
      readonly planHash: string;
      readonly incidentId: string;
      readonly approvedBy: string;
      readonly alreadyBy?: string;
    }
  | { readonly kind: 'refused'; readonly cause: RefusedCause; readonly reason: string; readonly hint: string }
  | { readonly kind: 'malformed'; readonly problems: readonly string[] }
  | { readonly kind: 'not-approve-mode'; readonly service: string }
  | { readonly kind: 'method-not-allowed'; readonly method: string };

/** A function URL's answer (payload format 2.0). */
export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The HTTP answer to an outcome: 200 recorded, 409 refused (the plan is not approvable as named),
 * 400 malformed, 403 a service this deployment does not hold for approval, 405 not a POST. The
 * body says no more than the notification that asked for the approval already did.
 */
export function respond(outcome: ApproveOutcome): FunctionUrlResult {
  switch (outcome.kind) {
    case 'recorded': {
      const { kind: _, alreadyBy, ...rest } = outcome;
      return json(200, {
        outcome: alreadyBy === undefined ? 'recorded' : 'already-approved',
        ...rest,
        ...(alreadyBy === undefined ? {} : { alreadyApprovedBy: alreadyBy }),
        detail:
          'handed to remediate, which applies the plan only if it is unexpired and the load balancer is unchanged',
      });
    }
    case 'refused':
      return json(409, {
        outcome: 'refused',
        cause: outcome.cause,
        reason: outcome.reason,
        hint: outcome.hint,
      });
    case 'malformed':
      return json(400, { outcome: 'malformed', problems: outcome.problems });
    case 'not-approve-mode':
      return json(403, {
        outcome: 'forbidden',
        reason: `${outcome.service} is not a service in remediation.mode approve in this deployment: nothing of it waits for approval`,
      });
    case 'method-not-allowed':
      return {
        ...json(405, { outcome: 'method-not-allowed', reason: 'POST {"service", "planHash"}' }),
        headers: { ...JSON_HEADERS, allow: 'POST' },
      };
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function json(statusCode: number, body: unknown): FunctionUrlResult {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body) };
}
