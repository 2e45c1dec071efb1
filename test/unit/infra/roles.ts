// Reading a synthesized template by function: the function resource, its role, and every
// statement of the role's identity policies. Shared by the template tests that judge grants.
import type { Statement, TemplateJson } from './policy-check.ts';

/**
 * `approve` exists only with the config's `approval.endpoint` on, `enrol` only with `discovery`;
 * `hub-ingest` and `hub-coverage` are the hub stack's.
 */
export type FunctionName =
  | 'probe'
  | 'inspect'
  | 'remediate'
  | 'approve'
  | 'enrol'
  | 'hub-ingest'
  | 'hub-coverage';

export function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function refersTo(value: unknown, logicalId: string): boolean {
  return JSON.stringify(value ?? null).includes(`"${logicalId}"`);
}

/** The Lambda function whose Powertools service name is `lbguard-<fn>`. */
export function functionOf(json: TemplateJson, fn: FunctionName): Record<string, unknown> {
  const found = Object.values(json.Resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === `lbguard-${fn}`,
  );
  if (found?.Properties === undefined) {
    throw new Error(`template: no Lambda function with POWERTOOLS_SERVICE_NAME lbguard-${fn}`);
  }
  return found.Properties;
}

export function roleIdOf(json: TemplateJson, fn: FunctionName): string {
  const role = functionOf(json, fn).Role as { 'Fn::GetAtt'?: [string, string] };
  const id = role['Fn::GetAtt']?.[0];
  if (id === undefined) throw new Error(`${fn} has no role of this template`);
  return id;
}

/** Every statement a role's identity policies hold: inline, attached and managed in the template. */
export function roleStatements(json: TemplateJson, roleId: string): Statement[] {
  const role = json.Resources[roleId]?.Properties ?? {};
  const inline = asList(role.Policies).flatMap(
    (p) => (p as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
  );
  const attached = Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter((r) => asList(r.Properties?.Roles).some((ref) => refersTo(ref, roleId)))
    .flatMap(
      (r) => (r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
  return [...inline, ...attached];
}
