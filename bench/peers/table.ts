// The peer comparison of a bench result (the rows of bench/entries/peers.ts): per model and R, each
// implementation's replica-steps per second and its ratio to onelayer's, as the CLI prints it and the bench page
// shows it. Computed from the result alone, so a saved JSON gives the same table.
import { adapterLine, type AdapterReport } from '../../src/runtime/device';
import { formatRate, formatSpeedup } from '../format';
import type { BenchResult, EntryResult } from '../types';
import { parsePeerRowName, PEER_UNIT, type PeerModelName } from './rows';

export interface PeerComparisonRow {
  model: PeerModelName;
  replicas: number;
  /** 'onelayer' or a peer, 'tfjs-wasm'. */
  implementation: string;
  shape: string;
  /** Replica-steps per second. */
  perSecond: number;
  /** perSecond over onelayer's at the same model and R (above 1: faster than onelayer); null without onelayer's row. */
  ratio: number | null;
}

/** The peer rows among `entries`, in run order, each with its ratio to onelayer. */
export function peerComparison(entries: EntryResult[]): PeerComparisonRow[] {
  const rows: PeerComparisonRow[] = [];
  for (const entry of entries) {
    const key = parsePeerRowName(entry.name);
    if (!key || entry.hostWork?.unit !== PEER_UNIT) continue;
    rows.push({ ...key, shape: entry.shape, perSecond: entry.hostWork.perSecond, ratio: null });
  }
  for (const row of rows) {
    const onelayer = rows.find((o) => o.implementation === 'onelayer' && o.model === row.model && o.replicas === row.replicas);
    row.ratio = onelayer ? row.perSecond / onelayer.perSecond : null;
  }
  return rows;
}

export const PEER_COLUMNS = [
  { header: 'model', numeric: false },
  { header: 'R', numeric: true },
  { header: 'implementation', numeric: false },
  { header: `${PEER_UNIT}/s`, numeric: true },
  { header: 'ratio to onelayer', numeric: true },
];

/** One row's cells in PEER_COLUMNS order. */
export function peerCells(row: PeerComparisonRow): string[] {
  return [row.model, String(row.replicas), row.implementation, formatRate(row.perSecond), formatSpeedup(row.ratio)];
}

/** What the table's numbers mean: the adapter, the TF.js version and each model's shape, as the rows name them. */
export function peerTableHeading(adapter: AdapterReport, entries: EntryResult[]): string[] {
  const comparison = peerComparison(entries);
  const version = comparison.map((r) => /TF\.js (\S+)$/.exec(r.shape)?.[1]).find((v) => v !== undefined);
  // The rows of a model share its shape up to the host-work note.
  const shapes = new Map(comparison.map((r) => [r.model, r.shape.replace(/;.*$/, '')]));
  return [
    `peers: the same training steps in onelayer and in TensorFlow.js${version ? ` ${version}` : ''}, in the same page; adapter: ${adapterLine(adapter)}`,
    `${PEER_UNIT}/s: steps × R per second (a peer steps its R models one after another); ratio: that rate over onelayer's at the same model and R (below ×1: slower than onelayer)`,
    ...[...shapes].map(([model, shape]) => `${model}: ${shape}`),
  ];
}

/** The comparison as text (what `onelayer bench --peers` prints after the bench's table); empty without peer rows. */
export function formatPeerTable(result: BenchResult): string {
  const rows = peerComparison(result.entries).map(peerCells);
  if (rows.length === 0) return '';
  const headers = PEER_COLUMNS.map((c) => c.header);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const render = (cells: string[]) => cells.map((c, i) => (PEER_COLUMNS[i].numeric ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [...peerTableHeading(result.adapter, result.entries), '', render(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render)].join('\n');
}
