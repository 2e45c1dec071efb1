import { hostname } from 'node:os';
import type { Context } from 'aws-lambda';
import { createPowertoolsApplyOnce } from '../../lambdas/adapters/apply-once.ts';
import { realSleep } from '../../lambdas/adapters/clock.ts';
import type { LoadBalancerWriter } from '../../lambdas/adapters/elbv2/ports.ts';
import { advanceIncident } from '../../lambdas/flows/incidents.ts';
import {
  LOCK_SLACK_SECONDS,
  type RemediateDeps,
  type RemediateOutcome,
  remediate,
} from '../../lambdas/flows/remediate.ts';
import type { LbGuardConfig, ServiceConfig } from '../../lib/config/index.ts';
import { INCIDENT_HISTORY, type Incident, startIncident } from '../../lib/incident.ts';
import { describeStep, type PlanOutcome, planRestore } from '../../lib/plan.ts';
import type { Plan, PlanStep } from '../../lib/types.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { type AwsContext, spin, withServices } from '../context.ts';
import { EXIT, type ExitCode, usageError } from '../exit.ts';
import type { CliIo } from '../io.ts';
import { observeService, type ServiceObservation } from '../observe.ts';
import { type Progress, progressTo } from '../progress.ts';
import type { Renderer } from '../render.ts';
import { type CliRuntime, createCliRuntime } from '../runtime.ts';
import { type DiagnosisView, indent, renderDiagnosis, toDiagnosisView } from '../views.ts';

export interface StepView {
  readonly op: PlanStep['op'];
  readonly description: string;
  readonly step: PlanStep;
}

/** What `--apply` did, from the remediate function's own outcome. */
export interface ApplyView {
  readonly outcome: RemediateOutcome['outcome'] | 'not-started';
  readonly incidentId: string | null;
  readonly applied: readonly string[];
  readonly detail: readonly string[];
}

/** The `--json` shape of one service in `lbguard restore`. */
export interface ServiceRestore {
  readonly service: string;
  /** What planning found: a plan, nothing to do, a plan a guardrail rejected, or no baseline. */
  readonly outcome: PlanOutcome['kind'] | 'no-last-good';
  /** True only when the plan was applied and verified. */
  readonly applied: boolean;
  readonly planHash: string | null;
  readonly steps: readonly StepView[];
  readonly leftAlone: readonly { readonly summary: string; readonly why: string }[];
  readonly rejected: { readonly reason: string; readonly detail: string } | null;
  readonly diagnosis: DiagnosisView;
  readonly apply: ApplyView | null;
}

/** The plan restoring last known good, exactly as the remediate function would re-plan it. */
export function planFor(o: ServiceObservation): PlanOutcome | undefined {
  if (o.lastGood === undefined) return undefined;
  return planRestore({
    current: o.state.snapshot,
    lastGood: o.lastGood.snapshot,
    health: o.state.health,
    attachments: o.state.attachments,
    policy: o.service.remediation,
  });
}

function toRestoreView(o: ServiceObservation, outcome: PlanOutcome | undefined): ServiceRestore {
  const plan: Plan | undefined =
    outcome === undefined || outcome.kind === 'nothing-to-do' ? undefined : outcome.plan;
  const leftAlone =
    outcome === undefined
      ? []
      : outcome.kind === 'nothing-to-do'
        ? outcome.leftAlone
        : outcome.plan.leftAlone;
  return {
    service: o.service.name,
    outcome: outcome?.kind ?? 'no-last-good',
    applied: false,
    planHash: plan?.hash ?? null,
    steps: (plan?.steps ?? []).map((step) => ({
      op: step.op,
      description: describeStep(step, o.state.snapshot),
      step,
    })),
    leftAlone: leftAlone.map((l) => ({ summary: l.drift.summary, why: l.why })),
    rejected: outcome?.kind === 'rejected' ? { reason: outcome.reason, detail: outcome.detail } : null,
    diagnosis: toDiagnosisView(o.diagnosis),
    apply: null,
  };
}

/**
 * Why `--apply` must not run for this service, or undefined when it may. `force` (with its
 * reason) overrides lbguard's judgement that the load balancer is not at fault, and only that:
 * the mode, and the lock, budget and verification on the way, still hold.
 */
