/**
 * Drift rules about listener and rule elements beyond conditions and actions (LBG-D14 to
 * LBG-D16): rule transforms, mutual TLS (it decides which requests are served), and elements
 * lbguard cannot represent.
 */
import { canonicalJson, describeListener, describeTransforms } from '../snapshot.ts';
import type { Listener, Rule } from '../types.ts';
import { defineRule, ruleLabel } from './define-rule.ts';
import type { ListenerPair, RulePair } from './pairing.ts';

/** `url-rewrite changed from ^/a/(.*)$ → /$1 to none`, for each transform type whose rewrites differ. */
function transformChanges(before: Rule, now: Rule): string[] {
  return (['host-header-rewrite', 'url-rewrite'] as const).flatMap((type) => {
    const [was, is] = [before, now].map((r) =>
      describeTransforms(r.transforms?.filter((t) => t.type === type)).replace(`${type} `, ''),
    );
    return was === is ? [] : [`${type} changed from ${was} to ${is}`];
  });
}

export const ruleTransformsChanged = defineRule(
  'LBG-D14',
  'rule-transforms-changed',
  "A rule's transforms changed.",
  (p) =>
    p.rules.flatMap((r) => {
      const changes = transformChanges(r.lastGood, r.current);
      return changes.length === 0
        ? []
        : [
            {
              ...ruleRef(r),
              summary: `${ruleLabel(r.listener.current, r.lastGood)}: ${changes.join('; ')}`,
              before: r.lastGood.transforms ?? [],
              after: r.current.transforms ?? [],
              remediable: true,
            },
          ];
    }),
);

/** `verify arn:…:truststore/x ignoring expiry`, or `off`. */
function mtls(l: Listener): string {
  const m = l.mutualAuthentication;
  if (m === undefined) return 'off';
  return [m.mode, m.trustStoreArn, m.ignoreClientCertificateExpiry ? 'ignoring expiry' : undefined]
    .filter((x) => x !== undefined)
    .join(' ');
}

export const listenerSettingsChanged = defineRule(
  'LBG-D15',
  'listener-settings-changed',
  "A listener's mutual TLS changed (reported, not planned).",
  (p) =>
    p.listeners
      .filter((l) => mtls(l.current) !== mtls(l.lastGood))
      .map((l) => ({
        listenerArn: l.current.arn,
        summary: `${describeListener(l.current)} mutual TLS ${mtls(l.lastGood)} → ${mtls(l.current)}`,
        before: mtls(l.lastGood),
        after: mtls(l.current),
        remediable: false,
      })),
);

function ruleRef(r: RulePair) {
  return { listenerArn: r.listener.current.arn, ruleArn: r.current.arn };
}

/** Names of the unrepresented elements of a listener's default actions or of a rule. */
const names = (x: Listener | Rule) => (x.unrepresented ?? []).map((u) => u.element).join(', ') || 'none';

export const unrepresentedChanged = defineRule(
  'LBG-D16',
  'unrepresented-changed',
  'An element lbguard cannot represent changed; its listener is read-only.',
  (p) =>
    [
      ...p.listeners.map((l: ListenerPair) => ({
        ref: { listenerArn: l.current.arn },
        where: `${describeListener(l.current)} default action`,
        pair: [l.lastGood, l.current] as const,
      })),
      ...p.rules.map((r) => ({
        ref: ruleRef(r),
        where: ruleLabel(r.listener.current, r.lastGood),
        pair: [r.lastGood, r.current] as const,
      })),
    ]
      .filter(({ pair: [was, is] }) => canonicalJson(was.unrepresented) !== canonicalJson(is.unrepresented))
      .map(({ ref, where, pair: [was, is] }) => ({
        ...ref,
        summary: `${where}: element(s) lbguard cannot represent ${names(was)} → ${names(is)}`,
        before: was.unrepresented ?? [],
        after: is.unrepresented ?? [],
        remediable: false,
      })),
);
