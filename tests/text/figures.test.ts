// The text presets' figures without a GPU: the SVG heat map (cells where and what colour they claim, masked cells
// grey, labels on both axes), the attention maps drawn from a run's artifacts (steps in order, at most eight, the
// sentence's words escaped), and the loss figure's unigram-entropy line from the analysis table.
import { describe, expect, it } from 'vitest';
import { heatMapChart } from '../../src/report/svg';
import { drawFigure } from '../../src/cli/figures';
import { findPreset } from '../../src/models/registry';
import type { ArtifactsByStep, MetricRecord } from '../../src/engine/types';
import { attentionMapsSvg } from '../../src/models/transformer/presets/text';

const rects = (svg: string) => [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="12" height="12" fill="([^"]+)"\/>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), fill: m[3] }));

describe('text figures', () => {
  it('heat map: a cell per value, row-major, viridis ends at the range, NaN grey, labels on both axes', () => {
    const svg = heatMapChart([{ title: 'm', rowLabels: ['a', 'b'], colLabels: ['x', 'y', 'z'], values: [[0, 0.5, NaN], [1, 0.25, 0]], range: [0, 1] }]);
    const cells = rects(svg);
    expect(cells).toHaveLength(5);
    expect(cells[1].x - cells[0].x).toBe(12);
    expect([cells[2].x - cells[0].x, cells[2].y - cells[0].y]).toEqual([0, 12]);
    expect(cells.map((c) => c.fill)).toEqual(['rgb(68,1,84)', 'rgb(33,145,140)', 'rgb(253,231,37)', 'rgb(59,82,139)', 'rgb(68,1,84)']);
    // The masked cell is the grey background under the grid.
    expect(svg).toMatch(/<rect x="[\d.]+" y="[\d.]+" width="36" height="24" fill="#e6e6e6"\/>/);
    for (const label of ['a', 'b', 'x', 'y', 'z']) expect(svg).toContain(`>${label}</text>`);
    expect(svg).not.toContain('NaN');
  });

  it('attention maps from artifacts: steps in order, at most eight, causal future grey, words escaped', () => {
    const T = 3;
    const artifacts: ArtifactsByStep = new Map();
    for (let step = 0; step <= 1000; step += 100) {
      const map = [[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]];
      artifacts.set(step, { attention: { labels: ['<unk>', 'a&b', '.'], causal: true, maps: [[[map]]] } });
    }
    const svg = attentionMapsSvg(artifacts, 0, 0)!;
    expect(svg.match(/>step (\d+)</g)).toEqual(['>step 0<', '>step 100<', '>step 300<', '>step 400<', '>step 600<', '>step 700<', '>step 900<', '>step 1000<']);
    expect(svg).toContain('>&lt;unk&gt;</text>');
    expect(svg).toContain('>a&amp;b</text>');
    const cells = rects(svg);
    // The causal future (3 of the 9 cells) is left to the grey background.
    expect(cells).toHaveLength(8 * (T * T - 3));
    expect(attentionMapsSvg(artifacts, 0, 1)).toBeNull();
    expect(attentionMapsSvg(new Map(), 0, 0)).toBeNull();
  });

  it('every text preset draws its figures; loss.svg has the unigram entropy of the corpus table', () => {
    const metrics: MetricRecord[] = [0, 10, 20].flatMap((step) => [0, 1].map((replica) => ({
      step, replica, loss: 5 - step / 10, evalLoss: 5.5 - step / 10, perplexity: Math.exp(5.5 - step / 10),
      'entropy.l0': 2 - step / 20, 'change.l0': 0.5, 'moved.l0': 0.25, 'entropy.l1': 2, 'change.l1': 0.1, 'moved.l1': 0, 'entropy.l2': 2, 'change.l2': 0.1, 'moved.l2': 0,
    })));
    const tables = {
      corpus: { columns: ['V', 'trainTokens', 'validTokens', 'unigramEntropy', 'unknownFraction'], rows: [[2000, 1000827, 123945, 4.9, 0.19]] },
      evaluation: { columns: ['replica', 'lr', 'lrFfn', 'evalLoss', 'perplexity', 'entropy.l0'], rows: [[0, 1, 2, 4, 54, 1.5], [1, 5, 10, 3.9, 49, 0.9]] },
    };
    const artifacts: ArtifactsByStep = new Map([[0, { attention: { labels: ['a', 'b'], causal: true, maps: [[[[[1, 0], [0.5, 0.5]]]], [[[[1, 0], [0.5, 0.5]]]]] } }]]);
    for (const name of ['text-1layer', 'text-3layer', 'text-lr', 'text-small']) {
      for (const spec of findPreset(name)!.figures.filter((f) => !/attention-l[12]/.test(f.file))) {
        const { svg, skipped } = drawFigure(spec, metrics, tables, artifacts);
        expect(skipped, `${name} ${spec.file}`).toBeUndefined();
        expect(svg!.startsWith('<svg'), `${name} ${spec.file}`).toBe(true);
        if (spec.file === 'loss.svg') expect(svg).toContain('>unigram entropy</text>');
      }
    }
    // text-3layer draws a map per layer only where the artifacts have that layer.
    expect(drawFigure(findPreset('text-3layer')!.figures.find((f) => f.file === 'attention-l2.svg')!, metrics, tables, artifacts).skipped).toMatch(/attention-l2/);
  });
});
