import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { createShop, type Shop, standardShop } from '../support/elbv2-fixtures.ts';
import { configFor, jsonOf, runCli, startHealthySite, workspaceWithConfig } from './cli-support.ts';

// `lbguard lint` and the lint inside `verify`, as real subprocesses against the standard shop in
// moto: balanced it lints clean, routed 100/0 while web-b still has targets it fails on LBG-L1.

const clients: AwsClients = createAwsClients(motoClientConfig());
let shop: Shop;
let cwd: string;
let site: Awaited<ReturnType<typeof startHealthySite>>;

interface LintDocument {
  readonly command: string;
  readonly ok: boolean;
  readonly exitCode: number;
  readonly services: readonly {
    readonly service: string;
    readonly loadBalancerArn: string;
    readonly errors: number;
    readonly warnings: number;
    readonly findings: readonly {
      readonly ruleId: string;
      readonly level: 'error' | 'warning';
      readonly resource: { readonly kind: string; readonly arn: string; readonly name: string };
      readonly message: string;
      readonly fix: string;
    }[];
  }[];
}

beforeAll(async () => {
  await resetMoto();
  site = await startHealthySite();
  shop = await createShop(clients, standardShop);
  // verify reads the state table; lint alone does not need it.
  await createStateTable(clients.dynamodb, 'lbguard-state');
  cwd = workspaceWithConfig(configFor({ loadBalancerArn: shop.loadBalancerArn, probeUrl: site.url }));
});
afterAll(async () => {
  destroyAwsClients(clients);
  await site.close();
});

function groupArn(name: string): string {
  const g = shop.groups[name];
  if (!g) throw new Error(`no group ${name}`);
  return g.arn;
}

describe('lbguard lint against a shop in moto', () => {
  it('lints the balanced shop without errors and exits 0, whatever warnings it prints', async () => {
    const [json, human] = await Promise.all([
      runCli(['lint', '--json'], { cwd }),
      runCli(['lint', '--service', 'shop'], { cwd }),
    ]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const doc = jsonOf<LintDocument>(json);
    expect(doc).toMatchObject({ command: 'lint', ok: true, exitCode: 0 });
    expect(doc.services).toHaveLength(1);
    const service = doc.services[0];
    expect(service).toMatchObject({ service: 'shop', loadBalancerArn: shop.loadBalancerArn, errors: 0 });
    expect(service?.findings.every((f) => f.level === 'warning')).toBe(true);
    expect(service?.warnings).toBe(service?.findings.length);

    expect(human.code).toBe(0);
    expect(human.stdout).toContain('service shop');
    expect(human.stdout).toContain('lint passed: no errors');
    expect(human.stdout).not.toContain('\u001b[');
  });

  describe('after the default action is routed 100/0 while web-b keeps its targets', () => {
    beforeAll(async () => {
      await clients.elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: shop.listenerArn,
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: groupArn('web-a'), Weight: 100 },
                  { TargetGroupArn: groupArn('web-b'), Weight: 0 },
                ],
              },
            },
          ],
        }),
      );
    });

    it('reports LBG-L1 on the listener default action as an error and exits 1', async () => {
      const run = await runCli(['lint', '--json'], { cwd });
      expect(run.code).toBe(1);
      const doc = jsonOf<LintDocument>(run);
      expect(doc).toMatchObject({ command: 'lint', ok: false, exitCode: 1 });
      const service = doc.services[0];
      expect(service?.errors).toBeGreaterThanOrEqual(1);
      const l1 = service?.findings.find((f) => f.ruleId === 'LBG-L1');
      expect(l1).toMatchObject({
        level: 'error',
        resource: { kind: 'listener', arn: shop.listenerArn, name: 'listener :80' },
      });
      expect(l1?.message).toContain('web-a carries all traffic');
      expect(l1?.message).toContain('web-b (2 registered targets)');
      expect(l1?.fix).not.toBe('');
    });

    it('fails verify on the lint error, naming LBG-L1 in the text and in the JSON', async () => {
      const [human, json] = await Promise.all([
        runCli(['verify'], { cwd }),
        runCli(['verify', '--json'], { cwd }),
      ]);
      expect(human.code).toBe(1);
      expect(human.stdout).toContain('LBG-L1');
      expect(human.stdout).toMatch(/verify FAILED: lint errors shop: LBG-L1/);
      expect(json.code).toBe(1);
      const doc = jsonOf<{
        command: string;
        ok: boolean;
        findings: readonly unknown[];
        lint: LintDocument['services'];
      }>(json);
      expect(doc).toMatchObject({ command: 'verify', ok: false });
      expect(doc.findings.length).toBeGreaterThan(0);
      expect(doc.lint[0]?.findings.map((f) => f.ruleId)).toContain('LBG-L1');
    });
  });
});
