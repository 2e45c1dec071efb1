import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../lib/config/index.ts';
import { enrolmentEvent, enrolmentNotification } from '../../lib/fleet/enrolment-messages.ts';
import { type DiscoveredLoadBalancer, diffEnrolment, type Enrolment, enrol } from '../../lib/fleet/index.ts';
import {
  capEnrolment,
  checkRegistry,
  encodeRegistryBody,
  guardedServices,
  MAX_ENROLLED_SERVICES,
  registryMacMessage,
} from '../../lib/fleet/registry.ts';
import { inspectionEvents, transitionEvent } from '../../lib/fleet/reports.ts';
import { startIncident } from '../../lib/incident.ts';
import type { Diagnosis } from '../../lib/types.ts';
import { LBGUARD_RUNTIME_VERSION } from '../../lib/version.ts';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const SCOPE = { account: ACCOUNT, region: REGION };
const PROBE = 'https://shop.example.com/health';

function arnOf(name: string, account = ACCOUNT, region = REGION): string {
  return `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/0123456789abcdef`;
}

function tagged(name: string, account = ACCOUNT): DiscoveredLoadBalancer {
  return {
    loadBalancerArn: arnOf(name, account),
    loadBalancerName: name,
    tags: { 'lbguard:guard': 'true', 'lbguard:probe-url': PROBE },
  };
}

function enrolmentOf(names: readonly string[]): Enrolment {
  return enrol({ loadBalancers: names.map((n) => tagged(n)), services: [], profiles: {}, scope: SCOPE });
}

function bodyOf(enrolment: Enrolment): string {
  return encodeRegistryBody({ sweptAt: '2026-11-02T14:00:00.000Z', ...enrolment });
}

describe('checkRegistry', () => {
  const good = enrolmentOf(['shop', 'blog']);
  const service = good.services[0]?.service as ServiceConfig;
  const withEntry = (entry: unknown) => JSON.stringify({ ...JSON.parse(bodyOf(good)), services: [entry] });

  it('reads back what was written, services re-parsed and equal', () => {
    const checked = checkRegistry(bodyOf(good), SCOPE, 3);
    expect(checked).toMatchObject({ ok: true, registry: { version: 3, scope: SCOPE } });
    expect(checked.ok && checked.registry.services).toEqual(good.services);
  });

  it.each([
    { what: 'text that is not JSON', body: '{nope', problem: /not JSON/ },
    { what: 'JSON that is not a registry', body: '{"services":{}}', problem: /not a registry/ },
    { what: 'null', body: 'null', problem: /not a registry/ },
    {
      what: 'a service the schema refuses (no probes)',
      body: withEntry({
        loadBalancerArn: service.loadBalancerArn,
        service: { ...service, probes: [] },
        source: { kind: 'tags' },
      }),
      problem: /not a valid service/,
    },
    {
      what: 'an unknown source',
      body: withEntry({ loadBalancerArn: service.loadBalancerArn, service, source: { kind: 'hub' } }),
      problem: /not a valid service/,
    },
    {
      what: "another account's load balancer",
      body: withEntry({
        loadBalancerArn: arnOf('shop', '999999999999'),
        service: { ...service, loadBalancerArn: arnOf('shop', '999999999999') },
        source: { kind: 'tags' },
      }),
      problem: /outside 111111111111\/eu-west-1/,
    },
    {
      what: "another region's load balancer",
      body: withEntry({
        loadBalancerArn: arnOf('shop', ACCOUNT, 'us-east-1'),
        service: { ...service, loadBalancerArn: arnOf('shop', ACCOUNT, 'us-east-1') },
        source: { kind: 'tags' },
      }),
      problem: /outside/,
    },
    {
      what: 'an entry whose service names another load balancer than its key',
      body: withEntry({
        loadBalancerArn: service.loadBalancerArn,
        service: { ...service, loadBalancerArn: arnOf('other') },
        source: { kind: 'tags' },
      }),
      problem: /outside/,
    },
  ])('refuses $what', ({ body, problem }) => {
    const checked = checkRegistry(body, SCOPE, 1);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? '' : checked.problem).toMatch(problem);
  });
});

