/**
 * Diagnosis (DESIGN.md "Diagnosis"): from everything inspect knows at one moment, exactly one
 * root-cause class with evidence lines a human can check, most telling first.
 *
 * The load-balancer classes are tried first because they are the ones lbguard can fix; the
 * non-LB classes are as important, because they are what stops lbguard from "fixing" a load
 * balancer that is not the cause. Deliberate changes are not faults: a reweight that keeps the
 * spread, or targets churned by auto scaling, show up as drift in the evidence of a healthy
 * diagnosis, and only become a cause when they concentrate traffic, empty or halve a routed
 * group, or coincide with customer impact. Traffic concentrated by health rather than by
 * configuration (the single survivor) is its own class and never remediated: re-registering
 * targets or rewriting rules cannot make failing targets pass their health checks.
 *
 * Every diagnosis involving drift names the change behind it: the CloudTrail call, principal,
 * source and time, with the drift it explains (before → after); drift no event explains is dated
 * between the last observation that matched last known good and now. A load-balancer fault the
 * configuration alone settles says why (`decisive`, lib/diagnosis/decisive.ts): it is confirmed
 * without waiting for a second breach.
 */

import { classify, severityOf } from './diagnosis/classify.ts';
import { findDecisiveEvidence } from './diagnosis/decisive.ts';
import { explain, summarise } from './diagnosis/evidence.ts';
import { gatherFacts } from './diagnosis/facts.ts';
import type { Diagnosis, Signals, Thresholds } from './types.ts';

/**
 * Diagnoses the signals of one service at one moment. Pure: the same signals always give the
 * same diagnosis, so a diagnosis can be re-derived under the remediation lock and compared.
 */
export function diagnose(signals: Signals, thresholds: Thresholds): Diagnosis {
  const facts = gatherFacts(signals, thresholds);
  const cause = classify(facts);
  const lbFault =
    cause === 'routing-skew' ||
    cause === 'missing-targets' ||
    cause === 'listener-drift' ||
    cause === 'data-plane-not-following';
  const decisive = findDecisiveEvidence(cause, facts);
  const first = facts.attribution.byChange[0]?.change;
  return {
    cause,
    lbFault,
    // Restoring a configuration the data plane ignores would only write again; and skew seen only
    // in traffic while a write propagates may be the old routing still draining, not the new one.
    remediable:
      lbFault &&
      cause !== 'data-plane-not-following' &&
      !(
        cause === 'routing-skew' &&
        facts.configSkew.length === 0 &&
        signals.dataPlane?.kind === 'converging'
      ) &&
      facts.lastGood !== undefined &&
      facts.drift.some((d) => d.remediable),
    severity: severityOf(cause, facts),
    summary: summarise(cause, facts),
    evidence: dedupe(explain(cause, facts)),
    drift: facts.drift,
    ...(decisive === undefined ? {} : { decisive }),
    ...(first === undefined
      ? {}
      : { firstChange: { at: first.at, eventName: first.eventName, principal: first.principal } }),
  };
}

function dedupe(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}
