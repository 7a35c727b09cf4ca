/**
 * The training chart (issue 16, item 4): loss over steps, and each expert group's share of the
 * routed selections over steps (averaged over the MoE layers), as one SVG file. Pure string
 * building; no tensors.
 *
 * @module
 */

/** One logged step. */
export interface HistoryRow {
  /** Step number (1-based). */
  step: number;
  /** Total loss. */
  loss: number;
  /** Cross-entropy part. */
  ce: number;
  /** Per MoE layer, selections per group (empty for dense models). */
  perGroup: number[][];
}

const W = 640;
const H = 220;
const PAD = 40;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

function polyline(xs: number[], ys: number[], x0: number, x1: number, y0: number, y1: number, top: number, color: string): string {
  const sx = (x: number) => PAD + ((x - x0) / Math.max(x1 - x0, 1e-12)) * (W - 2 * PAD);
  const sy = (y: number) => top + H - PAD - ((y - y0) / Math.max(y1 - y0, 1e-12)) * (H - 2 * PAD);
  const pts = xs.map((x, i) => `${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`;
}

function panel(title: string, top: number, xs: number[], series: { name: string; ys: number[] }[]): string {
  const all = series.flatMap((s) => s.ys).filter(Number.isFinite);
  const [y0, y1] = all.length ? [Math.min(...all), Math.max(...all)] : [0, 1];
  const [x0, x1] = [xs[0] ?? 0, xs[xs.length - 1] ?? 1];
  const lines = series.map((s, i) => polyline(xs, s.ys, x0, x1, y0, y1, top, COLORS[i % COLORS.length]));
  const legend = series.map((s, i) => `<text x="${W - PAD - 90}" y="${top + 20 + 14 * i}" font-size="11" fill="${COLORS[i % COLORS.length]}">${s.name}</text>`);
  return [
    `<text x="${PAD}" y="${top + 16}" font-size="13">${title}</text>`,
    `<rect x="${PAD}" y="${top + PAD}" width="${W - 2 * PAD}" height="${H - 2 * PAD}" fill="none" stroke="#ccc"/>`,
    `<text x="4" y="${top + PAD + 4}" font-size="10">${y1.toPrecision(4)}</text>`,
    `<text x="4" y="${top + H - PAD}" font-size="10">${y0.toPrecision(4)}</text>`,
    `<text x="${PAD}" y="${top + H - PAD + 14}" font-size="10">step ${x0}</text>`,
    `<text x="${W - PAD - 40}" y="${top + H - PAD + 14}" font-size="10">${x1}</text>`,
    ...lines, ...legend,
  ].join('\n');
}

/**
 * An SVG with the loss curves (total and cross-entropy) and, for MoE models, each group's share of
 * the selections (1/G each when balanced) averaged over layers.
 */
export function trainingSvg(rows: readonly HistoryRow[]): string {
  const xs = rows.map((r) => r.step);
  const parts = [panel('loss', 0, xs, [{ name: 'loss', ys: rows.map((r) => r.loss) }, { name: 'cross-entropy', ys: rows.map((r) => r.ce) }])];
  const G = rows[0]?.perGroup[0]?.length ?? 0;
  if (G > 0) {
    const share = (r: HistoryRow, g: number) => r.perGroup.reduce((s, layer) => s + layer[g] / Math.max(layer.reduce((a, b) => a + b, 0), 1), 0) / r.perGroup.length;
    parts.push(panel(`expert load per group (share of selections, mean over ${rows[0].perGroup.length} MoE layers)`, H, xs,
      Array.from({ length: G }, (_, g) => ({ name: `group ${g}`, ys: rows.map((r) => share(r, g)) }))));
  }
  const height = G > 0 ? 2 * H : H;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}
