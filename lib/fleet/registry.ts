/**
 * The enrolment registry: what the spoke's enrol function last decided for its account and region
 * (lib/fleet/enrol.ts), kept as one signed item of the state table so that inspect, probe and
 * remediate guard a newly tagged load balancer without a redeploy. Nothing read from the table is
 * trusted unchecked: the item's MAC is verified by an adapter, and this module re-parses every
 * service with the service schema and refuses any load balancer outside the reader's own account
 * and region (a forged item must never point lbguard's writes at someone else's load balancer).
 */
import type { ServiceConfig } from '../config/index.ts';
import { serviceSchema } from '../config/schema/service.ts';
import { canonicalJson, sha256 } from '../snapshot.ts';
import type { EnrolledService, Enrolment, EnrolmentError } from './enrol.ts';
import type { Scope } from './scope.ts';

/**
 * Tag-enrolled services one registry holds at most. The registry is one DynamoDB item (400 KB);
 * a service as stored is about 1 KB, a large one (20 probes with headers) up to ~1.8 KB, so 200
 * keeps the item well under the limit. Beyond it the rest are refused with `over-limit`.
 */
export const MAX_ENROLLED_SERVICES = 200;

/** The registry's body as stored (JSON) and signed. */
export interface RegistryBody {
  readonly sweptAt: string;
  readonly services: readonly EnrolledService[];
  readonly ignored: Enrolment['ignored'];
  readonly errors: readonly EnrolmentError[];
}

/** One account and region's registry, with the version its next write is conditioned on. */
export interface EnrolmentRegistry extends RegistryBody {
  readonly scope: Scope;
  readonly version: number;
}

/**
 * The bytes the registry's MAC covers: the scope, the version and the SHA-256 of the body's
 * canonical JSON. Binding the scope means one account's item cannot be replayed into another's
 * table; binding the version means an old item cannot be put back over a newer one unnoticed.
 */
export function registryMacMessage(scope: Scope, version: number, body: string): string {
  return `lbguard-registry-mac-v1 ${sha256(canonicalJson({ v: 1, scope, version, body: sha256(body) }))}`;
}

/** The body's text as stored: canonical, so equal enrolments store equal text. */
export function encodeRegistryBody(body: RegistryBody): string {
  return canonicalJson(body);
}

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isList = (v: unknown): v is Record<string, unknown>[] =>
  Array.isArray(v) && v.every((e) => typeof e === 'object' && e !== null && isText(e.loadBalancerArn));

/**
 * The registry in `body` (JSON text whose MAC has been verified), or the first problem found:
 * not JSON, not a registry, a service the service schema refuses, a load balancer outside `scope`,
 * or more services than the limit allows. All or nothing: one bad entry refuses the item.
 */
export function checkRegistry(
  body: string,
  scope: Scope,
  version: number,
):
  | { readonly ok: true; readonly registry: EnrolmentRegistry }
  | { readonly ok: false; readonly problem: string } {
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'its body is not JSON' };
  }
  const { sweptAt, services: entries, ignored, errors } = b ?? {};
  const errorsOk =
    isList(errors) && errors.every((e) => isText((e.error as { code?: unknown } | null)?.code));
  if (!isText(sweptAt) || !isList(entries) || !isList(ignored) || !errorsOk) {
    return { ok: false, problem: 'it is not a registry' };
  }
  if (entries.length > 2 * MAX_ENROLLED_SERVICES) return { ok: false, problem: 'it holds too many services' };
  const services: EnrolledService[] = [];
  for (const { loadBalancerArn, service, source } of entries) {
    const parsed = serviceSchema.safeParse(service);
    const kind = (source as EnrolledService['source'] | undefined)?.kind;
    if (!parsed.success || (kind !== 'tags' && kind !== 'config')) {
      return { ok: false, problem: `its entry for ${loadBalancerArn} is not a valid service` };
    }
    // The service schema holds it to an ELBv2 load balancer ARN: arn:<partition>:elasticloadbalancing:<region>:<account>:…
    const [, , , region, account] = parsed.data.loadBalancerArn.split(':');
    if (
      parsed.data.loadBalancerArn !== loadBalancerArn ||
      region !== scope.region ||
      account !== scope.account
    ) {
      return {
        ok: false,
        problem: `it names ${parsed.data.loadBalancerArn}, outside ${scope.account}/${scope.region}`,
      };
    }
    services.push({ loadBalancerArn, service: parsed.data, source: source as EnrolledService['source'] });
  }
  return {
    ok: true,
    registry: {
      scope,
      version,
      sweptAt,
      services,
      ignored: ignored as unknown as Enrolment['ignored'],
      errors: errors as unknown as EnrolmentError[],
    },
  };
}

/**
 * At most `limit` tag-enrolled services (config services always stay: they are reviewed and have
 * their own limit); the rest, in ARN order, become `over-limit` errors naming the limit, so that
 * the registry stays one item and the refused load balancers are reported, not silently dropped.
 */
export function capEnrolment(enrolment: Enrolment, limit = MAX_ENROLLED_SERVICES): Enrolment {
  let tagged = 0;
  const services: EnrolledService[] = [];
  const over: EnrolmentError[] = [];
  for (const s of enrolment.services) {
    if (s.source.kind === 'tags' && ++tagged > limit) {
      over.push({
        loadBalancerArn: s.loadBalancerArn,
        loadBalancerName: s.service.name,
        error: {
          code: 'over-limit',
          message: `this account and region already has ${limit} tagged load balancers guarded (limit enrolledServices); list it in services[] or deploy another spoke`,
        },
      });
    } else services.push(s);
  }
  if (over.length === 0) return enrolment;
  const errors = [...enrolment.errors, ...over].sort((a, b) =>
    a.loadBalancerArn < b.loadBalancerArn ? -1 : a.loadBalancerArn > b.loadBalancerArn ? 1 : 0,
  );
  return { ...enrolment, services, errors };
}

/** What a function guards in one invocation: its config's services and the registry's. */
export interface GuardedServices {
  readonly services: readonly ServiceConfig[];
  /** Names of the services enrolled by tags (remediate re-reads their tags before writing). */
  readonly tagEnrolled: ReadonlySet<string>;
  /** Tagged load balancers the registry refuses to guard (unusable tags, over the limit). */
  readonly refused: readonly EnrolmentError[];
}

/**
 * `config.services` and the registry's tag-enrolled services; the config wins over a registry
 * entry with the same name or load balancer (its own entries in the registry are ignored: the
 * config deployed now is the truth for them, not the one of the last sweep).
 */
export function guardedServices(
  configured: readonly ServiceConfig[],
  registry: EnrolmentRegistry | undefined,
): GuardedServices {
  const names = new Set(configured.map((s) => s.name));
  const arns = new Set(configured.map((s) => s.loadBalancerArn));
  const tagged = (registry?.services ?? []).filter(
    (e) => e.source.kind === 'tags' && !names.has(e.service.name) && !arns.has(e.loadBalancerArn),
  );
  return {
    services: [...configured, ...tagged.map((e) => e.service)],
    tagEnrolled: new Set(tagged.map((e) => e.service.name)),
    refused: registry?.errors ?? [],
  };
}
