// Scan & Snap jobs in headless Chrome, writing tables and SVG figures:
//   npx tsx src/models/scansnap/jobs.node.ts grid [outDir] ['{"steps": 10, ...}']   the Syn-Medium grid (one job)
//   npx tsx src/models/scansnap/jobs.node.ts small [outDir]                          the Syn-Small preset, 100 steps
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHarness } from '../../harness/launcher';
import type { GridResult } from './grid';
import { gridFigure, smallFigure } from './figures';
import { scansnapPresets } from '../../experiments/presets/scansnap';
import { tokenLayout } from './data';
import type { MetricRecord } from '../../experiments/types';
import type { ScanSnapConfig } from './config';

export function gridMarkdown(result: GridResult): string {
  const { columns, rows } = result.table;
  const c = (name: string) => columns.indexOf(name);
  const Ks = [...new Set(rows.map((r) => r[c('K')]))];
  const ratios = [...new Set(rows.map((r) => r[c('ratio')]))];
  const lines: string[] = [];
  for (const K of Ks) {
    const group = rows.filter((r) => r[c('K')] === K);
    lines.push(`K = ${K} (numQuery ${group[0][c('numQuery')]}, M = ${group[0][c('M')]}): final distinct entropy, mean ± std over ${group[0][c('seeds')]} seeds`, '');
    lines.push(`| etaZ \\ etaY/etaZ | ${ratios.join(' | ')} |`, `|---|${ratios.map(() => '---|').join('')}`);
    for (const z of [...new Set(group.map((r) => r[c('etaZ')]))]) {
      const cells = ratios.map((q) => {
        const row = group.find((r) => r[c('etaZ')] === z && r[c('ratio')] === q)!;
        return `${row[c('entropyMean')].toFixed(3)} ± ${row[c('entropyStd')].toFixed(3)}`;
      });
      lines.push(`| ${z} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

async function small(outDir: string) {
  const preset = scansnapPresets.find((p) => p.name === 'scansnap-small')!;
  const config = preset.config as unknown as ScanSnapConfig;
  const harness = await openHarness();
  try {
    const t0 = performance.now();
    const { records } = await harness.session.call<{ records: MetricRecord[] }>('/tests/probes/scansnap.ts', 'train', {
      config, steps: preset.steps, metricsEvery: 1,
    });
    const seconds = (performance.now() - t0) / 1000;
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'metrics.json'), JSON.stringify(records));
    writeFileSync(join(outDir, 'small.svg'), smallFigure(records, tokenLayout(config), config.etaY as number[]));
    for (const r of [0, 1]) {
      const loss = records.filter((x) => x.replica === r).map((x) => x.loss);
      console.log(`replica ${r} (etaY ${(config.etaY as number[])[r]}): loss at paper steps 0, 4, 98: ${[0, 4, 98].map((s) => loss[s].toExponential(3)).join(', ')}`);
    }
    console.log(`${preset.steps} steps in ${seconds.toFixed(1)} s on ${harness.adapter.description}`);
  } finally {
    await harness.close();
  }
}

async function grid(outDir: string, options: object) {
  const harness = await openHarness();
  console.log(`adapter: ${harness.adapter.description || harness.adapter.architecture} (${harness.mode})`);
  harness.session.onReport((e) => console.log(`numQuery ${e.numQuery}: step ${e.step} (${new Date().toISOString()})`));
  try {
    const result = await harness.session.call<GridResult>('/tests/probes/scansnap.ts', 'grid', { options });
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'grid.json'), JSON.stringify(result, null, 1));
    writeFileSync(join(outDir, 'grid.md'), gridMarkdown(result));
    writeFileSync(join(outDir, 'entropy.svg'), gridFigure(result.table));
    console.log(gridMarkdown(result));
    console.log(`groups: ${result.seconds.map((s) => `numQuery ${s.numQuery} (R=${s.replicas}): ${s.seconds.toFixed(1)} s`).join(', ')}`);
    console.log(`total ${result.totalSeconds.toFixed(1)} s on ${result.adapter}`);
  } finally {
    await harness.close();
  }
}

async function main() {
  const [job, outDir, options] = process.argv.slice(2);
  if (job === 'small') return small(outDir ?? 'results/scansnap-small');
  if (job === 'grid') return grid(outDir ?? 'results/scansnap-medium', options ? JSON.parse(options) : {});
  throw new Error(`usage: jobs.node.ts small|grid [outDir] [grid options JSON]; got '${job}'`);
}

if (process.argv[1]?.endsWith('jobs.node.ts')) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
