import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import type { LbSnapshot } from '../../lib/types.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { createShop, deregisterTargets, type Shop, standardShop } from '../support/elbv2-fixtures.ts';
import { configFor, jsonOf, runCli, startHealthySite, workspaceWithConfig } from './cli-support.ts';

// One world for the whole file, walked through the way an on-call engineer would: the shop is
// healthy, a deployment skews it 100/0 and deregisters a target, lbguard says so, restores it.

const clients: AwsClients = createAwsClients(motoClientConfig());
let shop: Shop;
let cwd: string;
let site: Awaited<ReturnType<typeof startHealthySite>>;

beforeAll(async () => {
  await resetMoto();
  site = await startHealthySite();
  shop = await createShop(clients, standardShop);
  cwd = workspaceWithConfig(configFor({ loadBalancerArn: shop.loadBalancerArn, probeUrl: site.url }));
});
afterAll(async () => {
  destroyAwsClients(clients);
  await site.close();
});

function group(name: string) {
  const g = shop.groups[name];
  if (!g) throw new Error(`no group ${name}`);
  return g;
}

async function defaultWeights(): Promise<Record<string, number>> {
  const out = await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [shop.listenerArn] }));
  const tuples = out.Listeners?.[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups ?? [];
  return Object.fromEntries(
    tuples.map((t) => [Object.values(shop.groups).find((g) => g.arn === t.TargetGroupArn)?.name, t.Weight]),
  );
}

async function registeredIds(name: string): Promise<string[]> {
  const out = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group(name).arn }));
  return (out.TargetHealthDescriptions ?? []).map((d) => d.Target?.Id ?? '').sort();
}

/** The outage of the reference postmortem: 100/0 to web-a, and web-a left with one target. */
async function breakTheShop(): Promise<void> {
  await clients.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: shop.listenerArn,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: group('web-a').arn, Weight: 100 },
              { TargetGroupArn: group('web-b').arn, Weight: 0 },
            ],
          },
        },
      ],
    }),
  );
  const lost = group('web-a').targets[1];
  if (!lost) throw new Error('web-a has fewer than 2 targets');
  await deregisterTargets(clients, group('web-a').arn, [lost]);
}

