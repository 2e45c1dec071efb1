import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { DynamoDbStateStore } from '../../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import {
  createShop,
  deregisterTargets,
  motoEc2,
  outageShop,
  type Shop,
  type ShopSpec,
} from '../support/elbv2-fixtures.ts';
import { configFor, jsonOf, runCli, startHealthySite, workspaceWithConfig } from './cli-support.ts';

// `lbguard verify` as a pipeline gate, against moto: traffic on one target fails it whatever the
// cause, and says which; health is claimed only from probe results; every difference from last
// known good is listed with its verdict; --wait polls with a progress line per poll.

interface Finding {
  readonly service: string;
  readonly ok: boolean;
  readonly cause: string | null;
  readonly summary: string;
  readonly action: string;
  readonly health: { readonly kind: string; readonly since: string };
  readonly concentrations: readonly {
    readonly cause: string;
    readonly target: string;
    readonly share: number;
  }[];
  readonly differences: readonly { readonly kind: string; readonly verdict: string; readonly why: string }[];
}
interface VerifyDoc {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly findings: readonly Finding[];
  readonly waited: { readonly polls: number; readonly converged: boolean; readonly timedOut: boolean } | null;
}

/** A progress line: `[2026-12-04T23:59:01Z] …`. */
const PROGRESS = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] /m;

const clients: AwsClients = createAwsClients(motoClientConfig());
let site: Awaited<ReturnType<typeof startHealthySite>>;

beforeAll(async () => {
  site = await startHealthySite();
});
afterAll(async () => {
  destroyAwsClients(clients);
  await site.close();
});

/**
 * moto builds its EC2 backend on the first EC2 call of a fresh server, which on a loaded machine
 * can outlast the Query client's 5 s bound: one clean retry, so the world is built, never skipped.
 */
async function freshShop(spec: ShopSpec): Promise<Shop> {
  await resetMoto();
  try {
    return await createShop(clients, spec);
  } catch (error) {
    if ((error as Error).name !== 'TimeoutError') throw error;
    await resetMoto();
    return createShop(clients, spec);
  }
}

async function world(spec: ShopSpec): Promise<{ shop: Shop; cwd: string }> {
  const shop = await freshShop(spec);
  const cwd = workspaceWithConfig(configFor({ loadBalancerArn: shop.loadBalancerArn, probeUrl: site.url }));
  expect((await runCli(['init'], { cwd })).code).toBe(0);
  expect((await runCli(['snapshot', '--promote'], { cwd })).code).toBe(0);
  return { shop, cwd };
}

async function setWeights(shop: Shop, a: number, b: number): Promise<void> {
  await clients.elbv2.send(
    new ModifyListenerCommand({
      ListenerArn: shop.listenerArn,
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: shop.groups['web-a']?.arn, Weight: a },
              { TargetGroupArn: shop.groups['web-b']?.arn, Weight: b },
            ],
          },
        },
      ],
    }),
  );
}

function finding(doc: VerifyDoc): Finding {
  const f = doc.findings[0];
  if (f === undefined) throw new Error('verify reported no service');
  return f;
}

