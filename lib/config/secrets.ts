/**
 * Secret references in probes (issue 14, finding 6), without I/O: which secrets a config names,
 * a probe with its references replaced by values read elsewhere, and the plain values that look
 * like credentials (a warning at synth: they belong in a secret).
 */
import type { ProbeConfig, ProbeStepConfig } from './schema/probes.ts';
import type { SecretReference } from './schema/secret-refs.ts';
import type { LbGuardConfig } from './schema.ts';

export type { SecretReference } from './schema/secret-refs.ts';

/** A header value or body as configured: the value, or where it lives. */
export type ConfiguredValue = string | SecretReference;

/** A step whose credentials are values: what the prober sends. */
export type PlainStep = Omit<ProbeStepConfig, 'headers' | 'body'> & {
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
};

/** A probe whose credentials are values: only ever in memory, never stored or logged. */
export type PlainProbe = Omit<ProbeConfig, 'steps'> & { readonly steps: readonly PlainStep[] };

export function isSecretReference(value: ConfiguredValue | undefined): value is SecretReference {
  return typeof value === 'object' && value !== null;
}

/** One identity per value read: `secret:<id>` (`#<jsonKey>`), or `parameter:<name>`. */
export function referenceKey(ref: SecretReference): string {
  if ('parameter' in ref) return `parameter:${ref.parameter}`;
  return ref.jsonKey === undefined ? `secret:${ref.secret}` : `secret:${ref.secret}#${ref.jsonKey}`;
}

/** How a reference is named in messages and logs: where it lives, never what it holds. */
export function describeReference(ref: SecretReference): string {
  if ('parameter' in ref) return `SSM parameter ${ref.parameter}`;
  return ref.jsonKey === undefined ? `secret ${ref.secret}` : `secret ${ref.secret} (key ${ref.jsonKey})`;
}

function stepValues(step: ProbeStepConfig): ConfiguredValue[] {
  return [...Object.values(step.headers), ...(step.body === undefined ? [] : [step.body])];
}

/** Whether running `probe` needs a secret read (only probe has the grants to read them). */
export function usesSecrets(probe: ProbeConfig): boolean {
  return probe.steps.some((s) => stepValues(s).some(isSecretReference));
}

/** Every secret `probes` name, once each. */
export function secretReferences(probes: readonly ProbeConfig[]): SecretReference[] {
  const found = new Map<string, SecretReference>();
  for (const step of probes.flatMap((p) => p.steps)) {
    for (const value of stepValues(step)) if (isSecretReference(value)) found.set(referenceKey(value), value);
  }
  return [...found.values()];
}

/** Every secret the config's probes name, once each: what probe is granted and resolves. */
export function configSecretReferences(config: LbGuardConfig): SecretReference[] {
  return secretReferences(config.services.flatMap((s) => s.probes));
}

/**
 * `probe` with each reference replaced by its value from `values` (keyed by `referenceKey`).
 * Throws naming the reference, never a value, when one was not read.
 */
export function plainProbe(probe: ProbeConfig, values: ReadonlyMap<string, string>): PlainProbe {
  const plain = (v: ConfiguredValue): string => {
    if (!isSecretReference(v)) return v;
    const value = values.get(referenceKey(v));
    if (value === undefined) throw new Error(`probe ${probe.name}: ${describeReference(v)} was not read`);
    return value;
  };
  return {
    ...probe,
    steps: probe.steps.map(
      ({ body, headers, ...rest }): PlainStep => ({
        ...rest,
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, plain(v)])),
        ...(body === undefined ? {} : { body: plain(body) }),
      }),
    ),
  };
}

const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|cookie|x-api-key|api-key|x-auth-token)$|token|secret|password|passwd|api[-_]?key|session/i;
const CREDENTIAL_QUERY =
  /[?&](access[_-]?token|token|api[_-]?key|key|secret|password|passwd|pwd|sig|signature|auth)=/i;
const CREDENTIAL_BODY = /"?(password|passwd|secret|token|api[_-]?key)"?\s*[:=]/i;

/**
 * Plain values that look like credentials, one line each naming where and the fix: they would sit
 * in the template and every function's environment. Never quotes the value.
 */
export function credentialWarnings(config: LbGuardConfig): string[] {
  const out: string[] = [];
  const fix =
    'move it into Secrets Manager or an SSM SecureString and give { secret: … } or { parameter: … } instead';
  config.services.forEach((service, si) => {
    for (const probe of service.probes) {
      for (const step of probe.steps) {
        const where = `services[${si}] (${service.name}) probe ${probe.name}${probe.steps.length > 1 ? ` step ${step.name}` : ''}`;
        for (const [name, value] of Object.entries(step.headers)) {
          if (!isSecretReference(value) && CREDENTIAL_HEADER.test(name)) {
            out.push(`${where}: header ${name} is a plain value that looks like a credential; ${fix}`);
          }
        }
        if (typeof step.body === 'string' && CREDENTIAL_BODY.test(step.body)) {
          out.push(`${where}: the body looks like it carries a credential; ${fix}`);
        }
        // User info in a URL is refused by the schema itself; a token in the query only warned of.
        const url = URL.parse(step.url);
        if (url !== null && CREDENTIAL_QUERY.test(url.search)) {
          out.push(
            `${where}: the URL carries what looks like a credential (a token in the query); send it in a header from a secret reference instead`,
          );
        }
      }
    }
  });
  return out;
}