describe('lbguard against a shop in moto', () => {
  it('says the state table is missing and names lbguard init (exit 3)', async () => {
    const run = await runCli(['status'], { cwd });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('lbguard-state does not exist');
    expect(run.stderr).toContain('lbguard init --table lbguard-state');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('creates the state table with init and reports it as JSON', async () => {
    const run = await runCli(['init', '--json'], { cwd });
    expect(run.code).toBe(0);
    expect(jsonOf(run)).toMatchObject({ command: 'init', ok: true, exitCode: 0, tableName: 'lbguard-state' });
  });

  it('promotes a healthy shop to last known good with a recorded reason', async () => {
    const run = await runCli(['snapshot', '--promote', '--json'], { cwd });
    expect(run.code).toBe(0);
    const doc = jsonOf<{ services: { promotion: { outcome: string; reason: string }; hash: string }[] }>(run);
    expect(doc.services[0]?.promotion.outcome).toBe('promoted');
    expect(doc.services[0]?.promotion.reason).toMatch(/via lbguard CLI; diagnosis healthy/);
    expect(doc.services[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('recovers from a tampered last known good by re-promoting: the integrity incident, then a signed baseline', async () => {
    const key = { pk: { S: 'SERVICE#shop' }, sk: { S: 'LASTGOOD' } };
    const item = (await clients.dynamodb.send(new GetItemCommand({ TableName: 'lbguard-state', Key: key })))
      .Item;
    const stored = JSON.parse(item?.snapshotJson?.S ?? '{}') as LbSnapshot;
    const [group] = stored.targetGroups;
    if (item === undefined || group === undefined) throw new Error('no last known good to tamper with');
    const forged: LbSnapshot = {
      ...stored,
      targetGroups: [
        { ...group, targets: [...group.targets, { id: '203.0.113.9', port: 443 }] },
        ...stored.targetGroups.slice(1),
      ],
    };
    await clients.dynamodb.send(
      new PutItemCommand({
        TableName: 'lbguard-state',
        Item: { ...item, snapshotJson: { S: JSON.stringify(forged) }, hash: { S: hashSnapshot(forged) } },
      }),
    );
    const status = await runCli(['status', '--json'], { cwd });
    expect(
      jsonOf<{ services: { diagnosis: { cause: string } }[] }>(status).services[0]?.diagnosis.cause,
    ).toBe('state-integrity');
    // The load balancer itself is healthy: the operator's promotion needs no --force, and says what it replaced.
    const run = await runCli(['snapshot', '--promote', '--json'], { cwd });
    expect(run.code).toBe(0);
    const doc = jsonOf<{ services: { promotion: { outcome: string; reason: string } }[] }>(run);
    expect(doc.services[0]?.promotion).toMatchObject({
      outcome: 'promoted',
      reason: expect.stringMatching(
        /replaces the last known good of shop, which failed its integrity check \(its MAC does not verify/,
      ),
    });
    const after = await runCli(['status', '--json'], { cwd });
    expect(jsonOf<{ services: { diagnosis: { cause: string } }[] }>(after).services[0]?.diagnosis.cause).toBe(
      'healthy',
    );
  });

  it('shows status as one JSON document: healthy, every target a quarter of the default route', async () => {
    const run = await runCli(['status', '--json'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const doc = jsonOf<{
      command: string;
      services: {
        diagnosis: { cause: string; evidence: string[] };
        drift: unknown[];
        lastGood: { hash: string } | null;
        openIncident: unknown;
        routes: {
          priority: number | 'default';
          shares: { share: number; health: string; targetGroup: string }[];
        }[];
      }[];
    }>(run);
    expect(doc.command).toBe('status');
    const service = doc.services[0];
    expect(service?.diagnosis.cause).toBe('healthy');
    expect(service?.drift).toEqual([]);
    expect(service?.lastGood?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(service?.openIncident).toBeNull();
    const byDefault = service?.routes.find((r) => r.priority === 'default');
    expect(byDefault?.shares).toHaveLength(4);
    for (const s of byDefault?.shares ?? []) {
      expect(s.share).toBeCloseTo(0.25);
      expect(s.health).toBe('healthy');
    }
    expect(service?.routes.map((r) => r.priority)).toEqual([10, 20, 'default']);
  });

  it('passes verify and finds no drift while nothing changed', async () => {
    const [verify, diff] = await Promise.all([
      runCli(['verify'], { cwd }),
      runCli(['diff', '--json'], { cwd }),
    ]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('verify passed');
    expect(diff.code).toBe(0);
    expect(jsonOf<{ services: { drift: unknown[] }[] }>(diff).services[0]?.drift).toEqual([]);
  });

  describe('after a deployment routes 100/0 and deregisters a target', () => {
    beforeAll(breakTheShop);

    it('lists the drift as typed changes and exits 1', async () => {
      const run = await runCli(['diff', '--json'], { cwd });
      expect(run.code).toBe(1);
      const kinds = jsonOf<{ services: { drift: { kind: string; ruleId: string }[] }[] }>(
        run,
      ).services[0]?.drift.map((d) => d.kind);
      expect(kinds).toEqual(expect.arrayContaining(['weights-changed', 'targets-deregistered']));
    });

    it('shows the skew in human status: all traffic on one target, diagnosis and evidence', async () => {
      const run = await runCli(['status', '--service', 'shop'], { cwd });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('listener :80 default action');
      expect(run.stdout).toContain('100%');
      expect(run.stdout).toMatch(/diagnosis: (routing-skew|missing-targets|listener-drift)/);
      expect(run.stdout).toContain('weights-changed');
      // Not a TTY: no colour escapes.
      expect(run.stdout).not.toContain('\u001b[');
    });

    it('fails verify with the findings (exit 1)', async () => {
      const run = await runCli(['verify', '--json'], { cwd });
      expect(run.code).toBe(1);
      const doc = jsonOf<{
        ok: boolean;
        findings: { service: string; ok: boolean; cause: string; diagnosis: { evidence: string[] } }[];
      }>(run);
      expect(doc.ok).toBe(false);
      expect(doc.findings[0]).toMatchObject({ service: 'shop', ok: false, cause: 'configuration' });
      expect(doc.findings[0]?.diagnosis.evidence.length).toBeGreaterThan(0);
    });

    it('refuses to promote the broken configuration without --force', async () => {
      const run = await runCli(['snapshot', '--promote'], { cwd });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('not promoted');
      expect(run.stdout).toContain('--force --reason');
    });

    it('shows the restore plan as a dry run by default and changes nothing in moto', async () => {
      const before = { weights: await defaultWeights(), webA: await registeredIds('web-a') };
      const run = await runCli(['restore', '--json'], { cwd });
      expect(run.code).toBe(1);
      const doc = jsonOf<{
        services: { outcome: string; applied: boolean; steps: { op: string; description: string }[] }[];
      }>(run);
      const service = doc.services[0];
      expect(service?.outcome).toBe('plan');
      expect(service?.applied).toBe(false);
      expect(service?.steps.map((s) => s.op)).toEqual(['RegisterTargets', 'ModifyListener']);
      expect(await defaultWeights()).toEqual(before.weights);
      expect(await registeredIds('web-a')).toEqual(before.webA);
    });

    it('refuses --apply without --yes when stdin is not a terminal (exit 2, names the fix)', async () => {
      const run = await runCli(['restore', '--apply'], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--apply --yes');
      expect(await defaultWeights()).toEqual({ 'web-a': 100, 'web-b': 0 });
    });

    it('converges moto to last known good with restore --apply --yes', async () => {
      const run = await runCli(['restore', '--apply', '--yes', '--json'], { cwd });
      const doc = jsonOf<{ services: { outcome: string; applied: boolean; apply: unknown }[] }>(run);
      expect(doc.services[0]).toMatchObject({ applied: true, apply: { outcome: 'resolved' } });
      expect(run.code).toBe(0);
      // Progress, one timestamped line per step, goes to stderr under --json; nothing else does.
      expect(run.stderr.trim().split('\n')).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^\[[\dT:-]+Z\] restore shop: applying ModifyListener$/),
        ]),
      );
      expect(run.stderr).not.toMatch(/^(?!\[[\dT:-]+Z\] ).+$/m);
      expect(await defaultWeights()).toEqual({ 'web-a': 50, 'web-b': 50 });
      expect(await registeredIds('web-a')).toEqual(
        group('web-a')
          .targets.map((t) => t.id)
          .sort(),
      );
    });

    it('passes verify again after the restore', async () => {
      const run = await runCli(['verify'], { cwd });
      expect(run.code).toBe(0);
    });
  });

  describe('incidents and postmortems', () => {
    it('lists incidents as JSON and drafts a postmortem to a file', async () => {
      const list = await runCli(['incidents', '--json'], { cwd });
      expect(list.code).toBe(0);
      const incidents = jsonOf<{ services: { service: string; incidents: { id: string }[] }[] }>(list)
        .services[0]?.incidents;
      expect(incidents?.length).toBeGreaterThan(0);
      const id = incidents?.[0]?.id ?? '';
      const draft = await runCli(['postmortem', id, '--out', 'pm.md'], { cwd });
      expect(draft.code).toBe(0);
      const markdown = readFileSync(join(cwd, 'pm.md'), 'utf8');
      expect(markdown).toContain('# Postmortem:');
      expect(markdown).toContain('## Timeline');
    });

    it('promotes a broken configuration only with --force, recording who, under which diagnosis and why', async () => {
      await breakTheShop();
      const run = await runCli(
        ['snapshot', '--promote', '--force', '--reason', 'web-b retired on purpose', '--json'],
        {
          cwd,
        },
      );
      expect(run.code).toBe(0);
      const promotion = jsonOf<{
        services: { promotion: { outcome: string; forced: boolean; reason: string } }[];
      }>(run).services[0]?.promotion;
      expect(promotion).toMatchObject({ outcome: 'promoted', forced: true });
      expect(promotion?.reason).toMatch(
        /^forced by .+ via lbguard CLI while the diagnosis was [a-z-]+: web-b retired on purpose$/,
      );
    });

    it('says which incidents exist when the id is unknown (exit 2)', async () => {
      const run = await runCli(['postmortem', 'shop#1999-01-01T00:00:00.000Z'], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('lbguard incidents --service shop');
    });
  });
});
