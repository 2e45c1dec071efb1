import { createStateKey, createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { type CommandContext, type CommandResult, envelope } from '../command.ts';
import { loadOptionalConfig, spin, withAws } from '../context.ts';
import { EXIT } from '../exit.ts';

/**
 * `lbguard init [--table NAME]`: creates the state table with the key design the stack uses and
 * its state key (the same `createStateTable` and `createStateKey` the tests use). Idempotent: an
 * existing table and key are kept.
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
      // The key that vouches for snapshots and last known good, under the alias the CLI looks for.
      const stateKeyArn = await spin(io, 'creating its state key', () =>
        createStateKey(aws.clients.kms, aws.tableName),
      );
      const where = [aws.region, aws.endpoint].filter((x) => x !== undefined).join(' at ');
      return {
        exitCode: EXIT.ok,
        document: envelope('init', EXIT.ok, {
          tableName: aws.tableName,
          stateKeyArn,
          region: aws.region ?? null,
          endpoint: aws.endpoint ?? null,
        }),
        text: [
          render.mark(
            'ok',
            `state table ${render.paint('bold', aws.tableName)} is ready${where === '' ? '' : ` (${where})`}`,
          ),
          render.mark('ok', `state key ${stateKeyArn} (alias/lbguard/${aws.tableName})`),
          'Next: lbguard snapshot --promote   (record the current routing as last known good)',
        ].join('\n'),
      };
    },
    { stateTable: false },
  );
}
