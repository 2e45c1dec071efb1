import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffSnapshots, pairSnapshots } from '../../lib/drift.ts';
import { readOnlyNotification } from '../../lib/messages.ts';
import { readOnlyListeners, readOnlyWrites } from '../../lib/plan/read-only.ts';
import { describeStep, planRestore } from '../../lib/plan.ts';
import { findReadOnlyListeners, readOnlyReason, readOnlySetChanged } from '../../lib/read-only.ts';
import { applyPlan } from '../../lib/simulate.ts';
import { describeActions, describeConditions, hashSnapshot } from '../../lib/snapshot.ts';
import type {
  LbSnapshot,
  Listener,
  PlanStep,
  RemediationPolicy,
  Rule,
  UnrepresentedElement,
} from '../../lib/types.ts';
import {
  arbElementSnapshot,
  hostRewrite,
  jwtValidation,
  urlRewrite,
  verifyMtls,
} from './fixtures/elements.ts';
import { forward, listener, path, rule, snapshot, targetGroup } from './fixtures/topologies.ts';

const web = targetGroup('web', ['10.0.1.5:8081', '10.0.2.6:31337']);
const policy: RemediationPolicy = {
  mode: 'auto',
  cooldownSeconds: 0,
  maxPerHour: 10,
  maxSteps: 20,
  allowCreateRule: true,
  verifyDeadlineSeconds: 60,
};
const geo: UnrepresentedElement = { element: 'action type geo-block', raw: '{"Type":"geo-block"}' };

function shop(edit: { rule?: Partial<Rule>; listener?: Partial<Listener> } = {}): LbSnapshot {
  const r = { ...rule(443, 10, [path('/api/*')], [forward([web, 1])]), ...edit.rule };
  return snapshot([{ ...listener(443, [forward([web, 1])], [r]), ...edit.listener }], [web]);
}

const summaries = (now: LbSnapshot, before: LbSnapshot) => diffSnapshots(now, before).map((d) => d.summary);

