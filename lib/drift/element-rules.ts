/**
 * Drift rules about listener and rule elements beyond conditions and actions (LBG-D14 to
 * LBG-D16): rule transforms, listener settings that decide which requests are served, and
 * elements lbguard cannot represent.
 */
import { canonicalJson, describeListener, describeTransforms } from '../snapshot.ts';
import type { Listener, Rule, RuleTransform } from '../types.ts';
import { defineRule, ruleLabel } from './define-rule.ts';

/** `url-rewrite ^/a/(.*)$ → /$1 → none` for each transform type whose rewrites differ. */
function transformChanges(before: Rule, now: Rule): string[] {
  const of = (r: Rule, type: RuleTransform['type']) => (r.transforms ?? []).filter((t) => t.type === type);
  return (['host-header-rewrite', 'url-rewrite'] as const).flatMap((type) => {
    const was = of(before, type);
    const is = of(now, type);
    if (canonicalJson(was) === canonicalJson(is)) return [];
    const rewrites = (t: readonly RuleTransform[]) => describeTransforms(t).replace(`${type} `, '');
    return [`${type} changed from ${rewrites(was)} to ${rewrites(is)}`];
  });
}

export const ruleTransformsChanged = defineRule(
  'LBG-D14',
  'rule-transforms-changed',
  "A rule's transforms (host-header-rewrite, url-rewrite) changed: the request its targets see is rewritten differently.",
  (p) =>
    p.rules.flatMap((r) => {
      const changes = transformChanges(r.lastGood, r.current);
      if (changes.length === 0) return [];
      return [
        {
          listenerArn: r.listener.current.arn,
          ruleArn: r.current.arn,
          summary: `${ruleLabel(r.listener.current, r.lastGood)}: ${changes.join('; ')}`,
          before: r.lastGood.transforms ?? [],
          after: r.current.transforms ?? [],
          remediable: true,
        },
      ];
    }),
);

function mtls(l: Listener): string {
  const m = l.mutualAuthentication;
  if (m === undefined) return 'off';
  return [m.mode, m.trustStoreArn, m.ignoreClientCertificateExpiry === true ? 'ignoring expiry' : undefined]
    .filter((x) => x !== undefined)
    .join(' ');
}

export const listenerSettingsChanged = defineRule(
  'LBG-D15',
  'listener-settings-changed',
  'A listener setting that decides which requests are served changed (mutual TLS mode or trust store); reported, not planned.',
  (p) =>
    p.listeners
      .filter((l) => mtls(l.current) !== mtls(l.lastGood))
      .map((l) => ({
        listenerArn: l.current.arn,
        summary: `${describeListener(l.current)} mutual TLS ${mtls(l.lastGood)} → ${mtls(l.current)}`,
        before: l.lastGood.mutualAuthentication ?? 'off',
        after: l.current.mutualAuthentication ?? 'off',
        remediable: false,
      })),
);

const unrepresentedOf = (x: Listener | Rule) => canonicalJson(x.unrepresented ?? []);

export const unrepresentedChanged = defineRule(
  'LBG-D16',
  'unrepresented-changed',
  'An element lbguard cannot represent (kept verbatim) appeared, changed or went away; its listener is guarded read-only.',
  (p) => [
    ...p.listeners
      .filter((l) => unrepresentedOf(l.current) !== unrepresentedOf(l.lastGood))
      .map((l) => ({
        listenerArn: l.current.arn,
        summary: `${describeListener(l.current)} default action: ${elementChange(l.lastGood, l.current)}`,
        before: l.lastGood.unrepresented ?? [],
        after: l.current.unrepresented ?? [],
        remediable: false,
      })),
    ...p.rules
      .filter((r) => unrepresentedOf(r.current) !== unrepresentedOf(r.lastGood))
      .map((r) => ({
        listenerArn: r.listener.current.arn,
        ruleArn: r.current.arn,
        summary: `${ruleLabel(r.listener.current, r.lastGood)}: ${elementChange(r.lastGood, r.current)}`,
        before: r.lastGood.unrepresented ?? [],
        after: r.current.unrepresented ?? [],
        remediable: false,
      })),
  ],
);

function elementChange(before: Listener | Rule, now: Listener | Rule): string {
  const names = (x: Listener | Rule) => (x.unrepresented ?? []).map((u) => u.element).join(', ') || 'none';
  return `element(s) lbguard cannot represent ${names(before)} → ${names(now)}`;
}
