// Issue 15, deployment-aware arbitration, on the synthesized template: remediate alone may read
// who owns the routing (CloudFormation, CodeDeploy), scoped to the load balancer's account and
// region and to the applications the config names; and remediate's own ELBv2 writes do not wake
// the change path.
import { beforeAll, describe, expect, it } from 'vitest';
import type { LbGuardConfig } from '../../../lib/config/index.ts';
import type { Statement, TemplateJson } from './policy-check.ts';
import { asList, type FunctionName, roleIdOf, roleStatements } from './roles.ts';
import { importedLbStack, SYNTH_TIMEOUT } from './stacks.ts';
import { synthesize, testConfig } from './support.ts';

const OWNER_READS = /^(cloudformation|codedeploy):/;
const STACKS = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/*';

/** The owner-read statements of `fn`'s role, action by action, with their resources. */
function ownerGrants(json: TemplateJson, fn: FunctionName): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const s of roleStatements(json, roleIdOf(json, fn)).filter((s: Statement) => s.Effect === 'Allow')) {
    for (const action of (asList(s.Action) as string[]).filter((a) => OWNER_READS.test(a))) {
      out[action] = [...(out[action] ?? []), ...asList(s.Resource)];
    }
  }
  return out;
}

function withApplications(config: LbGuardConfig, codeDeployApplications: string[]): LbGuardConfig {
  return {
    ...config,
    services: config.services.map((s) => ({
      ...s,
      remediation: { ...s.remediation, codeDeployApplications },
    })),
  };
}

describe('owner reads, one service in auto naming no CodeDeploy application', () => {
  let json: TemplateJson;

  beforeAll(() => {
    json = synthesize(importedLbStack(testConfig({ mode: 'auto' }))).json;
  }, SYNTH_TIMEOUT);

  it('gives remediate exactly the reads its lookup makes, in the load balancer account and region', () => {
    expect(ownerGrants(json, 'remediate')).toEqual({
      'cloudformation:DescribeStackResources': [STACKS],
      'cloudformation:DescribeStacks': [STACKS],
      'codedeploy:ListApplications': ['*'],
      'codedeploy:ListDeploymentGroups': ['arn:aws:codedeploy:eu-west-1:123456789012:application:*'],
      'codedeploy:GetDeploymentGroup': ['arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:*/*'],
      'codedeploy:ListDeployments': ['arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:*/*'],
    });
  });

  it('gives inspect and probe none of them', () => {
    expect(ownerGrants(json, 'inspect')).toEqual({});
    expect(ownerGrants(json, 'probe')).toEqual({});
  });

  it("leaves remediate's own role out of what wakes inspect on a routing change, and no one else", () => {
    const rule = Object.values(json.Resources).find(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        String(JSON.stringify(r.Properties?.EventPattern)).includes('CloudTrail'),
    );
    if (rule === undefined) throw new Error('no routing-change rule in the template');
    const pattern = rule.Properties?.EventPattern as { detail: Record<string, unknown> } | undefined;
    const detail = pattern?.detail ?? {};
    expect(detail.userIdentity).toEqual({
      $or: [
        {
          sessionContext: {
            sessionIssuer: {
              arn: [{ 'anything-but': [{ 'Fn::GetAtt': [roleIdOf(json, 'remediate'), 'Arn'] }] }],
            },
          },
        },
        // A user's or root's call has no session issuer and still wakes inspect.
        { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } },
      ],
    });
  });
});

describe('owner reads when the config names the CodeDeploy applications', () => {
  let json: TemplateJson;

  beforeAll(() => {
    json = synthesize(importedLbStack(withApplications(testConfig({ mode: 'auto' }), ['shop-web']))).json;
  }, SYNTH_TIMEOUT);

  it('scopes CodeDeploy to those applications and lists none', () => {
    const grants = ownerGrants(json, 'remediate');
    expect(grants['codedeploy:ListApplications']).toBeUndefined();
    expect(grants['codedeploy:ListDeploymentGroups']).toEqual([
      'arn:aws:codedeploy:eu-west-1:123456789012:application:shop-web',
    ]);
    expect(grants['codedeploy:ListDeployments']).toEqual([
      'arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:shop-web/*',
    ]);
  });
});

describe('owner reads, one service in dry-run', () => {
  it(
    'are not granted: remediate never writes, so it never looks',
    () => {
      const json = synthesize(importedLbStack(testConfig())).json;
      expect(ownerGrants(json, 'remediate')).toEqual({});
    },
    SYNTH_TIMEOUT,
  );
});
