// Issue 14, finding 6, on the template: probe may read exactly the secrets its probes name and
// nothing else; no other role may; the template and environments carry references, not values;
// a plain value that looks like a credential draws a synth warning.
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../lib/config/index.ts';
import type { Statement } from './policy-check.ts';
import { type FunctionName, roleIdOf, roleStatements } from './roles.ts';
import { importedLbStack, SYNTH_TIMEOUT } from './stacks.ts';
import { configYaml, type Synthesized, synthesize } from './support.ts';

const WITH_SECRETS = configYaml().replace(
  / {6}- name: health\n/,
  `      - name: account
        url: https://shop.example.com/account
        method: POST
        headers:
          Authorization: { secret: shop/probe-token, jsonKey: token }
          X-Partner: { secret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:partner-AbCdEf" }
        body: { parameter: /shop/probe/api-key }
      - name: health
`,
);

const WITH_PLAIN_TOKEN = configYaml().replace(
  / {6}- name: health\n/,
  `      - name: account
        url: https://shop.example.com/account
        headers: { Authorization: "Bearer plain-token-value" }
      - name: health
`,
);

function statementsOf(json: Synthesized['json'], fn: FunctionName): Statement[] {
  return roleStatements(json, roleIdOf(json, fn));
}

describe('probe secrets in the template', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(importedLbStack(loadConfigOrThrow(WITH_SECRETS, 'test.yaml')));
  }, SYNTH_TIMEOUT);

  it('lets probe read exactly the secrets and parameters its probes name', () => {
    const reads = statementsOf(synth.json, 'probe').filter((s) =>
      JSON.stringify(s.Action).match(/secretsmanager|ssm:/),
    );
    const resources = (s: Statement) => JSON.stringify(s.Resource);
    expect(reads.map((s) => s.Action)).toEqual(['secretsmanager:GetSecretValue', 'ssm:GetParameter']);
    const [secrets, parameters] = reads;
    expect(resources(secrets as Statement)).toContain(':secret:shop/probe-token-??????');
    expect(resources(secrets as Statement)).toContain(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:partner-AbCdEf',
    );
    expect(JSON.parse(resources(secrets as Statement))).toHaveLength(2);
    expect(resources(parameters as Statement)).toContain(':parameter/shop/probe/api-key');
    expect(resources(parameters as Statement)).not.toContain('*');
  });

  it('gives no other function any secret or parameter read', () => {
    for (const fn of ['inspect', 'remediate'] as const) {
      const found = statementsOf(synth.json, fn).filter((s) =>
        JSON.stringify(s.Action).match(/secretsmanager|ssm:/),
      );
      expect(found).toEqual([]);
    }
  });

  it('carries the references, never a value, in every environment', () => {
    const config = JSON.stringify(
      Object.values(synth.json.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map(
          (r) =>
            (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
              ?.LBGUARD_CONFIG,
        ),
    );
    expect(config).toContain('shop/probe-token');
    expect(config).toContain('/shop/probe/api-key');
    // CloudFormation would resolve a dynamic reference into the environment: none may appear.
    expect(JSON.stringify(synth.json)).not.toContain('{{resolve:');
  });

  it('warns of nothing for references', () => {
    Annotations.fromStack(synth.stack).hasNoWarning('*', Match.stringLikeRegexp('plain value'));
  });
});

describe('a plain credential', () => {
  it(
    'draws a synth warning naming the probe, the header and the fix, not the value',
    () => {
      const synth = synthesize(importedLbStack(loadConfigOrThrow(WITH_PLAIN_TOKEN, 'test.yaml')));
      const warnings = Annotations.fromStack(synth.stack).findWarning(
        '*',
        Match.stringLikeRegexp('plain value'),
      );
      expect(warnings).toHaveLength(1);
      const text = JSON.stringify(warnings[0]?.entry.data);
      expect(text).toMatch(
        /probe account: header Authorization is a plain value that looks like a credential; move it into Secrets Manager/,
      );
      expect(text).not.toContain('plain-token-value');
    },
    SYNTH_TIMEOUT,
  );
});
