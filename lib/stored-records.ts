/**
 * The shape every other record read back from the state table must have before lbguard uses it
 * (incidents, probe evidence, changes, the soak marker, probe hysteresis): nothing read from its
 * own table is trusted unchecked. Snapshots and last known good have more (lib/state-integrity.ts:
 * a MAC). A record that does not parse is a `StateIntegrityError` naming it: the invocation fails
 * loudly rather than act on it.
 */
import * as z from 'zod/mini';
import type { ProbeHysteresisStates } from './hysteresis.ts';
import type { Incident } from './incident.ts';
import type { SoakMarker } from './last-good.ts';
import { parseStored } from './state-integrity.ts';
import type { ConfigChange, ProbeResult, ServedBySample } from './types.ts';

const text = z.string();
const texts = z.array(z.string());
const count = z.number().check(z.gte(0));

const probeResult = z.object({
  service: text,
  probe: text,
  at: text,
  ok: z.boolean(),
  totalMs: count,
  steps: z.array(
    z.object({
      name: text,
      url: text,
      method: text,
      ok: z.boolean(),
      status: z.optional(z.number()),
      latencyMs: count,
      error: z.optional(text),
      failures: texts,
      servedBy: z.optional(text),
    }),
  ),
});

const servedBySample = z.object({ service: text, at: text, counts: z.record(z.string(), count) });

const configChange = z.object({
  eventName: text,
  principal: text,
  principalArn: z.optional(text),
  sourceIp: z.optional(text),
  invokedBy: z.optional(text),
  userAgent: z.optional(text),
  sessionIssuerArn: z.optional(text),
  at: text,
  resources: texts,
});

const soak = z.object({ hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)), since: text });

const hysteresis = z.record(
  z.string(),
  z.object({
    status: z.enum(['passing', 'failing']),
    window: z.array(z.boolean()),
    consecutiveFailures: count,
    consecutiveSuccesses: count,
    changes: texts,
    flappingSince: z.optional(text),
    lastAt: z.optional(text),
  }),
);

const incident = z.object({
  id: text,
  service: text,
  state: z.enum(['ok', 'suspected', 'confirmed', 'mitigating', 'verifying', 'resolved', 'escalated']),
  openedAt: text,
  updatedAt: text,
  closedAt: z.optional(text),
  // The diagnosis is what people read; what lbguard acts on is its cause and whether it may fix it.
  diagnosis: z.optional(
    z.looseObject({
      cause: text,
      lbFault: z.boolean(),
      remediable: z.boolean(),
      severity: z.enum(['info', 'warning', 'critical']),
      summary: text,
      evidence: texts,
      drift: z.array(z.unknown()),
    }),
  ),
  breaches: count,
  planHash: z.optional(text),
  planSteps: z.optional(texts),
  remediations: texts,
  timeline: z.array(z.object({ at: text, from: text, to: text, what: text, evidence: texts })),
  deferral: z.optional(z.object({ owners: texts, since: text, lastCheckedAt: text })),
  approval: z.optional(
    z.object({
      planHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
      snapshotHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
      askedAt: text,
      expiresAt: text,
      steps: texts,
      remindedAt: z.optional(text),
      escalatedAt: z.optional(text),
      approvedBy: z.optional(text),
      approvedAt: z.optional(text),
    }),
  ),
});

function checked<T>(schema: z.ZodMiniType, value: unknown, item: string): T {
  return parseStored<T>(schema, value, item, 'a valid record');
}

export const checkRecord = {
  incident: (v: unknown, item: string) => checked<Incident>(incident, v, item),
  probeResult: (v: unknown, item: string) => checked<ProbeResult>(probeResult, v, item),
  servedBySample: (v: unknown, item: string) => checked<ServedBySample>(servedBySample, v, item),
  configChange: (v: unknown, item: string) => checked<ConfigChange>(configChange, v, item),
  soak: (v: unknown, item: string) => checked<SoakMarker>(soak, v, item),
  hysteresis: (v: unknown, item: string) => checked<ProbeHysteresisStates>(hysteresis, v, item),
};
