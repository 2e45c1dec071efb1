import { readServiceState } from '../../lambdas/flows/read-service.ts';
import { diffSnapshots } from '../../lib/drift.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { spin, withServices } from '../context.ts';
import { EXIT, type ExitCode } from '../exit.ts';
import {
  type DriftView,
  indent,
  type LastGoodView,
  renderDrift,
  toDriftView,
  toLastGoodView,
} from '../views.ts';

/** The `--json` shape of one service in `lbguard diff`. */
export interface ServiceDiff {
  readonly service: string;
  readonly snapshotHash: string;
  /** Null when none has been promoted yet; `drift` is then empty and the exit code 2. */
  readonly lastGood: LastGoodView | null;
  readonly drift: readonly DriftView[];
}

/**
 * `lbguard diff [--service NAME]`: current configuration against last known good, as the typed
 * drift of `lib/drift`. Exit 1 when anything drifted, 2 when there is no last known good yet.
 */
export async function diff(ctx: CommandContext): Promise<CommandResult> {
  const { io, render } = ctx;
  return withServices(ctx, async ({ services, aws }) => {
    const diffs = await spin(io, 'reading load balancer', () =>
      Promise.all(
        services.map(async (s): Promise<ServiceDiff> => {
          const lastGood = await aws.store.getLastGood(s.name);
          const state = await readServiceState(aws.reader, s, lastGood?.snapshot);
          return {
            service: s.name,
            snapshotHash: hashSnapshot(state.snapshot),
            lastGood: toLastGoodView(lastGood),
            drift:
              lastGood === undefined ? [] : diffSnapshots(state.snapshot, lastGood.snapshot).map(toDriftView),
          };
        }),
      ),
    );
    const exitCode: ExitCode = diffs.some((d) => d.lastGood === null)
      ? EXIT.usage
      : diffs.some((d) => d.drift.length > 0)
        ? EXIT.findings
        : EXIT.ok;
    const text = diffs
      .map((d) => {
        const head = render.paint('bold', `service ${d.service}`);
        if (d.lastGood === null) {
          return `${head}\n  ${render.paint('warn', 'no last known good recorded yet')}; record one when the service is healthy:\n    lbguard snapshot --service ${d.service} --promote`;
        }
        return `${head}  ${render.paint('dim', `current ${d.snapshotHash.slice(0, 12)} vs last known good ${d.lastGood.hash.slice(0, 12)} (${d.lastGood.promotedAt})`)}\n${indent(renderDrift(render, d.drift))}`;
      })
      .join('\n\n');
    return { exitCode, document: envelope('diff', exitCode, { services: diffs }), text };
  });
}
