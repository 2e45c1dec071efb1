/**
 * Evidence that settles a load-balancer fault at the first look (issue 16, "faster on unambiguous
 * evidence"). Probes, observed shares and error rates are noisy and keep their hysteresis
 * (`consecutiveBreaches`). The configuration is not: read again a minute later it says the same,
 * so waiting for a second breach only lengthens the outage. Two shapes are decisive, both judged
 * on the routing model without health (what the configuration sends where), never on traffic:
 *
 * - a route that last known good spread over N targets now reaches fewer than N/2 of them (the
 *   seed outage: 100/0 to web-a with three of four targets deregistered reaches 1 of 4; a forward
 *   to an empty group or a fixed 503 reaches none);
 * - a group that carries traffic has fewer than half the targets it had in last known good
 *   (emptied included: ALB answers its share with 503).
 *
 * Not decisive, so confirmed only after `consecutiveBreaches` if at all: a blue/green switch to a
 * group as large, a reweight, a new rule, a scale-in of a few targets, a forward that drops one
 * of two equal groups (half the reach, a deliberate drain as often as a mistake), a route that
 * now redirects (traffic sent on, not dropped), and anything seen only in traffic or probes.
 */
import { detectConfigSkew } from '../routing.ts';
import type { RootCause } from '../types.ts';
import type { Facts } from './facts.ts';

/** A group taking less than this share of a route is a sliver (a weight-1 canary), not decisive. */
const SLIVER = 0.01;

/**
 * Why the configuration alone confirms `cause`, or undefined when it does not (then hysteresis
 * decides). Only load-balancer faults with a last known good can be decisive: the rule compares
 * against it, and a cause outside the configuration is never confirmed on the configuration.
 */
export function findDecisiveEvidence(cause: RootCause, f: Facts): string | undefined {
  const lbFault = cause === 'routing-skew' || cause === 'missing-targets' || cause === 'listener-drift';
  if (!lbFault || f.configBefore === undefined) return undefined;
  for (const finding of detectConfigSkew(f.configNow, f.configBefore)) {
    const route = f.configNow.routes.find(
      (r) => r.listenerArn === finding.listenerArn && r.ruleArn === finding.ruleArn,
    );
    if (route?.shares.some((s) => s.destination.kind === 'redirect')) continue;
    if (finding.targetsNow * 2 < finding.targetsBefore) {
      const where =
        finding.priority === 'default'
          ? `listener :${finding.listenerPort} default action`
          : `listener :${finding.listenerPort} rule ${finding.priority}`;
      return `${where} reaches ${finding.targetsNow} of the ${finding.targetsBefore} targets last known good spread it over`;
    }
  }
  for (const g of f.groups) {
    const before = g.registeredBefore;
    if (before !== undefined && g.share >= SLIVER && g.registered * 2 < before) {
      return `target group ${g.name} keeps ${g.registered} of its ${before} last-known-good targets and still takes traffic`;
    }
  }
  return undefined;
}