export function refuseApply(view: ServiceRestore, service: ServiceConfig, force = false): string | undefined {
  if (service.remediation.mode === 'off') {
    return `remediation.mode is off for ${service.name}: lbguard never changes this load balancer (set it to dry-run or auto in the config)`;
  }
  if (force && !view.diagnosis.lbFault) return undefined;
  if (!view.diagnosis.lbFault) {
    return `the load balancer is not the cause (diagnosis ${view.diagnosis.cause}); restoring its configuration would not help (override with --force --reason TEXT if you know better)`;
  }
  if (!view.diagnosis.remediable) {
    return `restoring last known good cannot fix this ${view.diagnosis.cause}; a human must repair routing`;
  }
  return undefined;
}

/**
 * `--apply` for one service. The operator's approval takes the place of `auto` mode and of
 * `consecutiveBreaches`: the service's incident (the open one, or a new one) is confirmed with
 * the current diagnosis through the incident state machine, whose guardrails (circuit breaker,
 * cooldown) still decide; the remediation it asks for then runs through the remediate function's
 * own `run`: lock, re-plan, idempotent apply, verify.
 */
async function applyRestore(
  io: CliIo,
  aws: AwsContext,
  config: LbGuardConfig,
  o: ServiceObservation,
  cli: CliRuntime,
  say: Progress,
  /** `--force`'s reason, when the operator overrides "the load balancer is not at fault". */
  force?: string,
): Promise<ApplyView> {
  const service = o.service;
  const approved: ServiceConfig = { ...service, remediation: { ...service.remediation, mode: 'auto' } };
  const at = io.now();
  const plan = planFor(o);
  const planned = plan?.kind === 'plan' ? plan.plan : undefined;
  const invoker = cli.invoker;
  invoker.request = undefined;
  // An escalated incident is a human's to close; a forced restore is an incident of its own.
  const open = force !== undefined && o.openIncident?.state === 'escalated' ? undefined : o.openIncident;
  let incident: Incident = open ?? startIncident(service.name, at);
  const by = `restore requested by ${io.user} via lbguard CLI`;
  // The override is the operator's judgement against lbguard's: recorded as such, with the reason,
  // in the incident's diagnosis (its evidence and every notification of it).
  const diagnosis =
    force === undefined || o.diagnosis.lbFault
      ? { ...o.diagnosis, evidence: [by, ...o.diagnosis.evidence] }
      : {
          ...o.diagnosis,
          // A drift lbguard judged harmless is the operator's listener drift now: the incident
          // machinery only acts on an unhealthy cause.
          cause: o.diagnosis.cause === 'healthy' ? ('listener-drift' as const) : o.diagnosis.cause,
          severity: o.diagnosis.severity === 'info' ? ('warning' as const) : o.diagnosis.severity,
          lbFault: true,
          remediable: true,
          summary: `Operator override (--force) by ${io.user}: ${force}. lbguard judged: ${o.diagnosis.summary}`,
          evidence: [`${by} with --force, reason: ${force}`, ...o.diagnosis.evidence],
        };
  if (incident.state === 'mitigating' || incident.state === 'verifying') {
    // Remediation already under way (or crashed half way): the remediate run takes over under its lock.
    invoker.request = {
      kind: 'remediate',
      service: service.name,
      incidentId: incident.id,
      planHash: incident.planHash ?? planned?.hash ?? '0'.repeat(64),
      requestedAt: at,
    };
  } else {
    const history = await aws.store.listIncidents(service.name, INCIDENT_HISTORY);
    const advanced = await advanceIncident(
      cli.inspectDeps,
      incident,
      {
        type: 'observed',
        at,
        diagnosis,
        ...(planned === undefined
          ? {}
          : {
              planHash: planned.hash,
              planSteps: planned.steps.map((s) => describeStep(s, o.state.snapshot)),
            }),
      },
      {
        policy: approved.remediation,
        thresholds: { ...service.thresholds, consecutiveBreaches: 1 },
        previousRemediations: history.filter((i) => i.id !== incident.id).flatMap((i) => i.remediations),
      },
    );
    incident = advanced.incident;
  }
  const request = invoker.request;
  if (request === undefined) {
    const last = incident.timeline.at(-1);
    return {
      outcome: 'not-started',
      incidentId: incident.id,
      applied: [],
      detail: [`incident ${incident.id} is ${incident.state}${last === undefined ? '' : `: ${last.what}`}`],
    };
  }
  const applyOnce = createPowertoolsApplyOnce({ dynamodb: aws.clients.dynamodb, tableName: aws.tableName });
  // Outside Lambda there is no invocation deadline; give the in-progress record the CLI's own
  // bound (the verification deadline plus slack), so a killed CLI does not block a retry for long.
  const budgetMs = (service.remediation.verifyDeadlineSeconds + LOCK_SLACK_SECONDS) * 1000;
  const started = Date.now();
  applyOnce.registerContext?.({
    getRemainingTimeInMillis: () => Math.max(0, budgetMs - (Date.now() - started)),
  } as unknown as Context);
  say(`restore ${service.name}: taking the lock and re-planning (incident ${incident.id})`);
  const outcome = await remediate(
    request,
    cli.remediateDeps({
      config: { ...config, services: config.services.map((s) => (s.name === service.name ? approved : s)) },
      applyOnce,
      lockOwner: `lbguard-cli:${io.user}@${hostname()}:${process.pid}`,
      ...progressHooks(service.name, aws.writer, say),
    }),
  );
  say(`restore ${service.name}: ${outcome.outcome}`);
  return describeOutcome(outcome);
}

