// Runs the Scan & Snap Syn-Medium grid as one job in headless Chrome and writes its table (JSON and Markdown)
// and figure (SVG). Usage: npx tsx src/models/scansnap/grid-job.node.ts [outDir] ['{"steps": 10, ...}']
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHarness } from '../../harness/launcher';
import type { GridResult } from './grid';
import { gridFigure } from './figures';

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

async function main() {
  const outDir = process.argv[2] ?? 'results/scansnap-medium';
  const options = process.argv[3] ? JSON.parse(process.argv[3]) : {};
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

if (process.argv[1]?.endsWith('grid-job.node.ts')) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