describe('registryMacMessage', () => {
  it('binds the scope, the version and every byte of the body', () => {
    const body = bodyOf(enrolmentOf(['shop']));
    const base = registryMacMessage(SCOPE, 1, body);
    expect(registryMacMessage(SCOPE, 1, body)).toBe(base);
    expect(registryMacMessage({ ...SCOPE, account: '222222222222' }, 1, body)).not.toBe(base);
    expect(registryMacMessage({ ...SCOPE, region: 'us-east-1' }, 1, body)).not.toBe(base);
    expect(registryMacMessage(SCOPE, 2, body)).not.toBe(base);
    expect(registryMacMessage(SCOPE, 1, `${body} `)).not.toBe(base);
  });
});

describe('capEnrolment', () => {
  it('keeps at most the limit of tag-enrolled services and refuses the rest by name, losing none', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), { maxLength: 12 }),
        fc.nat({ max: 6 }),
        (names, limit) => {
          const enrolment = enrolmentOf(names);
          const capped = capEnrolment(enrolment, limit);
          expect(capped.services.length).toBe(Math.min(limit, enrolment.services.length));
          const over = capped.errors.filter((e) => e.error.code === 'over-limit');
          expect(over).toHaveLength(enrolment.services.length - capped.services.length);
          const arns = [...capped.services, ...over].map((s) => s.loadBalancerArn).sort();
          expect(arns).toEqual(enrolment.services.map((s) => s.loadBalancerArn).sort());
          for (const e of over) expect(e.error.message).toContain('limit enrolledServices');
        },
      ),
    );
  });

  it('never refuses a services[] entry, and leaves an enrolment under the limit as it is', () => {
    const listed = enrol({
      loadBalancers: [],
      services: [{ ...(enrolmentOf(['shop']).services[0]?.service as ServiceConfig) }],
      profiles: {},
      scope: SCOPE,
    });
    expect(capEnrolment(listed, 0)).toBe(listed);
    expect(MAX_ENROLLED_SERVICES).toBe(200);
  });
});

describe('guardedServices', () => {
  const registry = (enrolment: Enrolment) => {
    const checked = checkRegistry(bodyOf(enrolment), SCOPE, 1);
    if (!checked.ok) throw new Error(checked.problem);
    return checked.registry;
  };
  const shop = enrolmentOf(['shop']).services[0]?.service as ServiceConfig;

  it.each([
    {
      what: 'no registry: the config alone',
      config: [shop],
      tags: [] as string[],
      names: ['shop'],
      enrolled: [],
    },
    {
      what: 'the registry adds tagged load balancers',
      config: [],
      tags: ['shop', 'blog'],
      names: ['blog', 'shop'],
      enrolled: ['blog', 'shop'],
    },
    {
      what: 'the config wins over a registry entry of the same name',
      config: [{ ...shop, loadBalancerArn: arnOf('elsewhere') }],
      tags: ['shop'],
      names: ['shop'],
      enrolled: [],
    },
    {
      what: 'the config wins over a registry entry of the same load balancer',
      config: [{ ...shop, name: 'storefront' }],
      tags: ['shop'],
      names: ['storefront'],
      enrolled: [],
    },
  ])('$what', ({ config, tags, names, enrolled }) => {
    const guarded = guardedServices(config, tags.length === 0 ? undefined : registry(enrolmentOf(tags)));
    expect(guarded.services.map((s) => s.name).sort()).toEqual(names);
    expect([...guarded.tagEnrolled].sort()).toEqual(enrolled);
  });

  it("ignores the registry's copies of config services: the config deployed now is their truth", () => {
    const withConfig = enrol({ loadBalancers: [], services: [shop], profiles: {}, scope: SCOPE });
    expect(guardedServices([], registry(withConfig)).services).toEqual([]);
  });

  it("passes on the registry's refused load balancers for the heartbeat", () => {
    const broken = enrol({
      loadBalancers: [{ ...tagged('shop'), tags: { 'lbguard:guard': 'maybe' } }],
      services: [],
      profiles: {},
      scope: SCOPE,
    });
    expect(guardedServices([], registry(broken)).refused.map((r) => r.error.code)).toEqual(['bad-tag-value']);
  });
});

const healthy = { cause: 'healthy', summary: 'all good', evidence: [] } as unknown as Diagnosis;
const skewed = {
  cause: 'routing-skew',
  summary: 'all traffic to one target',
  evidence: ['web-a 100%'],
} as unknown as Diagnosis;