describe('lbguard verify on two weighted groups', () => {
  let shop: Shop;
  let cwd: string;
  beforeAll(async () => {
    ({ shop, cwd } = await world(outageShop));
  });

  it('passes a healthy shop on probes it ran itself', async () => {
    const run = await runCli(['verify', '--json'], { cwd });
    expect(run.code).toBe(0);
    expect(finding(jsonOf<VerifyDoc>(run))).toMatchObject({
      ok: true,
      cause: null,
      health: { kind: 'green' },
    });
  });

  it('says health is unknown, and fails, with no probe run and none recent (--no-probe)', async () => {
    const [text, json] = await Promise.all([
      runCli(['verify', '--no-probe'], { cwd }),
      runCli(['verify', '--no-probe', '--json'], { cwd }),
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/no probe results since \d{4}-\d\d-\d\dT[\d:.]+Z: health unknown/);
    expect(text.stdout).not.toMatch(/probes green/i);
    expect(json.code).toBe(1);
    expect(finding(jsonOf<VerifyDoc>(json))).toMatchObject({
      cause: 'health-unknown',
      health: { kind: 'unknown' },
    });
  });

  it('passes a benign reweight and lists it with its verdict', async () => {
    await setWeights(shop, 60, 40);
    const [text, json] = await Promise.all([
      runCli(['verify'], { cwd }),
      runCli(['verify', '--json'], { cwd }),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /weights-changed: .*60\/40.* — benign: listener :80 default action still spreads traffic over 4 targets/,
    );
    expect(text.stdout).toContain('verify passed');
    expect(finding(jsonOf<VerifyDoc>(json)).differences).toEqual([
      expect.objectContaining({ kind: 'weights-changed', verdict: 'benign' }),
    ]);
  });

  it('fails on configuration when weights and a deregistration put all traffic on one target (exit 1, cause in text and JSON)', async () => {
    await setWeights(shop, 100, 0);
    const lost = shop.groups['web-a']?.targets[1];
    if (lost === undefined) throw new Error('web-a has fewer than 2 targets');
    await deregisterTargets(clients, shop.groups['web-a']?.arn ?? '', [lost]);
    const [text, json] = await Promise.all([
      runCli(['verify'], { cwd }),
      runCli(['verify', '--json'], { cwd }),
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /FAILED \(configuration\) — listener :80 default action sends 100% of its traffic to i-\w+:80/,
    );
    expect(text.stdout).toMatch(/what to do: .*lbguard restore/);
    expect(text.stdout).toMatch(/weights-changed: .* — harmful: /);
    expect(json.code).toBe(1);
    const f = finding(jsonOf<VerifyDoc>(json));
    expect(f).toMatchObject({ ok: false, cause: 'configuration' });
    expect(f.concentrations[0]).toMatchObject({ cause: 'configuration', share: 1 });
    expect(f.differences.filter((d) => d.verdict === 'harmful').map((d) => d.kind)).toEqual(
      expect.arrayContaining(['weights-changed']),
    );
  });

  it('--wait gives up at --timeout with exit 1, printing a timestamped line per poll though stdout is not a TTY', async () => {
    const run = await runCli(['verify', '--wait', '--timeout', '2', '--interval', '1'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(PROGRESS);
    expect(run.stdout).toMatch(/\] verify poll 1: shop: configuration: /);
    expect(run.stdout).toMatch(/\] verify poll 2: /);
    expect(run.stdout).toMatch(/not converged after 2 s/);
    expect(run.stdout).toContain('verify FAILED: not converged before --timeout.');
  });

  it('--wait converges once the routing is restored, while restore --apply prints its steps', async () => {
    const waiting = runCli(['verify', '--wait', '--timeout', '60', '--interval', '1', '--json'], { cwd });
    await new Promise((r) => setTimeout(r, 1500));
    const restore = await runCli(['restore', '--apply', '--yes'], { cwd });
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/\] restore shop: applying RegisterTargets/);
    expect(restore.stdout).toMatch(/\] restore shop: applying ModifyListener/);
    expect(restore.stdout).toMatch(/\] restore shop: resolved/);
    const run = await waiting;
    expect(run.code).toBe(0);
    const doc = jsonOf<VerifyDoc>(run);
    expect(doc.waited).toMatchObject({ converged: true, timedOut: false });
    expect(doc.waited?.polls).toBeGreaterThan(1);
    // Progress goes to stderr under --json; stdout holds the one document.
    expect(run.stderr).toMatch(/\] verify poll 1: shop: configuration: /);
    expect(run.stderr).toMatch(/\] verify poll \d+: converged/);
  });
});

describe('lbguard verify on one group of three', () => {
  const spec: ShopSpec = {
    name: 'shop',
    groups: [{ name: 'web', instances: 3 }],
    defaultAction: { forwardTo: 'web' },
  };
  let shop: Shop;
  let cwd: string;
  beforeAll(async () => {
    ({ shop, cwd } = await world(spec));
  });

  it('fails on capacity when served-by samples put the traffic on one target the configuration spreads', async () => {
    const [first, ...rest] = shop.groups.web?.targets ?? [];
    if (first === undefined) throw new Error('no targets');
    const store = new DynamoDbStateStore(clients.dynamodb, 'lbguard-state');
    await store.putServedBySample({
      service: 'shop',
      at: new Date().toISOString(),
      counts: Object.fromEntries([
        [`${first.id}:${first.port}`, 300],
        ...rest.map((t) => [`${t.id}:${t.port}`, 5]),
      ]),
    });
    const [text, json] = await Promise.all([
      runCli(['verify'], { cwd }),
      runCli(['verify', '--json'], { cwd }),
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      new RegExp(`FAILED \\(capacity\\) — .*${first.id}:${first.port} \\(cause: capacity\\)`),
    );
    expect(text.stdout).toMatch(/what to do: configuration and target health spread traffic/);
    expect(json.code).toBe(1);
    expect(finding(jsonOf<VerifyDoc>(json))).toMatchObject({ ok: false, cause: 'capacity' });
  });

  it('fails on health when all but one target are out of service, configuration unchanged', async () => {
    const stopped = (shop.instanceIds.web ?? []).slice(1);
    expect(stopped).toHaveLength(2);
    await motoEc2().stopInstances(stopped);
    const [text, json] = await Promise.all([
      runCli(['verify'], { cwd }),
      runCli(['verify', '--json'], { cwd }),
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /FAILED \(health\) — listener :80 default action sends 100% of its traffic to i-\w+:80 \(cause: health\)/,
    );
    expect(text.stdout).toMatch(/what to do: the other targets fail their health checks/);
    expect(json.code).toBe(1);
    const f = finding(jsonOf<VerifyDoc>(json));
    expect(f).toMatchObject({ ok: false, cause: 'health' });
    expect(f.concentrations[0]).toMatchObject({ cause: 'health', share: 1 });
  });
});
