import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The module map's rules: no import cycles, nothing imports an entry point, a handler only
// parses, wires and calls a flow, and no file grows to the size where it is several files.
// Biome's noRestrictedImports guards the handler rule at lint time; this test names every offender.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.mjs'];
/** Tests, dependencies, build output and tool state; dot-directories are skipped as well. */
const SKIPPED_DIRS = new Set(['node_modules', 'test', 'coverage', 'reports', 'cdk.out', 'drill-out', 'dist']);
const HANDLER = /^lambdas\/[^/]+\/handler\.ts$/;
const HANDLER_MAX_LINES = 60;
const FILE_MAX_LINES = 500;

/** Every non-test source file, as a `/`-separated path from the repository root. */
function sourceFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      if (e.isDirectory()) {
        return e.name.startsWith('.') || SKIPPED_DIRS.has(e.name) ? [] : sourceFiles(join(dir, e.name));
      }
      const isSource = SOURCE_EXTENSIONS.some((x) => e.name.endsWith(x));
      return isSource && !/\.(test|spec)\.[mc]?ts$/.test(e.name) ? [toKey(join(dir, e.name))] : [];
    })
    .sort();
}

function toKey(absolute: string): string {
  return relative(ROOT, absolute).split(sep).join('/');
}

type Token =
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'punct'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string };

/** Words after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER_WORDS = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'void',
  'yield',
  'await',
]);

/**
 * The tokens that matter for imports: words, punctuation and string literals. Comments,
 * template literals and regular expressions are dropped, so an import written inside one of
 * them (a doc comment, a help text) is not mistaken for an arrow in the module map.
 */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  /** Brace depth at which each open `${` of a template literal resumes the template. */
  const templates: number[] = [];
  let braces = 0;
  let i = 0;
  const regexMayStart = (): boolean => {
    const last = tokens.at(-1);
    if (last === undefined) return true;
    if (last.kind === 'word') return REGEX_AFTER_WORDS.has(last.text);
    return last.kind === 'punct' && !/[)\]}]/.test(last.text);
  };
  const skipTemplate = (): void => {
    // i is just past a backtick or a `}` closing `${ … }`.
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        return;
      } else if (c === '$' && text[i + 1] === '{') {
        i += 2;
        templates.push(braces);
        braces++;
        return;
      } else i++;
    }
  };
  while (i < text.length) {
    const c = text[i] ?? '';
    const next = text[i + 1];
    if (/\s/.test(c)) i++;
    else if (c === '/' && next === '/')
      i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    else if (c === '/' && next === '*')
      i = text.indexOf('*/', i + 2) === -1 ? text.length : text.indexOf('*/', i + 2) + 2;
    else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c && text[j] !== '\n') {
        if (text[j] === '\\') j++;
        value += text[j] ?? '';
        j++;
      }
      tokens.push({ kind: 'string', text: value });
      i = j + 1;
    } else if (c === '`') {
      i++;
      skipTemplate();
      tokens.push({ kind: 'punct', text: '`' });
    } else if (c === '/' && regexMayStart()) {
      let j = i + 1;
      let inClass = false;
      while (j < text.length && text[j] !== '\n' && (inClass || text[j] !== '/')) {
        if (text[j] === '\\') j++;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j++;
      }
      i = j + 1;
      while (/[a-z]/i.test(text[i] ?? '')) i++;
      tokens.push({ kind: 'punct', text: '/re/' });
    } else if (/[\w$]/.test(c)) {
      let j = i;
      while (/[\w$]/.test(text[j] ?? '')) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    } else {
      if (c === '{') braces++;
      if (c === '}') {
        braces--;
        if (templates.at(-1) === braces) {
          templates.pop();
          i++;
          skipTemplate();
          continue;
        }
      }
      tokens.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return tokens;
}

/** Words that start a declaration: an `export` followed by one re-exports nothing. */
const DECLARATIONS = new Set([
  'const',
  'let',
  'var',
  'function',
  'class',
  'interface',
  'enum',
  'async',
  'abstract',
  'declare',
  'namespace',
  'default',
]);

/**
 * The module specifiers a file names: `import … from`, `import '…'`, `export … from` and
 * `import('…')`, type-only ones included (they are arrows in the module map all the same).
 */
function importSpecifiers(text: string): string[] {
  const tokens = tokenize(text);
  const found: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.kind !== 'word' || (t.text !== 'import' && t.text !== 'export')) continue;
    const after = tokens[i + 1];
    const spec = tokens[i + 2];
    if (t.text === 'import' && after?.text === '(' && spec?.kind === 'string') {
      found.push(spec.text);
      continue;
    }
    if (t.text === 'import' && after?.kind === 'string') {
      found.push(after.text);
      continue;
    }
    for (let j = i + 1; j < tokens.length; j++) {
      const u = tokens[j];
      if (u === undefined || u.kind === 'string') break;
      if (u.kind === 'word' && u.text === 'from') {
        const from = tokens[j + 1];
        if (from?.kind === 'string') found.push(from.text);
        break;
      }
      if (u.kind === 'word' ? DECLARATIONS.has(u.text) : !['{', '}', ',', '*'].includes(u.text)) break;
    }
  }
  return found;
}

