import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { loadOptionalConfig, spin, withAws } from '../context.ts';
import { EXIT } from '../exit.ts';

/**
 * `lbguard init [--table NAME]`: creates the state table with the key design the stack uses
 * (the same `createStateTable` the tests use). Idempotent: an existing table is kept.
 */
export async function init(ctx: CommandContext): Promise<CommandResult> {
  const { io, global, render } = ctx;
  const config = await loadOptionalConfig(io, global);
  return withAws(
    ctx,
    config,
    async (aws) => {
      await spin(io, `creating table ${aws.tableName}`, () =>
        createStateTable(aws.clients.dynamodb, aws.tableName),
      );
      const where = [aws.region, aws.endpoint].filter((x) => x !== undefined).join(' at ');
      return {
        exitCode: EXIT.ok,
        document: envelope('init', EXIT.ok, {
          tableName: aws.tableName,
          region: aws.region ?? null,
          endpoint: aws.endpoint ?? null,
        }),
        text: [
          render.mark(
            'ok',
            `state table ${render.paint('bold', aws.tableName)} is ready${where === '' ? '' : ` (${where})`}`,
          ),
          'Next: lbguard snapshot --promote   (record the current routing as last known good)',
        ].join('\n'),
      };
    },
    { stateTable: false },
  );
}
