// The loader's shared snippets (shaders/lib/): `// #include "lib/x.wgsl"` splices a snippet once per kernel,
// and every line of the result remembers where it came from, so compile errors name the snippet's own line.
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

  it('every kernel in shaders/ expands, and the generators share lib/counterHash.wgsl', () => {
    const all = readShaderSources();
    const kernels = Object.keys(all).filter((n) => !n.startsWith('lib/'));
    for (const name of kernels) expect(() => expandIncludes(name, all)).not.toThrow();
    for (const name of ['iclBatchGenerate', 'scansnapBatchGenerate']) {
      expect(all[name]).toContain('// #include "lib/counterHash.wgsl"');
      expect(expandIncludes(name, all).text).toContain('fn mix32(v: u32) -> u32');
    }
  });
});
