/** A tiny dependency-free SVG line chart for the bench report. */
import type { Chart } from './harness.js';

const W = 640;
const H = 360;
const M = { l: 70, r: 150, t: 36, b: 48 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function scale(lo: number, hi: number, log: boolean, a: number, b: number): (v: number) => number {
  const f = (v: number) => (log ? Math.log10(v) : v);
  const [l, h] = [f(lo), f(hi) === f(lo) ? f(lo) + 1 : f(hi)];
  return (v) => a + ((f(v) - l) / (h - l)) * (b - a);
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out.filter((v) => v >= lo / 1.0001 && v <= hi * 1.0001);
  }
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 4 || 1));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(v);
  return out.length > 8 ? out.filter((_, i) => i % Math.ceil(out.length / 6) === 0) : out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Render a chart to an SVG string. */
export function renderSvg(c: Chart): string {
  const pts = c.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [c.logY ? Math.min(...ys) : Math.min(0, ...ys), Math.max(...ys)];
  const sx = scale(x0, x1, !!c.logX, M.l, W - M.r);
  const sy = scale(y0, y1, !!c.logY, H - M.b, M.t);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(c.title)}</text>`,
    `<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="black"/>`,
    `<line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="black"/>`,
    `<text x="${(M.l + W - M.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(c.xLabel)}</text>`,
    `<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${esc(c.yLabel)}</text>`,
  ];
  for (const t of ticks(x0, x1, !!c.logX)) {
    out.push(`<text x="${sx(t)}" y="${H - M.b + 16}" text-anchor="middle">${t >= 1e4 ? t.toExponential(0) : t}</text>`);
  }
  for (const t of ticks(y0, y1, !!c.logY)) {
    out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.l - 6}" y="${sy(t) + 4}" text-anchor="end">${+t.toPrecision(3)}</text>`);
  }
  c.series.forEach((s, i) => {
    const col = COLORS[i % COLORS.length];
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    out.push(`<polyline fill="none" stroke="${col}" stroke-width="2" points="${p.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')}"/>`);
    for (const [x, y] of p) out.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="3" fill="${col}"/>`);
    out.push(`<text x="${W - M.r + 10}" y="${M.t + 16 * i + 10}" fill="${col}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
