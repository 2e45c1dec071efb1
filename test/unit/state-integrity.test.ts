// lib/state-integrity.ts: what a stored snapshot must be before lbguard builds on it, and what the
// MAC binds; and the diagnosis an integrity failure becomes. The KMS side runs on moto
// (test/integration/state-integrity.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../lib/diagnosis.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import {
  checkStoredSnapshot,
  macMessage,
  type ProtectedItem,
  StateIntegrityError,
} from '../../lib/state-integrity.ts';
import type { Signals, Thresholds } from '../../lib/types.ts';
import { arbSnapshot, healthOf, outageCurrent, outageLastGood, shopTopology } from './fixtures/topologies.ts';

const ITEM = 'last known good of shop';

describe('checkStoredSnapshot', () => {
  it('accepts every snapshot lbguard can take (any topology), as it was stored', () => {
    fc.assert(
      fc.property(arbSnapshot(), (s) => {
        const stored = JSON.parse(JSON.stringify(s)) as unknown;
        expect(checkStoredSnapshot(stored, hashSnapshot(s), ITEM)).toEqual(s);
      }),
    );
    const shop = shopTopology();
    expect(checkStoredSnapshot(JSON.parse(JSON.stringify(shop)), hashSnapshot(shop), ITEM)).toEqual(shop);
  });

  it('refuses a snapshot whose content no longer matches its hash', () => {
    const good = outageLastGood();
    expect(() => checkStoredSnapshot(outageCurrent(), hashSnapshot(good), ITEM)).toThrow(
      /last known good of shop failed its integrity check: its snapshot does not match its recorded hash/,
    );
  });

  it.each([
    ['an unknown field', (s: Record<string, unknown>) => ({ ...s, note: 'x' })],
    ['a listener without actions', (s: Record<string, unknown>) => ({ ...s, listeners: [{ arn: 'x' }] })],
    [
      'a target group ARN of another service',
      (s: Record<string, unknown>) => ({ ...s, loadBalancerArn: 'arn:aws:s3:::bucket' }),
    ],
    ['not an object', () => 'snapshot'],
  ])('refuses %s, naming where', (_name, change) => {
    const s = change(outageLastGood() as unknown as Record<string, unknown>);
    let error: unknown;
    try {
      checkStoredSnapshot(s, 'whatever', ITEM);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateIntegrityError);
    expect((error as StateIntegrityError).problem).toMatch(/^it is not a load-balancer snapshot \(.+: .+\)$/);
  });
});

describe('macMessage', () => {
  const base: ProtectedItem = {
    kind: 'last-good',
    service: 'shop',
    hash: 'a'.repeat(64),
    takenAt: '2026-11-02T10:00:00.000Z',
    promotedAt: '2026-11-02T10:10:00.000Z',
    reason: 'soaked',
  };

  it('binds every part of the identity: change any, and the message changes', () => {
    const variants: ProtectedItem[] = [
      { ...base, kind: 'snapshot' },
      { ...base, service: 'blog' },
      { ...base, hash: 'b'.repeat(64) },
      { ...base, takenAt: '2026-11-02T10:00:01.000Z' },
      { ...base, promotedAt: '2026-11-02T10:10:01.000Z' },
      { ...base, reason: 'operator' },
    ];
    const messages = new Set([base, ...variants].map(macMessage));
    expect(messages.size).toBe(variants.length + 1);
  });

  it('is a fixed size whatever the reason, within what KMS accepts (4 KiB)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10_000 }), (reason) => {
        expect(macMessage({ ...base, reason })).toMatch(/^lbguard-state-mac-v1 [0-9a-f]{64}$/);
      }),
    );
  });
});

describe('an integrity failure in the diagnosis', () => {
  const thresholds: Thresholds = {
    skew: { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 },
    errorRate: 0.05,
    consecutiveBreaches: 3,
    soakSeconds: 600,
  };

  it('is the cause, critical and never remediable, whatever else is wrong with the load balancer', () => {
    const current = outageCurrent();
    const signals: Signals = {
      at: '2026-11-02T10:20:00.000Z',
      service: 'shop',
      snapshot: current,
      health: healthOf(current),
      probes: [],
      stateIntegrity: [{ item: ITEM, problem: 'its MAC does not verify' }],
    };
    const d = diagnose(signals, thresholds);
    expect(d).toMatchObject({
      cause: 'state-integrity',
      severity: 'critical',
      lbFault: false,
      remediable: false,
    });
    expect(d.summary).toMatch(/integrity check \(last known good of shop\)/);
    expect(d.evidence[0]).toBe(
      'state table: the last known good of shop failed its integrity check: its MAC does not verify',
    );
    expect(d.evidence.some((l) => l.includes('lbguard snapshot --promote'))).toBe(true);
  });
});
