// `onelayer bench report`: a comparison of bench results as Markdown with SVG charts beside it, for papers and
// pull requests. Tables and charts are the bench page's own (bench/report/tables.ts, charts.ts).
import { adapterLine } from '../../src/runtime/device';
import { rooflineChart, speedupChart } from './charts';
import type { Comparison } from './compare';
import { kernelTable, MISSING, runNotes, runsTable, throughputTable, type Table } from './tables';

export interface ReportFiles {
  markdown: string;
  /** File names (relative to the Markdown file) and contents. */
  svgs: { name: string; svg: string }[];
}

/** `codeColumn`: a column of file names, set in code font. */
function markdownTable(table: Table, codeColumn = -1): string[] {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const row = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [
    row(table.header),
    `|${table.numeric.map((n) => (n ? '--:' : '---')).join('|')}|`,
    ...table.rows.map((r) => row(r.cells.map((c, i) => (c === MISSING ? `*${MISSING}*` : i === codeColumn ? `\`${c}\`` : c)))),
  ];
}

/** The report; `svgPrefix` names the chart files (e.g. 'report' gives report-foundation-roofline.svg). */
export function benchReport(comparison: Comparison, svgPrefix: string): ReportFiles {
  const { runs } = comparison;
  const [first] = runs;
  const several = runs.length > 1;
  const svgs: ReportFiles['svgs'] = [];
  const lines = [
    `# Bench report: ${runs.map((r) => `${r.label} (${adapterLine(r.result.adapter)})`).join(' vs ')}`,
    '',
    `Made by \`onelayer bench report\` from ${runs.length} result file${several ? 's' : ''}. ` +
      (several ? `**Speedup** is ${first.label}'s kernel time over the run's (the run's host-work rate over ${first.label}'s in the throughput tables): above 1 is faster than ${first.label}. ` : '') +
      '**% roofline** is the larger of % FMA peak and % copy bandwidth, each against the limits that run measured on its own adapter: ' +
      "the share of what the adapter allows at the entry's arithmetic intensity. *missing* marks an entry a run does not have.",
    '',
    ...markdownTable(runsTable(comparison), 1),
    '',
  ];
  const notes = runNotes(comparison);
  if (notes.length) lines.push(...notes.map((n) => `- ${n}`), '');
  for (const group of comparison.groups) {
    const stem = `${svgPrefix}-${group.file.replace(/^bench\/entries\//, '').replace(/\.ts$/, '')}`;
    lines.push(`## ${group.file}`, '');
    const charts = [
      { kind: 'roofline', svg: rooflineChart(group, runs), alt: 'fraction of the roofline per entry' },
      { kind: 'speedup', svg: speedupChart(group, runs), alt: `speedup over ${first.label}` },
    ];
    for (const chart of charts) {
      if (!chart.svg) continue;
      svgs.push({ name: `${stem}-${chart.kind}.svg`, svg: chart.svg });
      lines.push(`![${group.file}: ${chart.alt}](${stem}-${chart.kind}.svg)`, '');
    }
    const kernels = kernelTable(group, runs);
    if (kernels) lines.push("Kernel time (median per run of the entry's dispatches):", '', ...markdownTable(kernels), '');
    const throughput = throughputTable(group, runs);
    if (throughput) lines.push('Throughput (host work, wall clock):', '', ...markdownTable(throughput), '');
  }
  return { markdown: lines.join('\n'), svgs };
}