describe('inspectionEvents', () => {
  it('sends one heartbeat naming every load balancer, inspected or failed, and the refused, and a finding per unhealthy one', () => {
    const events = inspectionEvents({
      at: '2026-11-02T14:00:00.000Z',
      lbguardVersion: '9.9.9',
      services: [
        {
          status: 'inspected',
          service: 'shop',
          loadBalancerArn: arnOf('shop'),
          diagnosis: healthy,
          incidentState: 'ok',
        },
        {
          status: 'inspected',
          service: 'blog',
          loadBalancerArn: arnOf('blog'),
          diagnosis: skewed,
          incidentId: 'blog#1',
          incidentState: 'suspected',
        },
        { status: 'failed', service: 'wiki', loadBalancerArn: arnOf('wiki') },
      ],
      refused: [
        {
          loadBalancerArn: arnOf('bad'),
          loadBalancerName: 'bad',
          error: { code: 'no-probes', message: 'nothing to probe' },
        },
      ],
    });
    expect(events.map((e) => e.detailType)).toEqual(['lbguard Heartbeat', 'lbguard Finding']);
    expect(events[0]?.detail).toMatchObject({
      version: 1,
      lbguardVersion: '9.9.9',
      loadBalancers: [
        { service: 'shop', status: 'inspected', diagnosis: 'healthy', incidentState: 'ok' },
        { service: 'blog', status: 'inspected', diagnosis: 'routing-skew', incidentState: 'suspected' },
        { service: 'wiki', status: 'failed' },
      ],
      refused: [{ loadBalancerArn: arnOf('bad'), code: 'no-probes', message: 'nothing to probe' }],
    });
    expect(events[1]?.detail).toMatchObject({
      service: 'blog',
      diagnosis: 'routing-skew',
      incidentId: 'blog#1',
      evidence: ['web-a 100%'],
    });
  });
});

describe('transitionEvent', () => {
  const opened = startIncident('shop', '2026-11-02T14:00:00.000Z');
  it.each([
    {
      what: 'a new incident comes from ok',
      before: undefined,
      after: { ...opened, state: 'suspected' as const },
      from: 'ok',
    },
    {
      what: 'a state change',
      before: { ...opened, state: 'suspected' as const },
      after: { ...opened, state: 'confirmed' as const },
      from: 'suspected',
    },
  ])('reports $what', ({ before, after, from }) => {
    expect(transitionEvent(before, after, arnOf('shop'))?.detail).toMatchObject({
      from,
      to: after.state,
      service: 'shop',
      incidentId: opened.id,
      loadBalancerArn: arnOf('shop'),
    });
  });

  it('reports nothing when the state did not move', () => {
    const suspected = { ...opened, state: 'suspected' as const };
    expect(transitionEvent(suspected, { ...suspected, breaches: 2 }, arnOf('shop'))).toBeUndefined();
  });
});

describe('enrolment messages', () => {
  it('names the load balancer, the service, the reason and the cause of every transition', () => {
    const before = enrolmentOf(['shop', 'blog']);
    const after = enrol({
      loadBalancers: [tagged('wiki'), { ...tagged('shop'), tags: {} }],
      services: [],
      profiles: {},
      scope: SCOPE,
    });
    const transitions = diffEnrolment(before, after);
    expect(transitions.map((t) => t.kind).sort()).toEqual(['enrol', 'release', 'release']);
    for (const t of transitions) {
      const n = enrolmentNotification(t, 'RemoveTags');
      const text = [n.subject, ...n.lines].join(' ');
      expect(text).toContain(t.loadBalancerArn);
      expect(text).toContain(t.service);
      expect(text).toContain('RemoveTags');
      expect(n.severity).toBe(t.kind === 'release' ? 'warning' : 'info');
      expect(enrolmentEvent(t, '2026-11-02T14:00:00.000Z').detail).toMatchObject({
        loadBalancerArn: t.loadBalancerArn,
        transition: t.kind,
        reason: t.kind === 'update' ? undefined : t.reason,
      });
    }
    expect(enrolmentNotification(transitions[0] as never, 'sweep').lines.join(' ')).toContain(
      'periodic sweep',
    );
  });
});

describe('LBGUARD_RUNTIME_VERSION', () => {
  it("is package.json's version, so heartbeats name the release that runs", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(LBGUARD_RUNTIME_VERSION).toBe(pkg.version);
  });
});
