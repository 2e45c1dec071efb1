import { readServiceState } from '../../lambdas/flows/read-service.ts';
import type { LbGuardConfig, ServiceConfig } from '../../lib/config/index.ts';
import { diagnose } from '../../lib/diagnosis.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import { StateIntegrityError } from '../../lib/state-integrity.ts';
import type { StoredSnapshot } from '../../lib/types.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { type AwsContext, spin, withServices } from '../context.ts';
import { EXIT } from '../exit.ts';
import { observeService } from '../observe.ts';
import type { Renderer } from '../render.ts';
import { type DiagnosisView, indent, renderDiagnosis, toDiagnosisView } from '../views.ts';

export type PromotionView =
  | { readonly outcome: 'not-requested' }
  | { readonly outcome: 'promoted'; readonly forced: boolean; readonly reason: string }
  | { readonly outcome: 'refused'; readonly why: string };

/** The `--json` shape of one service in `lbguard snapshot`. */
export interface ServiceSnapshot {
  readonly service: string;
  readonly hash: string;
  readonly takenAt: string;
  /** Whether it equalled last known good before this command ran. */
  readonly sameAsLastGood: boolean;
  /** Present when --promote was given: the diagnosis the decision rested on. */
  readonly diagnosis: DiagnosisView | null;
  readonly promotion: PromotionView;
}

/** The reason recorded with a promotion: who, how, on what grounds. */
export function promotionReason(input: {
  readonly user: string;
  readonly cause: string;
  readonly forced: boolean;
  readonly reason?: string;
}): string {
  const why = input.reason === undefined || input.reason.trim() === '' ? '' : `: ${input.reason.trim()}`;
  return input.forced
    ? `forced by ${input.user} via lbguard CLI while the diagnosis was ${input.cause}${why}`
    : `promoted by ${input.user} via lbguard CLI; diagnosis healthy${why}`;
}

async function snapshotService(
  ctx: CommandContext,
  aws: AwsContext,
  config: LbGuardConfig,
  service: ServiceConfig,
  at: string,
): Promise<ServiceSnapshot> {
  const { options, io } = ctx;
  if (!options.promote) {
    // A last good that fails its check is not compared with (nor planned from): the snapshot is
    // recorded all the same.
    const lastGood = await aws.store.getLastGood(service.name).catch((error: unknown) => {
      if (error instanceof StateIntegrityError) return undefined;
      throw error;
    });
    const state = await readServiceState(aws.reader, service, lastGood?.snapshot);
    const stored: StoredSnapshot = {
      hash: hashSnapshot(state.snapshot),
      takenAt: at,
      snapshot: state.snapshot,
    };
    await aws.store.putSnapshot(service.name, stored);
    return {
      service: service.name,
      hash: stored.hash,
      takenAt: at,
      sameAsLastGood: lastGood?.hash === stored.hash,
      diagnosis: null,
      promotion: { outcome: 'not-requested' },
    };
  }
  const observed = await observeService(aws, config, service, at);
  const stored: StoredSnapshot = {
    hash: hashSnapshot(observed.state.snapshot),
    takenAt: at,
    snapshot: observed.state.snapshot,
  };
  await aws.store.putSnapshot(service.name, stored);
  // Re-promoting is how an operator recovers from a last good that failed its integrity check:
  // the promotion is judged on the load balancer as it is, and the reason records what it replaces.
  const integrity = observed.signals.stateIntegrity ?? [];
  const diagnosis =
    integrity.length === 0
      ? observed.diagnosis
      : diagnose({ ...observed.signals, stateIntegrity: [] }, service.thresholds);
  const cause = diagnosis.cause;
  const healthy = cause === 'healthy';
  const base = {
    service: service.name,
    hash: stored.hash,
    takenAt: at,
    sameAsLastGood: observed.lastGood?.hash === stored.hash,
    diagnosis: toDiagnosisView(observed.diagnosis),
  };
  if (!healthy && !options.force) {
    return {
      ...base,
      promotion: {
        outcome: 'refused',
        why: `the diagnosis is ${cause}, not healthy: ${diagnosis.summary}`,
      },
    };
  }
  const replaced = integrity.map(
    (x) => `replaces the ${x.item}, which failed its integrity check (${x.problem})`,
  );
  const given = [options.reason, ...replaced].filter((x) => x !== undefined && x.trim() !== '').join('; ');
  const reason = promotionReason({
    user: io.user,
    cause,
    forced: !healthy,
    ...(given === '' ? {} : { reason: given }),
  });
  await aws.store.promoteLastGood(service.name, stored, reason, at);
  return { ...base, promotion: { outcome: 'promoted', forced: !healthy, reason } };
}

function renderSnapshot(render: Renderer, s: ServiceSnapshot): string {
  const lines = [
    `${render.paint('bold', `service ${s.service}`)}: recorded snapshot ${s.hash.slice(0, 12)} at ${s.takenAt}${s.sameAsLastGood ? render.paint('dim', ' (already last known good)') : ''}`,
  ];
  switch (s.promotion.outcome) {
    case 'not-requested':
      break;
    case 'promoted':
      lines.push(
        `  ${render.mark(s.promotion.forced ? 'warn' : 'ok', `promoted to last known good${s.promotion.forced ? ' (forced)' : ''}`)}`,
        `    reason: ${s.promotion.reason}`,
      );
      break;
    case 'refused':
      lines.push(
        `  ${render.mark('bad', `not promoted: ${s.promotion.why}`)}`,
        `    fix the service first (lbguard status), or override with a recorded reason:`,
        `    lbguard snapshot --service ${s.service} --promote --force --reason "why this is good"`,
      );
      break;
  }
  if (s.diagnosis !== null && s.promotion.outcome === 'refused') {
    lines.push(indent(renderDiagnosis(render, s.diagnosis)));
  }
  return lines.join('\n');
}

/**
 * `lbguard snapshot [--service NAME] [--promote [--force --reason TEXT]]`: records the current
 * configuration; with --promote makes it last known good when the diagnosis is healthy now, or
 * with --force whatever the diagnosis, recording who and why. Exit 1 when a promotion is refused.
 */
export async function snapshot(ctx: CommandContext): Promise<CommandResult> {
  const { io, options, render } = ctx;
  return withServices(ctx, async ({ config, services, aws }) => {
    const at = io.now();
    const results = await spin(io, options.promote ? 'diagnosing and recording' : 'recording', () =>
      Promise.all(services.map((s) => snapshotService(ctx, aws, config, s, at))),
    );
    const exitCode = results.some((r) => r.promotion.outcome === 'refused') ? EXIT.findings : EXIT.ok;
    return {
      exitCode,
      document: envelope('snapshot', exitCode, { services: results }),
      text: results.map((r) => renderSnapshot(render, r)).join('\n\n'),
    };
  });
}
