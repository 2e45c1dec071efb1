import type { Incident, IncidentEvent, TransitionResult } from './types/incident.ts';

/**
 * The change's CloudTrail event reached inspect after the incident was confirmed (a scheduled
 * inspection saw the drift first, within the event's delivery delay): the incident's diagnosis
 * takes the later one, which names who changed what, once, and says so in the timeline, so the
 * record and the postmortem carry the attribution. Only for the same cause; no state change and
 * no page: remediation is already under way or a person already owns it.
 */
export function attributeLate(
  incident: Incident,
  event: Extract<IncidentEvent, { type: 'observed' }>,
): TransitionResult {
  const known = incident.diagnosis;
  const late = event.diagnosis.firstChange;
  if (
    known === undefined ||
    late === undefined ||
    known.firstChange !== undefined ||
    known.cause !== event.diagnosis.cause
  ) {
    return { incident, effects: [] };
  }
  const entry = {
    at: event.at,
    from: incident.state,
    to: incident.state,
    what: `Attributed: ${late.eventName} by ${late.principal} at ${late.at} (its CloudTrail event arrived after detection)`,
    evidence: [],
  };
  return {
    incident: {
      ...incident,
      diagnosis: { ...known, evidence: event.diagnosis.evidence, firstChange: late },
      updatedAt: event.at,
      timeline: [...incident.timeline, entry],
    },
    effects: [],
  };
}
