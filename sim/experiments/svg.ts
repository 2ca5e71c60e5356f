// sim/experiments/svg.ts — slowdown plots in the Homa paper's form: slowdown (log scale)
// against message size, the x axis spaced by the message-count CDF so each tenth of the
// messages gets a tenth of the width; one solid P99 curve per configuration, with its
// median dashed in the same colour.

import type { BucketStats } from './metrics.ts';

export interface PlotSeries {
  readonly label: string;
  readonly buckets: readonly BucketStats[];
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 720;
const H = 420;
const M = { left: 64, right: 150, top: 40, bottom: 70 };

export function formatBytes(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toPrecision(3)}K`;
  return `${n}`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slowdownPlot(title: string, series: readonly PlotSeries[]): string {
  const values = series.flatMap((s) => s.buckets.flatMap((b) => [b.p99, b.p50])).filter((v) => Number.isFinite(v));
  const yMax = Math.max(2, ...values);
  const decades = niceTicks(yMax);
  const top = decades[decades.length - 1]!;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (cdf: number): number => M.left + cdf * pw;
  const y = (v: number): number => M.top + ph - (Math.log10(Math.max(v, 1)) / Math.log10(top)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  // Y axis: log ticks.
  for (const t of decades) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`);
  }
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">slowdown (log)</text>`);
  // X axis: bucket boundaries labelled with the largest size in the bucket.
  const ref = series[0]?.buckets ?? [];
  out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="black"/>`);
  for (const b of ref) {
    const xe = x(b.cdfEnd).toFixed(1);
    out.push(`<line x1="${xe}" x2="${xe}" y1="${M.top + ph}" y2="${M.top + ph + 5}" stroke="black"/>`);
    out.push(`<text transform="translate(${xe} ${M.top + ph + 10}) rotate(45)" font-size="10">${formatBytes(b.maxSize)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">message size (bytes; spaced by share of messages)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    for (const [key, dash] of [['p99', ''], ['p50', ' stroke-dasharray="5 4"']] as const) {
      const pts = s.buckets.filter((b) => Number.isFinite(b[key])).map((b) => `${x((b.cdfStart + b.cdfEnd) / 2).toFixed(1)},${y(b[key]).toFixed(1)}`);
      if (pts.length === 0) continue;
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.join(' ')}"/>`);
      if (key === 'p99') for (const p of pts) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${color}"/>`);
    }
    const ly = M.top + 16 + i * 36;
    out.push(`<line x1="${M.left + pw + 12}" x2="${M.left + pw + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${M.left + pw + 40}" y="${ly + 4}">${esc(s.label)} P99</text>`);
    out.push(`<line x1="${M.left + pw + 12}" x2="${M.left + pw + 36}" y1="${ly + 16}" y2="${ly + 16}" stroke="${color}" stroke-width="2" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${M.left + pw + 40}" y="${ly + 20}">${esc(s.label)} median</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** 1, 2, 5, 10, 20, 50, ... up to the first tick >= max. */
function niceTicks(max: number): number[] {
  const ticks: number[] = [];
  for (let d = 1; ; d *= 10) {
    for (const m of [1, 2, 5]) {
      ticks.push(m * d);
      if (m * d >= max) return ticks;
    }
  }
}
