// `onelayer bench --peers` through the real binary (headless Chrome, quick shapes): the TF.js peers and onelayer's
// matching training steps are timed in the same page, and the printed comparison says what the JSON says — one
// row per implementation, model and R, rates and ratios to onelayer computed here from the JSON's entries.
// Without --peers the peers' file is never loaded; misuse of the flag is bad input (exit 2) before any GPU work.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRate, formatSpeedup } from '../../bench/format';
import { defaultEntryFiles, parseBenchArgs, PEERS_FILE } from '../../bench/options';
import { PEER_BACKENDS, PEER_UNIT } from '../../bench/peers/rows';
import { adapterLine } from '../../src/runtime/device';
import type { BenchResult } from '../../bench/types';
import { describeRun, runCli, tempDir } from '../cli/spawn';

const IMPLEMENTATIONS = ['onelayer', ...PEER_BACKENDS.map((b) => `tfjs-${b}`)];
// Quick shapes: R = 2 stands for the full run's R = 16.
const GROUPS = [['icl', 1], ['icl', 2], ['scansnap', 2]] as const;

describe('onelayer bench --peers', () => {
  it('times the peers beside onelayer in the page and prints the comparison the JSON gives', async () => {
    const out = join(tempDir('bench-peers'), 'peers.json');
    const args = ['bench', '--peers', '--quick', '--repeats', '1', '--warmup', '0', '--out', out];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
    expect(result.options.files).toEqual([PEERS_FILE]);
    expect(result.adapter.runtime).toBe('chrome');

    const names = GROUPS.flatMap(([model, R]) => IMPLEMENTATIONS.map((impl) => `${impl === 'onelayer' ? '' : 'peer '}${impl} ${model} step R=${R}`));
    expect(result.entries.map((e) => e.name)).toEqual(names);
    for (const e of result.entries) {
      expect(e.file).toBe(`bench/entries/${PEERS_FILE}.ts`);
      expect(e.hostWork?.unit).toBe(PEER_UNIT);
      expect(e.hostWork!.perSecond, e.name).toBeGreaterThan(0);
      expect(Number.isFinite(e.hostWork!.perSecond)).toBe(true);
      if (e.name.startsWith('peer ')) expect(e.shape).toMatch(/; TF\.js \d+\.\d+\.\d+$/);
    }

    const printed = r.stdout.slice(r.stdout.indexOf('\npeers: '));
    expect(printed).toContain(`adapter: ${adapterLine(result.adapter)}`);
    const tableLines = printed.split('\n').filter((line) => /^(icl|scansnap) +\d+ +\S+ +\S+ +\S+$/.test(line));
    const shown = tableLines.map((line) => line.split(/ +/));
    expect(shown.map((cells) => cells.slice(0, 3))).toEqual(GROUPS.flatMap(([model, R]) => IMPLEMENTATIONS.map((impl) => [model, String(R), impl])));
    for (const [model, R, impl, rate, ratio] of shown) {
      const rateOf = (implementation: string) =>
        result.entries.find((e) => e.name === `${implementation === 'onelayer' ? '' : 'peer '}${implementation} ${model} step R=${R}`)!.hostWork!.perSecond;
      expect(rate, `${model} R=${R} ${impl}`).toBe(formatRate(rateOf(impl)));
      expect(ratio, `${model} R=${R} ${impl}`).toBe(formatSpeedup(rateOf(impl) / rateOf('onelayer')));
    }
    expect(shown.filter((cells) => cells[2] === 'onelayer').every((cells) => cells[4] === '×1')).toBe(true);
  });

  it('is refused as bad input where it cannot run, before any GPU work', async () => {
    const node = await runCli(['bench', '--peers', '--runtime', 'node']);
    expect(node.code, describeRun(['bench', '--peers', '--runtime', 'node'], node)).toBe(2);
    expect(node.stderr).toContain('error: bench: --peers times TensorFlow.js beside onelayer in the page: it needs --runtime chrome (the default), not node (in plain Node, the bundle of bench/device/build.sh runs the peers)');
    const named = await runCli(['bench', '--files', `foundation,${PEERS_FILE}`]);
    expect(named.code, describeRun(['bench', '--files', `foundation,${PEERS_FILE}`], named)).toBe(2);
    expect(named.stderr).toContain(`error: bench: --files ${PEERS_FILE}: the TF.js peers run with --peers`);
  });

  it('leaves the peers out unless asked for; with --files they join the named files', () => {
    expect(defaultEntryFiles(['foundation', PEERS_FILE, 'icl'])).toEqual(['foundation', 'icl']);
    expect(parseBenchArgs(['--peers']).files).toEqual([PEERS_FILE]);
    expect(parseBenchArgs(['--peers', '--files', 'icl']).files).toEqual(['icl', PEERS_FILE]);
    expect(parseBenchArgs(['--files', 'icl']).files).toEqual(['icl']);
    expect(() => parseBenchArgs(['--files', PEERS_FILE])).toThrow(/--files peers: the TF\.js peers run with --peers/);
    expect(() => parseBenchArgs(['--runtime', 'node', '--peers'])).toThrow(/--peers .* needs --runtime chrome/);
  });

  it('never loads the peers\' file in a run that names no files', async () => {
    const { createNodeContext, releaseNodeGpu } = await import('../../src/runtime/env-node');
    const { runBenchWith } = await import('../../bench/core');
    const ctx = await createNodeContext();
    const scratch = ctx.pool.acquire(64, 'peers-left-out scratch');
    const loaders = {
      other: async () => ({ benchEntries: async () => [{ name: 'upload', shape: '', dispatches: [], hostWork: { unit: 'uploads', amount: 1, run: () => ctx.device.queue.writeBuffer(scratch, 0, new Float32Array(4)) } }] }),
      [PEERS_FILE]: async () => {
        throw new Error('the peers were loaded');
      },
    };
    try {
      const result = await runBenchWith(ctx, loaders, { quick: true, repeats: 1, warmup: 0 });
      expect(result.entries.map((e) => e.file)).toEqual(['bench/entries/other.ts']);
    } finally {
      ctx.device.destroy();
      releaseNodeGpu();
    }
  });
});
