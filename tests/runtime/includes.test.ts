// The loader's shared snippets (shaders/lib/): `// #include "lib/x.wgsl"` splices a snippet once per kernel,
// and every line of the result remembers where it came from, so compile errors name the snippet's own line.
// Feature sections (`// #if subgroups` ... `// #else` ... `// #endif`) keep lines only where the device has the
// feature (or lacks it).
import { describe, expect, it } from 'vitest';
import { expandIncludes } from '../../src/runtime/kernels';
import { readShaderSources } from '../../src/runtime/env-node';

describe('expandIncludes (src/runtime/kernels.ts)', () => {
  const sources = {
    main: 'a\n// #include "lib/one.wgsl"\nb\n  //  #include "lib/one.wgsl"  \nc',
    'lib/one': 'one-1\n// #include "lib/two.wgsl"\none-3',
    'lib/two': 'two-1',
    loop: '// #include "lib/loopA.wgsl"',
    'lib/loopA': '// #include "lib/loopB.wgsl"',
    'lib/loopB': '// #include "lib/loopA.wgsl"',
    missing: 'x\n// #include "lib/nope.wgsl"',
  };

  it('splices nested snippets once and maps every line back to its file and line', () => {
    const e = expandIncludes('main', sources);
    expect(e.text.split('\n')).toEqual(['a', 'one-1', 'two-1', 'one-3', 'b', 'c']);
    expect(e.origin.map((o) => `${o.file}:${o.line}`)).toEqual([
      'shaders/main.wgsl:1', 'shaders/lib/one.wgsl:1', 'shaders/lib/two.wgsl:1', 'shaders/lib/one.wgsl:3', 'shaders/main.wgsl:3', 'shaders/main.wgsl:5',
    ]);
  });

  it('names a missing snippet and an include cycle', () => {
    expect(() => expandIncludes('missing', sources)).toThrow('shaders/missing.wgsl: #include "lib/nope.wgsl": no such file under shaders/');
    expect(() => expandIncludes('loop', sources)).toThrow(/includes itself \(loop -> lib\/loopA -> lib\/loopB -> lib\/loopA\)/);
  });

  it('keeps a feature section where the device has the feature, its #else part where not, and the line numbers', () => {
    const featured = {
      k: 'a\n// #if subgroups\nenable subgroups;\n// #else\nplain\n// #endif\nb\n  //  #if shader-f16  \nhalf\n// #endif\nc',
    };
    const withSubgroups = expandIncludes('k', featured, new Set(['subgroups']));
    expect(withSubgroups.text.split('\n')).toEqual(['a', '', 'enable subgroups;', '', '', '', 'b', '', '', '', 'c']);
    expect(withSubgroups.origin.map((o) => o.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(expandIncludes('k', featured).text.split('\n')).toEqual(['a', '', '', '', 'plain', '', 'b', '', '', '', 'c']);
    expect(expandIncludes('k', featured, new Set(['shader-f16'])).text).toContain('half');
  });

  it('names a nested, unopened or unclosed feature section', () => {
    const bad = {
      nested: '// #if subgroups\n// #if shader-f16\n// #endif\n// #endif',
      strayElse: 'a\n// #else',
      twoElses: '// #if subgroups\n// #else\n// #else\n// #endif',
      strayEnd: '// #endif',
      open: 'a\n// #if subgroups\nb',
    };
    expect(() => expandIncludes('nested', bad)).toThrow('shaders/nested.wgsl:2: #if shader-f16 inside the #if subgroups of line 1; sections do not nest');
    expect(() => expandIncludes('strayElse', bad)).toThrow('shaders/strayElse.wgsl:2: #else without an open #if');
    expect(() => expandIncludes('twoElses', bad)).toThrow('shaders/twoElses.wgsl:3: #else without an open #if');
    expect(() => expandIncludes('strayEnd', bad)).toThrow('shaders/strayEnd.wgsl:1: #endif without an open #if');
    expect(() => expandIncludes('open', bad)).toThrow('shaders/open.wgsl:2: #if subgroups is never closed (#endif)');
  });

  it('every kernel in shaders/ expands (with and without subgroups), and the generators share lib/counterHash.wgsl', () => {
    const all = readShaderSources();
    const kernels = Object.keys(all).filter((n) => !n.startsWith('lib/'));
    for (const name of kernels) expect(() => expandIncludes(name, all)).not.toThrow();
    for (const name of kernels) expect(() => expandIncludes(name, all, new Set(['subgroups']))).not.toThrow();
    expect(expandIncludes('scansnapCrossEntropy', all, new Set(['subgroups'])).text).toContain('quadBroadcast(x, 0u)');
    expect(expandIncludes('scansnapCrossEntropy', all).text).not.toContain('quadBroadcast(x, 0u)');
    for (const name of ['iclBatchGenerate', 'scansnapBatchGenerate']) {
      expect(all[name]).toContain('// #include "lib/counterHash.wgsl"');
      expect(expandIncludes(name, all).text).toContain('fn mix32(v: u32) -> u32');
    }
  });
});
