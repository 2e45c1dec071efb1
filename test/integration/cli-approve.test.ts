import { ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { outageShop } from '../support/elbv2-fixtures.ts';
import { createMotoWorld, type MotoWorld } from '../support/moto-lambdas.ts';
import { awaitingApproval } from '../support/moto-outage.ts';
import { configFor, jsonOf, runCli, workspaceWithConfig } from './cli-support.ts';

// `lbguard approve` and `lbguard restore --apply --force` as an operator runs them: the real
// launcher against moto, on a world whose functions (flows wired as in Lambda) asked for approval.

let w: MotoWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The world's own site and load balancer, as a config file for the CLI. */
function workspace(world: MotoWorld, mode: 'approve' | 'dry-run'): string {
  const url = world.config.services[0]?.probes[0]?.steps[0]?.url ?? '';
  return workspaceWithConfig(configFor({ loadBalancerArn: world.shop.loadBalancerArn, probeUrl: url, mode }));
}

describe('lbguard approve against moto', () => {
  it('shows the pending approval in incidents and status, records the STS caller, then applies and verifies', async () => {
    w = await createMotoWorld(outageShop, () => ({
      remediation: { mode: 'approve', verifyDeadlineSeconds: 30 },
    }));
    const { request, planHash } = await awaitingApproval(w);
    const lastGood = await w.lastGoodHash();
    const cwd = workspace(w, 'approve');

    const listed = await runCli(['incidents', '--service', 'shop'], { cwd });
    expect(listed.stdout).toContain(`approve with: lbguard approve shop ${planHash}`);
    const status = jsonOf<{
      services: { openIncident: { approval: { planHash: string; command: string } } }[];
    }>(await runCli(['status', '--json'], { cwd }));
    expect(status.services[0]?.openIncident.approval).toMatchObject({
      planHash,
      command: `lbguard approve shop ${planHash}`,
    });

    const wrong = await runCli(['approve', 'shop', 'f'.repeat(64)], { cwd });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(`waits for plan ${planHash}`);

    const run = await runCli(['approve', 'shop', planHash, '--json'], { cwd });
    const doc = jsonOf<{ outcome: string; approvedBy: string; remediation: { outcome: string } | null }>(run);
    expect(doc).toMatchObject({ outcome: 'recorded', remediation: { outcome: 'resolved' } });
    // moto's STS answers for its default identity: the approver is whoever AWS says is calling.
    expect(doc.approvedBy).toMatch(/^arn:aws:(iam|sts)::123456789012:/);
    expect(run.code).toBe(0);
    expect(await w.liveHash()).toBe(lastGood);
    const incident = await w.runtime.store.getIncident('shop', request.incidentId);
    expect(incident?.state).toBe('resolved');
    expect(incident?.timeline.some((e) => e.what === `Plan ${planHash} approved by ${doc.approvedBy}`)).toBe(
      true,
    );
  });

  it('refuses an approval for a service not in approve mode, naming the fix (exit 2)', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    const run = await runCli(['approve', 'shop', 'a'.repeat(64)], { cwd: workspace(w, 'dry-run') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('set remediation.mode: approve');
  });
});

describe('lbguard restore --apply --force', () => {
  it('needs --reason with --force (exit 2, names the fix) and changes nothing', async () => {
    const run = await runCli(['restore', '--apply', '--yes', '--force'], {
      cwd: workspaceWithConfig('version: 1\n'),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--force needs --reason TEXT');
  });

  it('restores a drift lbguard judges harmless once forced, recording the reason in the incident and the notification', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    await w.promote();
    const lastGood = await w.lastGoodHash();
    // Every target still serves: lbguard sees no fault, the operator wants 50/50 back anyway.
    await w.admin.elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: w.shop.listenerArn,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: w.shop.groups['web-a']?.arn ?? '', Weight: 60 },
                { TargetGroupArn: w.shop.groups['web-b']?.arn ?? '', Weight: 40 },
              ],
            },
          },
        ],
      }),
    );
    const cwd = workspace(w, 'dry-run');
    const refused = jsonOf<{ services: { apply: { detail: string[] } }[] }>(
      await runCli(['restore', '--apply', '--yes', '--json'], { cwd }),
    );
    expect(refused.services[0]?.apply.detail.join(' ')).toContain('override with --force --reason');
    expect(await w.liveHash()).not.toBe(lastGood);

    const reason = 'the 60/40 split was a mistake in the canary template';
    const run = await runCli(['restore', '--apply', '--yes', '--force', '--reason', reason, '--json'], {
      cwd,
    });
    const doc = jsonOf<{
      services: { applied: boolean; apply: { outcome: string; incidentId: string } }[];
      notifications: { subject: string }[];
    }>(run);
    expect(doc.services[0]).toMatchObject({ applied: true, apply: { outcome: 'resolved' } });
    expect(run.code).toBe(0);
    expect(await w.liveHash()).toBe(lastGood);
    expect(doc.notifications.some((n) => n.subject.includes('Operator override (--force)'))).toBe(true);
    const incident = await w.runtime.store.getIncident('shop', doc.services[0]?.apply.incidentId ?? '');
    expect(incident?.diagnosis?.summary).toContain(reason);
    expect(incident?.timeline[0]?.evidence.some((e) => e.includes(`with --force, reason: ${reason}`))).toBe(
      true,
    );
    expect(incident?.state).toBe('resolved');
  });
});
