// The SVG chart helper maps data to the pixel positions it claims (checked on a known line), and drops
// non-finite points rather than emitting NaN coordinates.
import { describe, expect, it } from 'vitest';
import { lineChart, panelChart } from '../../src/report/svg';

function polylines(svg: string): number[][][] {
  return [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1].split(' ').map((p) => p.split(',').map(Number)));
}

describe('svg line charts', () => {
  it('places a straight line at proportional positions and keeps its legend', () => {
    const svg = lineChart({
      title: 'loss', xLabel: 'step', yLabel: 'loss',
      series: [{ name: 'a', x: [0, 1, 2], y: [0, 1, 2] }, { name: 'b', x: [0, 2], y: [2, 0] }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    const [a] = polylines(svg);
    expect(a).toHaveLength(3);
    // equal steps in data are equal steps in pixels, and y grows upwards
    expect(a[1][0] - a[0][0]).toBeCloseTo(a[2][0] - a[1][0], 1);
    expect(a[0][1] - a[1][1]).toBeCloseTo(a[1][1] - a[2][1], 1);
    expect(a[2][1]).toBeLessThan(a[0][1]);
    expect(svg).toContain('>a</text>');
    expect(svg).toContain('>b</text>');
  });

  it('skips NaN and non-positive values on a log axis', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', logY: true, series: [{ name: 's', x: [1, 2, 3, 4], y: [1, NaN, 0, 0.01] }] });
    const [s] = polylines(svg);
    expect(s).toHaveLength(2);
    expect(svg).not.toContain('NaN');
  });

  it('lays out panels in a grid', () => {
    const spec = { title: 'p', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [0, 1], y: [0, 1] }], width: 200, height: 100 };
    const svg = panelChart([spec, spec, spec], 2, 'grid');
    expect(svg).toMatch(/width="400" height="228"/);
    expect(svg.match(/<g transform/g)).toHaveLength(3);
  });
});