describe('drift of listener and rule elements', () => {
  it('LBG-D14 names each transform type that changed, and a plan restores it', () => {
    const before = shop({ rule: { transforms: [urlRewrite] } });
    const now = shop({ rule: { transforms: [hostRewrite] } });
    expect(summaries(now, before)).toEqual([
      'listener :443 rule 10 (path /api/*): host-header-rewrite changed from none to ^www\\.(.*)$ → $1; url-rewrite changed from ^/api/(.*)$ → /$1 to none',
    ]);
    const outcome = planRestore({
      current: now,
      lastGood: before,
      health: [],
      attachments: new Map([[web.arn, [now.loadBalancerArn]]]),
      policy,
    });
    if (outcome.kind !== 'plan') return expect.fail(outcome.kind);
    expect(outcome.plan.steps.map((s) => describeStep(s, now))).toEqual([
      'ModifyRule :443 rule 10 (path /api/*) → path /api/*: forward web, transforms url-rewrite ^/api/(.*)$ → /$1',
    ]);
    expect(hashSnapshot(applyPlan(now, outcome.plan.steps))).toBe(hashSnapshot(before));
  });

  it('LBG-D15 reports a change of mutual TLS, and no plan writes it', () => {
    const before = shop({ listener: { mutualAuthentication: verifyMtls } });
    const now = shop({
      listener: { mutualAuthentication: { ...verifyMtls, ignoreClientCertificateExpiry: true } },
    });
    expect(summaries(now, before)).toEqual([
      `listener :443 mutual TLS verify ${verifyMtls.trustStoreArn} → verify ${verifyMtls.trustStoreArn} ignoring expiry`,
    ]);
    expect(summaries(shop(), before)).toEqual([
      `listener :443 mutual TLS verify ${verifyMtls.trustStoreArn} → off`,
    ]);
    const outcome = planRestore({
      current: shop(),
      lastGood: before,
      health: [],
      attachments: new Map(),
      policy,
    });
    expect(outcome).toMatchObject({
      kind: 'nothing-to-do',
      leftAlone: [{ why: expect.stringContaining('does not write listener settings') }],
    });
  });

  it('LBG-D16 reports an unrepresented element appearing on a rule or a default action', () => {
    expect(summaries(shop({ rule: { unrepresented: [geo] } }), shop())).toEqual([
      'listener :443 rule 10 (path /api/*): element(s) lbguard cannot represent none → action type geo-block',
    ]);
    expect(summaries(shop(), shop({ listener: { unrepresented: [geo] } }))).toEqual([
      'listener :443 default action: element(s) lbguard cannot represent action type geo-block → none',
    ]);
  });

  it('names regex conditions and jwt-validation as people read them', () => {
    expect(
      describeConditions([{ field: 'host-header', values: ['a.example.com'], regexValues: ['^b\\.'] }]),
    ).toBe('host a.example.com or ~^b\\.');
    expect(describeActions([jwtValidation(1), { ...forward([web, 1]), order: 2 }], () => 'web')).toBe(
      'jwt-validation (issuer https://idp.example.com) + forward web',
    );
  });

  it('is never found between a snapshot and itself, whatever elements it holds', () => {
    fc.assert(
      fc.property(arbElementSnapshot(), (s) => {
        expect(diffSnapshots(s, structuredClone(s))).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the read-only set and its notification', () => {
  const locked = shop({ rule: { unrepresented: [geo] } });

  it('lists each read-only listener with what makes it so', () => {
    expect(findReadOnlyListeners(locked)).toEqual([
      {
        listenerArn: locked.listeners[0]?.arn,
        port: 443,
        elements: ['rule 10 (path /api/*): action type geo-block'],
      },
    ]);
    expect(findReadOnlyListeners(shop({ listener: { unrepresented: [geo] } }))[0]?.elements).toEqual([
      'default action: action type geo-block',
    ]);
  });

  it('changes only when the listeners or their element names change, not the elements raw content', () => {
    const sameNames = shop({ rule: { unrepresented: [{ ...geo, raw: '{"Type":"geo-block","X":1}' }] } });
    expect(readOnlySetChanged(findReadOnlyListeners(locked), findReadOnlyListeners(sameNames))).toBe(false);
    expect(readOnlySetChanged([], findReadOnlyListeners(locked))).toBe(true);
  });

  it('says which listener, which element, why and what to do; and when it is writable again', () => {
    const now = findReadOnlyListeners(locked);
    const n = readOnlyNotification('shop', [], now);
    expect(n).toMatchObject({ severity: 'warning', state: 'listeners-read-only' });
    expect(n.lines).toEqual([
      'listener :443 is guarded read-only: it holds an element lbguard cannot represent, which a write could drop; restore it by hand or upgrade lbguard. It is still watched and diagnosed; plans leave it alone.',
    ]);
    expect(n.evidence).toEqual(['listener :443 rule 10 (path /api/*): action type geo-block']);
    const again = readOnlyNotification(
      'shop',
      now,
      findReadOnlyListeners(shop({ listener: { unrepresented: [geo] } })),
    );
    expect(again.lines[0]).toContain('(its elements changed)');
    const freed = readOnlyNotification('shop', now, []);
    expect(freed).toMatchObject({
      severity: 'info',
      lines: ['listener :443 is writable again: lbguard may restore it.'],
    });
  });
});

describe('plans around a read-only listener', () => {
  it('never recreate a rule removed from it, and still restore the other listeners', () => {
    const geoRule: Rule = { ...rule(8443, 5, [path('/eu/*')], [forward([web, 1])]), unrepresented: [geo] };
    const other = rule(8443, 7, [path('/us/*')], [forward([web, 1])]);
    const lastGood = snapshot(
      [listener(443, [forward([web, 1])]), listener(8443, [forward([web, 1])], [geoRule, other])],
      [web],
    );
    const current = snapshot(
      [
        listener(443, [{ type: 'fixed-response', statusCode: '503' }]),
        listener(8443, [forward([web, 1])], [geoRule]),
      ],
      [web],
    );
    const live = new Map([[web.arn, [lastGood.loadBalancerArn]]]);
    const outcome = planRestore({
      current,
      lastGood,
      health: [],
      attachments: live,
      policy,
    });
    if (outcome.kind !== 'plan') return expect.fail(`expected a plan, got ${JSON.stringify(outcome)}`);
    expect(outcome.plan.steps.map((s) => s.op)).toEqual(['ModifyListener']);
    expect(outcome.plan.steps[0]).toMatchObject({ listenerArn: current.listeners[0]?.arn });
    expect(outcome.plan.leftAlone.map((l) => l.why)).toEqual([
      expect.stringContaining('listener :8443 is guarded read-only'),
    ]);
  });
});

describe('readOnlyWrites, the last check before a plan is returned', () => {
  const geoRule: Rule = { ...rule(8443, 5, [path('/eu/*')], [forward([web, 1])]), unrepresented: [geo] };
  const locked = listener(8443, [forward([web, 1])], [geoRule]);
  const open = listener(443, [forward([web, 1])], [rule(443, 10, [path('/api/*')], [forward([web, 1])])]);
  const s = snapshot([open, locked], [web]);
  const p = pairSnapshots(s, s);
  const readOnly = readOnlyListeners(p);

  it.each<[string, PlanStep, boolean]>([
    ['ModifyRule on its rule', { op: 'ModifyRule', ruleArn: geoRule.arn, conditions: [], actions: [] }, true],
    [
      'SetRulePriorities of its rule',
      { op: 'SetRulePriorities', priorities: [{ ruleArn: geoRule.arn, priority: 6 }] },
      true,
    ],
    [
      'CreateRule on it',
      { op: 'CreateRule', listenerArn: locked.arn, priority: 9, conditions: [], actions: [] },
      true,
    ],
    ['ModifyListener on it', { op: 'ModifyListener', listenerArn: locked.arn, defaultActions: [] }, true],
    [
      'ModifyListener on another listener',
      { op: 'ModifyListener', listenerArn: open.arn, defaultActions: [] },
      false,
    ],
    [
      'RegisterTargets (a target group write)',
      { op: 'RegisterTargets', targetGroupArn: web.arn, targets: [] },
      false,
    ],
  ])('refuses %s: %s', (_what, step, refused) => {
    const why = readOnlyWrites(p, [step], readOnly);
    expect(why === undefined ? 'allowed' : why).toBe(
      refused ? `${readOnlyReason(locked)}; a step would write to it` : 'allowed',
    );
  });

  it('counts a listener added or removed since last known good by its own elements', () => {
    const pairing = pairSnapshots(snapshot([open], [web]), snapshot([open, locked], [web]));
    expect([...readOnlyListeners(pairing).keys()]).toEqual([locked.arn]);
    expect([
      ...readOnlyListeners(pairSnapshots(snapshot([open, locked], [web]), snapshot([open], [web]))).keys(),
    ]).toEqual([locked.arn]);
  });

  it('lists several read-only listeners by port', () => {
    const other = { ...listener(80, [forward([web, 1])]), unrepresented: [geo] };
    expect(findReadOnlyListeners(snapshot([locked, open, other], [web])).map((l) => l.port)).toEqual([
      80, 8443,
    ]);
  });

  it('recreates a removed rule with its transforms, where its listener is writable', () => {
    const withRewrite: Rule = {
      ...rule(443, 20, [path('/v1/*')], [forward([web, 1])]),
      transforms: [urlRewrite],
    };
    const lastGood = snapshot([{ ...open, rules: [...open.rules, withRewrite] }], [web]);
    const current = snapshot([open], [web]);
    const outcome = planRestore({
      current,
      lastGood,
      health: [],
      attachments: new Map([[web.arn, [current.loadBalancerArn]]]),
      policy,
    });
    if (outcome.kind !== 'plan') return expect.fail(outcome.kind);
    expect(outcome.plan.steps).toEqual([
      expect.objectContaining({ op: 'CreateRule', transforms: [urlRewrite] }),
    ]);
    expect(applyPlan(current, outcome.plan.steps).listeners[0]?.rules[1]?.transforms).toEqual([urlRewrite]);
  });
});
