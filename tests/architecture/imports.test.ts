// Imports run downward: util and config at the bottom, then runtime, kernels, the engine, models (with their
// float64 references beside them), and on top the drivers (experiments' jobs, harness, CLI, app, bench). Nothing
// under src/ imports test code. A layer may import its own and lower layers only.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/harness/launcher';

/** For each folder of src/, the folders it must not import from. */
const FORBIDDEN: Record<string, string[]> = {
  util: ['config', 'runtime', 'kernels', 'engine', 'models', 'reference', 'experiments', 'harness', 'cli', 'app', 'report'],
  config: ['runtime', 'kernels', 'engine', 'models', 'reference', 'experiments', 'harness', 'cli', 'app'],
  runtime: ['kernels', 'engine', 'models', 'reference', 'experiments', 'harness', 'cli', 'app'],
  kernels: ['engine', 'models', 'experiments', 'harness', 'cli', 'app'],
  reference: ['runtime', 'engine', 'experiments', 'harness', 'cli', 'app'],
  engine: ['models', 'experiments', 'harness', 'cli', 'app'],
  models: ['experiments', 'harness', 'cli', 'app'],
  report: ['runtime', 'kernels', 'engine', 'models', 'experiments', 'harness', 'cli', 'app'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

/** Every module specifier a file imports (static, re-exports, dynamic), type-only imports included. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]);
  return specs;
}

/** Problems with one file's imports: `file` and the targets are paths relative to the project root. */
export function layerViolations(file: string, targets: string[]): string[] {
  const problems: string[] = [];
  const layer = /^src\/([^/]+)\//.exec(file)?.[1];
  for (const target of targets) {
    if (target.startsWith('tests/')) problems.push(`${file} imports test code: ${target}`);
    const to = /^src\/([^/]+)\//.exec(target)?.[1];
    if (layer && to && FORBIDDEN[layer]?.includes(to)) problems.push(`${file} (${layer}) imports ${target} (${to}): imports must run downward`);
  }
  return problems;
}

function resolveImport(file: string, spec: string): string | null {
  if (spec.startsWith('/')) return spec.slice(1); // vite-style root paths ('/tests/probes/x.ts')
  if (!spec.startsWith('.')) return null; // packages
  return relative(projectRoot, resolve(dirname(join(projectRoot, file)), spec));
}

describe('import layers', () => {
  it('the rule catches an upward import and an import of test code', () => {
    expect(layerViolations('src/kernels/x.ts', ['src/models/icl/model.ts'])).toHaveLength(1);
    expect(layerViolations('src/models/icl/x.ts', ['tests/probes/icl.ts'])).toHaveLength(1);
    expect(layerViolations('src/engine/x.ts', ['src/runtime/plan.ts', 'src/config/schema.ts'])).toHaveLength(0);
    expect(importsOf(`import type { A } from '../a';\nexport { B } from "./b";\nconst m = await import('../../c');\nimport './d';`)).toEqual(['../a', './b', './d', '../../c']);
  });

  it('no file under src/ imports test code, and every import runs downward', () => {
    const problems = sourceFiles(join(projectRoot, 'src')).flatMap((path) => {
      const file = relative(projectRoot, path);
      const targets = importsOf(readFileSync(path, 'utf8')).map((spec) => resolveImport(file, spec)).filter((t): t is string => t !== null);
      return layerViolations(file, targets);
    });
    expect(problems).toEqual([]);
  });
});
