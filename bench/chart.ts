// A two-panel SVG (W1 update, W2 persist) against state size, log-log, drawn by hand.
import type { Row } from './harness.js';

const COLORS = ['#3b5bdb', '#e8590c', '#2b8a3e', '#862e9c'];
const W = 460;
const H = 320;
const M = { left: 72, right: 20, top: 40, bottom: 48 };

const short = (v: number): string => (v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : v >= 1 ? String(v) : v.toPrecision(1));

function panel(title: string, unit: string, rows: readonly Row[], dx: number): string {
  const impls = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => k !== 'size')))];
  const xs = rows.map((r) => r.size);
  const ys = rows.flatMap((r) => impls.map((i) => r[i]!)).filter((v) => v > 0);
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const [y0, y1] = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))];
  const px = (v: number) => dx + M.left + ((Math.log10(v) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (v: number) => M.top + (1 - (Math.log10(v) - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const parts: string[] = [`<text x="${dx + W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${title}</text>`];
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    parts.push(`<line x1="${dx + M.left}" x2="${dx + W - M.right}" y1="${y}" y2="${y}" stroke="#e9ecef"/>`);
    parts.push(`<text x="${dx + M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#555">${short(10 ** e)}</text>`);
  }
  for (const x of xs) {
    parts.push(`<text x="${px(x)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11" fill="#555">${short(x)}</text>`);
  }
  parts.push(`<text x="${dx + W / 2}" y="${H - 10}" text-anchor="middle" font-size="12" fill="#333">entries in the state</text>`);
  parts.push(`<text transform="translate(${dx + 22} ${H / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#333">${unit} (log)</text>`);
  impls.forEach((impl, n) => {
    const points = rows.filter((r) => (r[impl] ?? 0) > 0).map((r) => `${px(r.size).toFixed(1)},${py(r[impl]!).toFixed(1)}`);
    const color = COLORS[n % COLORS.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${points.join(' ')}"/>`);
    for (const p of points) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${dx + M.left + 8}" y="${M.top + 6 + n * 16}" width="10" height="10" fill="${color}"/><text x="${dx + M.left + 24}" y="${M.top + 15 + n * 16}" font-size="11">${impl}</text>`);
  });
  return parts.join('\n');
}

export function chart(w1: readonly Row[], w2: readonly Row[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H}" viewBox="0 0 ${2 * W} ${H}" font-family="system-ui, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    panel('W1: update one key and read it back', 'µs per update', w1, 0),
    panel('W2: update one key until durable', 'ms, median', w2, W),
    '</svg>',
  ].join('\n');
}