/**
 * Remediate's own steps, told as they happen: each ELBv2 write, and each wait between checks of
 * the recovery (a re-registered target stays `initial` for minutes), so `--apply` is never silent.
 */
function progressHooks(
  service: string,
  writer: LoadBalancerWriter,
  say: Progress,
): Pick<RemediateDeps, 'writer' | 'sleep'> {
  return {
    writer: {
      apply: (step) => {
        say(`restore ${service}: applying ${step.op}`);
        return writer.apply(step);
      },
    },
    sleep: (ms) => {
      say(
        `restore ${service}: verifying: not converged yet (configuration and probes), checking again in ${Math.round(ms / 1000)} s`,
      );
      return realSleep(ms);
    },
  };
}

function describeOutcome(outcome: RemediateOutcome): ApplyView {
  const base = { outcome: outcome.outcome, incidentId: outcome.incidentId };
  switch (outcome.outcome) {
    case 'resolved':
      return { ...base, applied: outcome.applied, detail: ['verified: routing restored and probes green'] };
    case 'verification-failed':
      return { ...base, applied: outcome.applied, detail: outcome.evidence };
    case 'failed':
      return { ...base, applied: outcome.applied, detail: [outcome.error] };
    case 'lock-held':
      return { ...base, applied: [], detail: [`another remediation holds the lock (${outcome.heldBy})`] };
    case 'dry-run':
      return { ...base, applied: [], detail: outcome.steps };
    case 'awaiting-approval':
      return { ...base, applied: outcome.applied, detail: [`plan ${outcome.planHash} awaits approval`] };
    case 'disabled':
      return { ...base, applied: [], detail: ['remediation is off for this service'] };
    case 'deferred':
      return {
        ...base,
        applied: [],
        detail: [`a deployment owns this routing now (${outcome.owners.join(', ')}); nothing written`],
      };
    case 'stale':
    case 'refused':
      return { ...base, applied: [], detail: [outcome.reason] };
  }
}

function exitCodeOf(views: readonly ServiceRestore[], apply: boolean): ExitCode {
  if (views.some((v) => v.outcome === 'no-last-good')) return EXIT.usage;
  const settled = views.every((v) => v.outcome === 'nothing-to-do' || (apply && v.applied));
  return settled ? EXIT.ok : EXIT.findings;
}

