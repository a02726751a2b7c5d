// Every kernel is a complete unit, findable from its name X (README "Kernels"): shaders/X.wgsl, its host wrapper
// src/kernels/X.ts, its float64 reference src/reference/X.ts, a test under tests/ that imports that reference and
// names X in a describe or it title, and a bench row in bench/entries/*.ts whose name starts with X. Checked on the
// source text (no GPU): comments are dropped first, so that a mention in a comment counts for nothing. Dropping
// comments and matching literals by pattern are approximate, but they only ever remove text or ask for more of it,
// so a wrong guess makes the check fail, never pass.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/harness/launcher';

/**
 * Source without its comments. Only a `/*` or `//` at a line's start or after white space opens one, so that paths
 * and URLs in strings ('bench/entries/*.ts', 'http://…') are not taken for comments.
 */
function withoutComments(text: string): string {
  return text.replace(/(^|\s)\/\*[\s\S]*?\*\//g, '$1').replace(/(^|\s)\/\/.*$/gm, '$1');
}

/** Project paths of the modules a file imports or re-exports (relative and root-relative specifiers, extension dropped). */
function importedModules(path: string, text: string): string[] {
  const specifiers = [...text.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specifiers
    .filter((spec) => spec.startsWith('.') || spec.startsWith('/'))
    .map((spec) => (spec.startsWith('/') ? spec.slice(1) : posix.join(posix.dirname(path), spec)).replace(/\.[cm]?[jt]s$/, ''));
}

/** The titles of a test file's describe / it / test calls (the first argument, when it is a string literal). */
function testTitles(text: string): string[] {
  return [...text.matchAll(/\b(?:describe|it|test)(?:\.\w+)*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)].map((m) => m[2]);
}

/**
 * Whether an entries file has a row named X …: a string or template literal that starts with X and a space. Row
 * names are such literals (in `name:` or passed to the file's entry helpers); the space keeps a kernel file's own
 * name ('gemm' in kernels.kernel('gemm')) and longer names ('gemmSplitK …' for gemm) from counting.
 */
function hasRowNamed(kernel: string, text: string): boolean {
  return new RegExp(`['"\`]${kernel} `).test(text);
}

/**
 * What the units lack, one line per missing part, for every kernel shaders/X.wgsl among `files` (project paths to
 * their text; shared snippets in shaders/lib/ are not kernels).
 */
function incompleteUnits(files: Map<string, string>): string[] {
  const paths = [...files.keys()];
  const source = (path: string) => withoutComments(files.get(path)!);
  const kernels = paths.flatMap((path) => /^shaders\/(\w+)\.wgsl$/.exec(path)?.[1] ?? []).sort();
  const tests = paths.filter((path) => /^tests\/.*\.ts$/.test(path));
  const entries = paths.filter((path) => /^bench\/entries\/[^/]+\.ts$/.test(path));
  const problems: string[] = [];
  for (const X of kernels) {
    if (!files.has(`src/kernels/${X}.ts`)) problems.push(`${X}: no host wrapper src/kernels/${X}.ts`);
    if (!files.has(`src/reference/${X}.ts`)) problems.push(`${X}: no float64 reference src/reference/${X}.ts`);
    const named = new RegExp(`\\b${X}\\b`);
    const tested = tests.some((path) => importedModules(path, source(path)).includes(`src/reference/${X}`) && testTitles(source(path)).some((title) => named.test(title)));
    if (!tested) problems.push(`${X}: no file under tests/ imports src/reference/${X} and names ${X} in a describe or it title`);
    if (!entries.some((path) => hasRowNamed(X, source(path)))) problems.push(`${X}: no row in bench/entries/*.ts whose name starts with '${X} '`);
  }
  return problems;
}

/** The files the check reads, from disk: project path to text. */
function projectFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const add = (dir: string, recursive: boolean, pattern: RegExp) => {
    for (const name of readdirSync(join(projectRoot, dir))) {
      const path = `${dir}/${name}`;
      if (statSync(join(projectRoot, path)).isDirectory()) {
        if (recursive) add(path, true, pattern);
      } else if (pattern.test(name)) {
        files.set(path, readFileSync(join(projectRoot, path), 'utf8'));
      }
    }
  };
  add('shaders', false, /\.wgsl$/);
  add('src/kernels', false, /\.ts$/);
  add('src/reference', false, /\.ts$/);
  add('tests', true, /\.ts$/);
  add('bench/entries', false, /\.ts$/);
  return files;
}

describe('kernel units', () => {
  it('the check finds each missing part, and only those (a fake tree)', () => {
    const testFile = (kernel: string, reference = kernel) =>
      `import { ${reference}Reference } from '../../src/reference/${reference}';\ndescribe('${kernel} (shaders/${kernel}.wgsl)', () => {});\n`;
    const files = new Map<string, string>([
      ['shaders/lib/shared.wgsl', ''],
      ...['complete', 'noWrapper', 'noReference', 'untested', 'unnamed', 'commented', 'noRow', 'prefixRowOnly'].map((k) => [`shaders/${k}.wgsl`, ''] as [string, string]),
      ...['complete', 'noReference', 'untested', 'unnamed', 'commented', 'noRow', 'prefixRowOnly'].map((k) => [`src/kernels/${k}.ts`, ''] as [string, string]),
      ...['complete', 'noWrapper', 'untested', 'unnamed', 'commented', 'noRow', 'prefixRowOnly'].map((k) => [`src/reference/${k}.ts`, ''] as [string, string]),
      ['tests/kernels/complete.test.ts', testFile('complete') + testFile('noWrapper') + testFile('noReference') + testFile('noRow') + testFile('prefixRowOnly')],
      // Imports another kernel's reference only; names 'unnamed' only in a comment; imports 'commented' in a comment.
      ['tests/kernels/untested.test.ts', testFile('untested', 'complete')],
      ['tests/other/unnamed.test.ts', `import { x } from '../../src/reference/unnamed';\n// unnamed is tested here\ndescribe('something else', () => {});\n`],
      ['tests/commented.test.ts', `// import { x } from '../src/reference/commented';\ndescribe("commented kernel", () => {});\n`],
      ['bench/entries/rows.ts', [
        "const rows = [{ name: 'complete 512^3' }, { name: `noWrapper ${tag}` }, { name: \"noReference x\" }];",
        "rowOf(ctx, 'untested icl'); rowOf(ctx, 'unnamed icl'); rowOf(ctx, 'commented icl');",
        "kernels.kernel('noRow', {}); // { name: 'noRow big' }",
        "const other = { name: 'prefixRowOnlyLonger x' };",
      ].join('\n')],
      ['bench/notEntries.ts', "{ name: 'noRow big' }"],
    ]);
    expect(incompleteUnits(files)).toEqual([
      "commented: no file under tests/ imports src/reference/commented and names commented in a describe or it title",
      "noReference: no float64 reference src/reference/noReference.ts",
      "noRow: no row in bench/entries/*.ts whose name starts with 'noRow '",
      'noWrapper: no host wrapper src/kernels/noWrapper.ts',
      "prefixRowOnly: no row in bench/entries/*.ts whose name starts with 'prefixRowOnly '",
      'unnamed: no file under tests/ imports src/reference/unnamed and names unnamed in a describe or it title',
      'untested: no file under tests/ imports src/reference/untested and names untested in a describe or it title',
    ]);
  });

  it('every shaders/X.wgsl has its wrapper, reference, test and bench row', () => {
    const files = projectFiles();
    expect([...files.keys()].filter((path) => path.startsWith('shaders/')).length, 'kernels found').toBeGreaterThan(20);
    expect(incompleteUnits(files)).toEqual([]);
  });
});
