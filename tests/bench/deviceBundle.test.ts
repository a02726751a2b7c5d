// The bench as a GPU server without npm runs it (bench/device/): bench/device/build.sh bundles it into one .mjs,
// and Node runs that with only `webgpu` beside it. With --peers the TF.js rows run in Node too (WebGPU through the
// same Dawn as onelayer, WASM and CPU): that is how the GPU comparison gets measured on a device with no
// Chrome. Quick shapes on this machine's SwiftShader.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/harness/launcher';
import { PEER_BACKENDS } from '../../bench/peers/rows';
import type { BenchResult } from '../../bench/types';
import { tempDir } from '../cli/spawn';

describe('the device bench bundle (bench/device/build.sh)', () => {
  it('runs in plain Node, TF.js peers included, and writes every row', () => {
    // Two folders below the root, as .gl/bundle/ on a device (the WASM binaries are found from there), but not in
    // .gl/, whose node_modules/webgpu may be a packed device copy without its dawn.node.
    const bundleDir = join(projectRoot, 'test-artifacts', 'device-bundle');
    const bundle = join(bundleDir, 'bench.mjs');
    const out = join(tempDir('device-bundle'), 'bench.json');
    try {
      execFileSync('bash', ['bench/device/build.sh', bundle], { cwd: projectRoot });
      const r = spawnSync(process.execPath, [bundle, '--quick', '--peers', '--out', out], { cwd: projectRoot, encoding: 'utf8', timeout: 240_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/\(node, software\)/);
      const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
      const names = result.entries.map((e) => e.name);
      for (const impl of ['onelayer', ...PEER_BACKENDS.map((b) => `peer tfjs-${b}`)]) {
        for (const group of ['icl step R=1', 'icl step R=2', 'scansnap step R=2']) {
          const entry = result.entries.find((e) => e.name === `${impl} ${group}`);
          expect(entry, `${impl} ${group} in ${names.join(', ')}`).toBeDefined();
          expect(entry!.hostWork!.perSecond).toBeGreaterThan(0);
        }
      }
      // The comparison table the CLI prints with --peers, here from Node.
      expect(r.stdout).toMatch(/tfjs-webgpu/);
    } finally {
      rmSync(bundleDir, { recursive: true, force: true });
    }
  });

  // .gl/ is git-ignored and outlives commits: a bundle left from an older build would time old code on a lent GPU.
  it('is stamped with the sources it was built from, and a stale or unstamped bundle is refused (bench/device/sources.sh)', () => {
    const dir = tempDir('device-stamp');
    mkdirSync(dir, { recursive: true });
    const bundle = join(dir, 'bench.mjs');
    writeFileSync(bundle, '// a bundle\n');
    const sources = (...args: string[]) => spawnSync('bash', ['bench/device/sources.sh', ...args], { cwd: projectRoot, encoding: 'utf8' });

    const unstamped = sources('check', bundle);
    expect(unstamped.status).toBe(3);
    expect(unstamped.stderr).toMatch(/has no stamp.*src\/cli\/device\/bundle\.sh/);

    expect(sources('stamp', bundle).status).toBe(0);
    const [fingerprint] = readFileSync(`${bundle}.sources`, 'utf8').split(' ');
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint).toBe(sources().stdout.trim());
    const fresh = sources('check', bundle);
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain(fingerprint);

    writeFileSync(`${bundle}.sources`, '0123456789abcdef abc1234 2026-01-01T00:00:00Z\n');
    const stale = sources('check', bundle);
    expect(stale.status).toBe(3);
    expect(stale.stderr).toMatch(/built at 2026-01-01T00:00:00Z \(commit abc1234\) from other sources \(fingerprint 0123456789abcdef, these: [0-9a-f]{16}\): rebuild/);
  });
});
