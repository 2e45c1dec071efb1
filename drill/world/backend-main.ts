import { type BackendCommand, type BackendMessage, type BackendOptions, startBackend } from './backend.ts';

// Entry point of one backend process: `node drill/world/backend-main.ts '<BackendOptions JSON>'`.
// Runs under Node's built-in type stripping, so it starts without a TypeScript loader.
// Exit codes: 0 when told to stop or orphaned, 70 when it falls over (crash or overload).

const FELL_OVER = 70;

function tell(message: BackendMessage): void {
  process.send?.(message);
}

const raw = process.argv[2];
if (raw === undefined) {
  process.stderr.write('usage: backend-main.ts <options-json>\n');
  process.exit(2);
}
const opts = JSON.parse(raw) as BackendOptions;

const backend = await startBackend(opts, (reason) => {
  process.stderr.write(`backend ${opts.id} falling over: ${reason}\n`);
  // Like a process killed by the OOM killer: in-flight requests die with it. The message to
  // the supervisor is flushed first, with a bound in case the channel is gone.
  const exit = (): never => process.exit(FELL_OVER);
  setTimeout(exit, 200);
  if (process.send)
    process.send({ type: 'falling-over', id: opts.id, reason } satisfies BackendMessage, exit);
  else exit();
});

process.on('message', (msg: BackendCommand) => {
  switch (msg.type) {
    case 'mode':
      backend.setMode(msg.mode);
      break;
    case 'tune':
      backend.tune(msg.tuning);
      break;
  }
});
// An orphaned backend must not outlive the drill: the IPC channel closes with the parent.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

tell({ type: 'ready', id: opts.id, port: opts.port });
