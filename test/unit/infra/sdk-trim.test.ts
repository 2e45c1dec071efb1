// The bundle-time rewrite of the SDK's error classes and package.json (infra/sdk-trim.ts), checked
// against the originals for every installed client: a thrown error must be indistinguishable.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  compactErrorModule,
  ERRORS_FILTER,
  PACKAGE_JSON_FILTER,
  parseErrorModule,
  SdkTrimError,
  sdkTrimPlugin,
} from '../../../infra/sdk-trim.ts';

const SDK = path.resolve(import.meta.dirname, '../../../node_modules/@aws-sdk');
// Clients with modelled errors (EC2 has none: its errors are all the base exception).
const CLIENTS = readdirSync(SDK).filter(
  (d) => d.startsWith('client-') && existsSync(path.join(SDK, d, 'dist-es', 'models', 'errors.js')),
);

type ErrorCtor = (new (
  opts: Record<string, unknown>,
) => Error & Record<string, unknown>) & { shapeId?: string };

/** The client's error module (and its base exception) bundled as a function bundle would be. */
async function load(client: string, trimmed: boolean): Promise<Record<string, ErrorCtor>> {
  const dir = path.join(SDK, client, 'dist-es', 'models');
  const errors = parseErrorModule(readFileSync(path.join(dir, 'errors.js'), 'utf8'), client);
  const result = await build({
    stdin: {
      contents: `export * from "./errors.js"; export { ${errors.base} as Base } from "${errors.baseFrom}.js";`,
      resolveDir: dir,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
    logLevel: 'silent',
    plugins: trimmed ? [sdkTrimPlugin()] : [],
  });
  const code = result.outputFiles[0]?.text ?? '';
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Record<
    string,
    ErrorCtor
  >;
}

/**
 * Everything a caller can observe of an error thrown by a client (not the class's own `name`, which
 * minification renames in the original anyway).
 */
function observe(C: ErrorCtor, base: ErrorCtor, members: readonly string[]) {
  const opts: Record<string, unknown> = {
    message: 'boom',
    $metadata: { httpStatusCode: 400, requestId: 'r' },
  };
  for (const m of members) opts[m] = `value of ${m}`;
  const e = new C(opts);
  return {
    shapeId: C.shapeId,
    name: e.name,
    message: e.message,
    fault: e.$fault,
    retryable: e.$retryable,
    metadata: e.$metadata,
    own: Object.keys(e),
    values: Object.fromEntries(Object.keys(e).map((k) => [k, e[k]])),
    isOwnClass: e instanceof C,
    isBase: e instanceof base,
    isError: e instanceof Error,
    stackNamesIt: String(e.stack).startsWith(`${e.name}: boom`),
  };
}

describe('sdk-trim: compact error classes', () => {
  it('finds the installed clients', () => {
    expect(CLIENTS).toEqual(
      expect.arrayContaining(['client-dynamodb', 'client-elastic-load-balancing-v2', 'client-kms']),
    );
  });

  it.each(CLIENTS)('%s: every class behaves exactly as the original', async (client) => {
    const source = readFileSync(path.join(SDK, client, 'dist-es', 'models', 'errors.js'), 'utf8');
    const parsed = parseErrorModule(source, client);
    const [original, trimmed] = await Promise.all([load(client, false), load(client, true)]);
    expect(Object.keys(trimmed).sort()).toEqual(Object.keys(original).sort());
    expect(parsed.classes.length).toBeGreaterThan(0);
    for (const c of parsed.classes) {
      const o = original[c.name];
      const t = trimmed[c.name];
      if (!o || !t || !original.Base || !trimmed.Base) throw new Error(`${client}: ${c.name} missing`);
      expect(observe(t, trimmed.Base, c.members), `${client} ${c.name}`).toEqual(
        observe(o, original.Base, c.members),
      );
    }
  });

  it('is smaller: the point of the rewrite', () => {
    const source = readFileSync(
      path.join(SDK, 'client-elastic-load-balancing-v2', 'dist-es', 'models', 'errors.js'),
      'utf8',
    );
    const compact = compactErrorModule(parseErrorModule(source, 'elbv2'));
    expect(compact.length).toBeLessThan(source.length / 3);
  });

  it('fails loudly, naming the file and line, on anything it does not know', () => {
    const source = readFileSync(path.join(SDK, 'client-sns', 'dist-es', 'models', 'errors.js'), 'utf8');
    const changed = source.replace('    $fault = "client";', '    $fault = "client";\n    static extra = 1;');
    expect(() => parseErrorModule(changed, 'sns/errors.js')).toThrow(SdkTrimError);
    expect(() => parseErrorModule(changed, 'sns/errors.js')).toThrow(
      /sns\/errors\.js line " {4}static extra = 1;"/,
    );
    expect(() => parseErrorModule('export const x = 1;\n', 'x.js')).toThrow(/base exception import/);
  });

  it('matches only client packages, never lbguard files or other packages', () => {
    expect(ERRORS_FILTER.test('/r/node_modules/@aws-sdk/client-sns/dist-es/models/errors.js')).toBe(true);
    expect(ERRORS_FILTER.test('/r/node_modules/@aws-sdk/core/dist-es/models/errors.js')).toBe(false);
    expect(ERRORS_FILTER.test('/r/lib/errors.js')).toBe(false);
    expect(PACKAGE_JSON_FILTER.test('/r/node_modules/@aws-sdk/client-kms/package.json')).toBe(true);
    expect(PACKAGE_JSON_FILTER.test('/r/node_modules/@aws-sdk/core/package.json')).toBe(false);
  });
});

describe('sdk-trim: package.json', () => {
  it('keeps the version the user agent carries, and only that', async () => {
    const dir = path.join(SDK, 'client-sns');
    const result = await build({
      stdin: { contents: 'import p from "./package.json"; export default p;', resolveDir: dir, loader: 'js' },
      bundle: true,
      format: 'esm',
      write: false,
      logLevel: 'silent',
      plugins: [sdkTrimPlugin()],
    });
    const code = result.outputFiles[0]?.text ?? '';
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as {
      default: unknown;
    };
    const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(mod.default).toEqual({ version });
  });
});