/** The file a relative specifier names, as NodeNext with `allowImportingTsExtensions` finds it. */
function resolveSpecifier(importer: string, specifier: string): string | undefined {
  const base = resolve(ROOT, dirname(importer), specifier);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    ...['.ts', '.mts', '.mjs', '.d.ts'].map((x) => `${base}${x}`),
    join(base, 'index.ts'),
  ];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return found === undefined ? undefined : toKey(found);
}

interface ModuleMap {
  /** Each file's relative imports that resolve to a file, in source order. */
  readonly edges: ReadonlyMap<string, readonly string[]>;
  /** Relative specifiers that name no file: `importer: specifier`. */
  readonly unresolved: readonly string[];
}

function moduleMap(files: readonly string[]): ModuleMap {
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of files) {
    const targets: string[] = [];
    for (const specifier of importSpecifiers(readFileSync(join(ROOT, file), 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveSpecifier(file, specifier);
      if (target === undefined) unresolved.push(`${file}: ${specifier}`);
      else if (!targets.includes(target)) targets.push(target);
    }
    edges.set(file, targets);
  }
  return { edges, unresolved };
}

/**
 * The import cycles of a module map: its strongly connected components (Tarjan) with more than
 * one file, or one file that imports itself. Each cycle's files are sorted, cycles by first file.
 */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** Lines as `wc -l` counts them: newline characters. */
function lineCount(file: string): number {
  return readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1;
}

/** `file: N lines` for each file longer than `max`. */
function tooLong(files: readonly string[], max: number): string[] {
  return files.flatMap((f) => {
    const lines = lineCount(f);
    return lines > max ? [`${f}: ${lines} lines`] : [];
  });
}

describe('the import scanner', () => {
  it('finds static, side-effect, re-export, type-only and dynamic imports across lines', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      'import {',
      '  c,',
      '  type C,',
      "} from './c.ts';",
      "import './side-effect.ts';",
      "export { d } from './d.ts';",
      "export * as e from './e.ts';",
      "export type { F } from './f.ts';",
      "const g = await import('./g.ts');",
      "type H = typeof import('./h.ts');",
      "export const fromThere = 'x';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      './a.ts',
      '../b.ts',
      './c.ts',
      './side-effect.ts',
      './d.ts',
      './e.ts',
      './f.ts',
      './g.ts',
      './h.ts',
    ]);
  });

  it('ignores imports written in comments, strings, templates and regular expressions', () => {
    const source = [
      "// import { a } from './a.ts';",
      "/* export * from './b.ts'; */",
      'const help = "import { c } from \'./c.ts\'";',
      `const t = \`import('./d.ts') \${1 + 1} import { e } from './e.ts'\`;`,
      "const re = /from '.\\/f.ts'/;",
      "const ratio = 4 / 2; export const x = ratio / 2; import { g } from './g.ts';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./g.ts']);
  });
});

describe('the cycle finder', () => {
  it('finds every cycle of a graph, a file that imports itself included, and names their files', () => {
    const graph = new Map<string, string[]>([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
      ['f.ts', ['g.ts', 'a.ts']],
      ['g.ts', ['f.ts']],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts'], ['f.ts', 'g.ts']]);
  });

  it('finds none in a graph without cycles, even where paths join again', () => {
    const graph = new Map<string, string[]>([
      ['a.ts', ['b.ts', 'c.ts']],
      ['b.ts', ['d.ts']],
      ['c.ts', ['d.ts']],
      ['d.ts', []],
    ]);
    expect(findCycles(graph)).toEqual([]);
  });
});

describe('the module map', () => {
  const files = sourceFiles();
  const map = moduleMap(files);

  it('covers the source tree', () => {
    for (const dir of ['lib/', 'lambdas/', 'infra/', 'cli/', 'drill/', 'bench/', 'scripts/', 'bin/']) {
      expect(files.some((f) => f.startsWith(dir))).toBe(true);
    }
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/'))).toBe(false);
  });

  it('resolves every relative import to a file, so no arrow is missing from the map', () => {
    expect(map.unresolved).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles = findCycles(map.edges).map((c) => `cycle: ${c.join(' → ')}`);
    expect(cycles, cycles.join('\n')).toEqual([]);
  });

  it('lets nothing in cli/, drill/ or bench/ import a Lambda handler, which is an entry point', () => {
    const offenders = [...map.edges].flatMap(([file, targets]) =>
      /^(cli|drill|bench)\//.test(file)
        ? targets.filter((t) => HANDLER.test(t)).map((t) => `${file} imports ${t}`)
        : [],
    );
    expect(offenders, offenders.join('\n')).toEqual([]);
  });

  it(`keeps every Lambda handler within ${HANDLER_MAX_LINES} lines: parse, wire, call a flow`, () => {
    const handlers = files.filter((f) => HANDLER.test(f));
    expect(handlers.length).toBeGreaterThan(0);
    const long = tooLong(handlers, HANDLER_MAX_LINES);
    expect(long, long.join('\n')).toEqual([]);
  });

  it(`keeps every source file outside bench/ within ${FILE_MAX_LINES} lines`, () => {
    const long = tooLong(
      files.filter((f) => !f.startsWith('bench/')),
      FILE_MAX_LINES,
    );
    expect(long, long.join('\n')).toEqual([]);
  });
});