function renderRestore(render: Renderer, v: ServiceRestore, apply: boolean): string {
  const head = render.paint('bold', `service ${v.service}`);
  const lines = [head];
  switch (v.outcome) {
    case 'no-last-good':
      lines.push(
        `  ${render.paint('warn', 'no last known good recorded yet')}: nothing to restore to.`,
        `  record one when the service is healthy: lbguard snapshot --service ${v.service} --promote`,
      );
      return lines.join('\n');
    case 'nothing-to-do':
      lines.push(`  ${render.mark('ok', 'nothing to restore: routing matches last known good')}`);
      break;
    case 'plan':
    case 'rejected':
      lines.push(`  plan ${v.planHash?.slice(0, 12) ?? ''} (${v.steps.length} step(s)):`);
      lines.push(...v.steps.map((s, i) => `    ${i + 1}. ${s.description}`));
      if (v.rejected !== null) {
        lines.push(
          `  ${render.mark('bad', `rejected by a guardrail (${v.rejected.reason}): ${v.rejected.detail}`)}`,
        );
      }
      break;
  }
  if (v.leftAlone.length > 0) {
    lines.push('  left alone:', ...v.leftAlone.map((l) => `    - ${l.summary}: ${l.why}`));
  }
  if (v.apply !== null) {
    const tone = v.applied ? 'ok' : 'bad';
    lines.push(
      `  ${render.mark(tone, `apply: ${v.apply.outcome}${v.apply.incidentId === null ? '' : ` (incident ${v.apply.incidentId})`}`)}`,
      ...v.apply.applied.map((a) => `    applied: ${a}`),
      ...v.apply.detail.map((d) => `    ${d}`),
    );
  } else if (v.outcome === 'plan' && !apply) {
    lines.push(
      `  ${render.paint('warn', 'dry run: nothing changed.')} Apply with: lbguard restore --service ${v.service} --apply`,
    );
  }
  // After a verified restore the diagnosis describes the state that was just fixed: say so.
  lines.push(
    v.applied ? `  ${render.paint('dim', 'before the restore:')}` : '',
    indent(renderDiagnosis(render, v.diagnosis)),
  );
  return lines.filter((l) => l !== '').join('\n');
}

/**
 * `lbguard restore [--service NAME] [--apply [--yes]]`: the plan that restores last known good,
 * as a dry run by default; `--apply` runs it through the remediate function's guarded path after
 * a confirmation on a terminal (or `--yes`).
 */
export async function restore(ctx: CommandContext): Promise<CommandResult> {
  const { io, options, render } = ctx;
  if (options.apply && !options.yes && !io.stdinIsTTY) {
    throw usageError(
      '--apply changes the load balancer and needs a confirmation, but stdin is not a terminal',
      `add --yes to confirm non-interactively: lbguard restore${options.service === undefined ? '' : ` --service ${options.service}`} --apply --yes`,
    );
  }
  return withServices(ctx, async ({ config, services, aws }) => {
    const at = io.now();
    const observed = await spin(io, 'reading load balancer and planning', () =>
      Promise.all(services.map((s) => observeService(aws, config, s, at))),
    );
    const views = observed.map((o) => toRestoreView(o, planFor(o)));
    const cli = createCliRuntime(aws, config, io, ctx.global.debug);
    const notifier = cli.notifier;
    const say = progressTo(io, ctx.global.json);
    if (options.apply) {
      for (const [i, o] of observed.entries()) {
        const view = views[i];
        if (view === undefined || view.outcome !== 'plan') continue;
        const force = options.force ? options.reason : undefined;
        const refusal = refuseApply(view, o.service, force !== undefined);
        if (refusal !== undefined) {
          views[i] = {
            ...view,
            apply: { outcome: 'not-started', incidentId: null, applied: [], detail: [refusal] },
          };
          continue;
        }
        if (!options.yes) {
          io.stderr.write(`${renderRestore(render, view, false)}\n`);
          const yes = await io.confirm(`Apply ${view.steps.length} step(s) to ${o.service.name}?`);
          if (!yes) {
            views[i] = {
              ...view,
              apply: {
                outcome: 'not-started',
                incidentId: null,
                applied: [],
                detail: ['declined at the prompt'],
              },
            };
            continue;
          }
        }
        const applied = await spin(io, `restoring ${o.service.name} (lock, apply, verify)`, () =>
          applyRestore(io, aws, config, o, cli, say, force),
        );
        views[i] = { ...view, applied: applied.outcome === 'resolved', apply: applied };
      }
    }
    const exitCode = exitCodeOf(views, options.apply);
    return {
      exitCode,
      document: envelope('restore', exitCode, {
        dryRun: !options.apply,
        services: views,
        notifications: notifier.sent.map((n) => ({ service: n.service, subject: n.subject, state: n.state })),
      }),
      text: views.map((v) => renderRestore(render, v, options.apply)).join('\n\n'),
    };
  });
}
