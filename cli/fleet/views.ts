/**
 * The `--json` shape and the text of the fleet commands: one line per account and region, then
 * one per guarded service and one per load balancer whose tags could not be used.
 */
import type { EnrolmentSource } from '../../lib/fleet/index.ts';
import type { Renderer } from '../render.ts';
import type { FailedStage, FleetReport, ScopeReport } from './fan-out.ts';

export type FleetServiceView<V> =
  | ({ readonly service: string; readonly loadBalancerArn: string; readonly source: EnrolmentSource } & {
      readonly status: 'read';
    } & V)
  | {
      readonly service: string;
      readonly loadBalancerArn: string;
      readonly source: EnrolmentSource;
      readonly status: 'failed';
      readonly error: string;
    };

export type FleetScopeView<V> =
  | {
      readonly account: string;
      readonly region: string;
      readonly status: 'read';
      readonly services: readonly FleetServiceView<V>[];
      readonly ignored: readonly { readonly loadBalancerArn: string; readonly reason: string }[];
      readonly tagErrors: readonly {
        readonly loadBalancerArn: string;
        readonly loadBalancerName: string;
        readonly code: string;
        readonly message: string;
      }[];
    }
  | {
      readonly account: string;
      readonly region: string;
      readonly status: 'failed';
      readonly stage: FailedStage;
      readonly error: string;
    };

/** The `--json` body of a fleet command: `{ accounts, regions, scopes }`. */
export interface FleetView<V> {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly scopes: readonly FleetScopeView<V>[];
}

/** Turns the fan-out's report into the `--json` shape, `toView` giving each service's own fields. */
export function toFleetView<R, V extends object>(
  report: FleetReport<R>,
  toView: (result: R) => V,
): FleetView<V> {
  return {
    accounts: report.accounts,
    regions: report.regions,
    scopes: report.scopes.map((scope): FleetScopeView<V> => {
      if (scope.status === 'failed') return scope;
      return {
        account: scope.account,
        region: scope.region,
        status: 'read',
        services: scope.services.map((s): FleetServiceView<V> => {
          const base = { service: s.service, loadBalancerArn: s.loadBalancerArn, source: s.source };
          return s.outcome.status === 'read'
            ? { ...base, status: 'read', ...toView(s.outcome.result) }
            : { ...base, status: 'failed', error: s.outcome.error };
        }),
        ignored: scope.enrolment.ignored,
        tagErrors: scope.enrolment.errors.map((e) => ({
          loadBalancerArn: e.loadBalancerArn,
          loadBalancerName: e.loadBalancerName,
          code: e.error.code,
          message: e.error.message,
        })),
      };
    }),
  };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function scopeHeadline(render: Renderer, scope: ScopeReport<unknown>): string {
  const where = render.paint('bold', `${scope.account} ${scope.region}`);
  if (scope.status === 'failed') {
    return render.mark('bad', `${where}  ${render.paint('bad', `failed at ${scope.stage}`)}: ${scope.error}`);
  }
  const { services, ignored, errors } = scope.enrolment;
  const counts = [
    plural(services.length, 'guarded service'),
    ...(['untagged', 'opted-out'] as const)
      .map((reason) => [reason, ignored.filter((i) => i.reason === reason).length] as const)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${n} ${reason}`),
    ...(errors.length === 0 ? [] : [render.paint('bad', plural(errors.length, 'tag error'))]),
  ];
  const failing = scope.services.some((s) => s.outcome.status === 'failed');
  return render.mark(errors.length > 0 || failing ? 'warn' : 'ok', `${where}  ${counts.join(', ')}`);
}

/**
 * The text of a fleet command: per account and region a headline, its services (each rendered
 * by `line`, with its findings beneath, or the error that stopped it) and its tag errors; then
 * one summary line.
 */
export function renderFleet<R>(
  render: Renderer,
  report: FleetReport<R>,
  line: (result: R) => {
    readonly tone: 'ok' | 'warn' | 'bad';
    readonly text: string;
    /** Lines under the service's (the findings), already rendered. */
    readonly details?: readonly string[];
  },
): string {
  const lines: string[] = [];
  for (const scope of report.scopes) {
    lines.push(scopeHeadline(render, scope));
    if (scope.status === 'failed') continue;
    for (const s of scope.services) {
      const name = render.paint('bold', s.service);
      const from = render.paint(
        'dim',
        s.source.kind === 'config'
          ? '(services[])'
          : `(tags${s.source.profile === undefined ? '' : `, profile ${s.source.profile}`})`,
      );
      if (s.outcome.status === 'failed') {
        lines.push(`  ${render.mark('bad', `${name} ${from}  could not be read: ${s.outcome.error}`)}`);
      } else {
        const { tone, text, details = [] } = line(s.outcome.result);
        lines.push(`  ${render.mark(tone, `${name} ${from}  ${text}`)}`);
        for (const detail of details) lines.push(detail.replace(/^/gm, '    '));
      }
    }
    for (const e of scope.enrolment.errors) {
      lines.push(
        `  ${render.mark('bad', `${render.paint('bold', e.loadBalancerName)}  not guarded: ${e.error.message}`)}`,
      );
    }
  }
  const failed = report.scopes.filter((s) => s.status === 'failed').length;
  const guarded = report.scopes.reduce(
    (n, s) => n + (s.status === 'read' ? s.enrolment.services.length : 0),
    0,
  );
  lines.push(
    '',
    `fleet: ${plural(report.accounts.length, 'account')} × ${plural(report.regions.length, 'region')}, ${plural(guarded, 'guarded service')}${failed === 0 ? '' : `; ${render.paint('bad', `${failed} account/region${failed === 1 ? '' : 's'} could not be read`)}`}`,
  );
  return lines.join('\n');
}
