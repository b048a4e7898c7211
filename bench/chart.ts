// bench/chart.svg: W1 and W2 against state size, two log-log panels, drawn by hand (no library).

export interface Series {
  readonly name: string;
  readonly color: string;
  /** [state size, value] pairs; values ≤ 0 or missing are left out. */
  readonly points: readonly (readonly [number, number | undefined])[];
  /** A short remark written at the line's last point. */
  readonly note?: string;
}

export interface Panel {
  readonly title: string;
  readonly subtitle: string;
  /** What the values are in: microseconds or milliseconds (tick labels use the fitting unit). */
  readonly unit: 'µs' | 'ms';
  readonly series: readonly Series[];
  readonly target?: { readonly value: number; readonly label: string };
}

export const COLORS = { ours: '#1c7ed6', immer: '#e8590c', crawlee: '#2f9e44', target: '#e03131' } as const;

const PANEL_W = 500;
const H = 440;
const PLOT = { left: 70, right: 26, top: 126, bottom: 62 };
const FONT = `system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif`;

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n = (v: number): string => (Math.round(v * 10) / 10).toString();

/** A duration in seconds as "100 µs", "1 ms", "10 s". */
function durationLabel(seconds: number): string {
  const units: [number, string][] = [
    [1, 's'],
    [1e-3, 'ms'],
    [1e-6, 'µs'],
    [1e-9, 'ns'],
  ];
  for (const [scale, unit] of units) {
    if (seconds >= scale * 0.999) return `${Number((seconds / scale).toPrecision(3))} ${unit}`;
  }
  return `${seconds.toExponential(0)} s`;
}

const sizeLabel = (size: number): string => (size >= 1e6 ? `${size / 1e6}M` : size >= 1e3 ? `${size / 1e3}k` : String(size));

function panel(p: Panel, dx: number): string {
  const toSeconds = p.unit === 'µs' ? 1e-6 : 1e-3;
  const xs = [...new Set(p.series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
  const ys = p.series.flatMap((s) => s.points.map(([, y]) => y ?? 0)).filter((y) => y > 0);
  if (p.target) ys.push(p.target.value);
  const x0 = Math.log10(xs[0]!) - 0.12;
  const x1 = Math.log10(xs[xs.length - 1]!) + 0.12;
  const y0 = Math.floor(Math.log10(Math.min(...ys)));
  const y1 = Math.ceil(Math.log10(Math.max(...ys)) + 0.05);
  const left = dx + PLOT.left;
  const right = dx + PANEL_W - PLOT.right;
  const top = PLOT.top;
  const bottom = H - PLOT.bottom;
  const px = (x: number): number => left + ((Math.log10(x) - x0) / (x1 - x0)) * (right - left);
  const py = (y: number): number => bottom - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * (bottom - top);
  const out: string[] = [];

  out.push(`<text x="${n(dx + PLOT.left)}" y="34" font-size="15" font-weight="600" fill="#212529">${esc(p.title)}</text>`);
  out.push(`<text x="${n(dx + PLOT.left)}" y="54" font-size="12" fill="#868e96">${esc(p.subtitle)}</text>`);

  // Legend under the subtitle, wrapped onto a second row when the panel is too narrow.
  const items = [
    ...p.series.map((s) => ({ label: s.name, color: s.color, dashed: false })),
    ...(p.target ? [{ label: 'target', color: COLORS.target, dashed: true }] : []),
  ];
  let lx = left;
  let ly = 78;
  for (const item of items) {
    const width = 26 + item.label.length * 6.6 + 16;
    if (lx > left && lx + width > right) {
      lx = left;
      ly += 19;
    }
    if (item.dashed) {
      out.push(`<line x1="${n(lx)}" x2="${n(lx + 18)}" y1="${ly}" y2="${ly}" stroke="${item.color}" stroke-width="1.5" stroke-dasharray="4 3"/>`);
    } else {
      out.push(`<line x1="${n(lx)}" x2="${n(lx + 18)}" y1="${ly}" y2="${ly}" stroke="${item.color}" stroke-width="2.5" stroke-linecap="round"/>`);
      out.push(`<circle cx="${n(lx + 9)}" cy="${ly}" r="3.5" fill="${item.color}" stroke="#fff" stroke-width="1.2"/>`);
    }
    out.push(`<text x="${n(lx + 24)}" y="${ly + 4}" font-size="12" fill="#343a40">${esc(item.label)}</text>`);
    lx += width;
  }

  // Grid: decades (and light 2–9 lines), and one vertical line per measured size.
  out.push(`<rect x="${n(left)}" y="${n(top)}" width="${n(right - left)}" height="${n(bottom - top)}" fill="#fcfcfd" stroke="none"/>`);
  for (let e = y0; e <= y1; e++) {
    for (let m = 2; m <= 9 && e < y1; m++) {
      const y = py(m * 10 ** e);
      out.push(`<line x1="${n(left)}" x2="${n(right)}" y1="${n(y)}" y2="${n(y)}" stroke="#f1f3f5" stroke-width="1"/>`);
    }
  }
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${n(left)}" x2="${n(right)}" y1="${n(y)}" y2="${n(y)}" stroke="#dee2e6" stroke-width="1"/>`);
    out.push(`<text x="${n(left - 8)}" y="${n(y + 4)}" text-anchor="end" font-size="11" fill="#495057">${esc(durationLabel(10 ** e * toSeconds))}</text>`);
  }
  for (const x of xs) {
    out.push(`<line x1="${n(px(x))}" x2="${n(px(x))}" y1="${n(top)}" y2="${n(bottom)}" stroke="#f1f3f5" stroke-width="1"/>`);
    out.push(`<line x1="${n(px(x))}" x2="${n(px(x))}" y1="${n(bottom)}" y2="${n(bottom + 5)}" stroke="#868e96" stroke-width="1"/>`);
    out.push(`<text x="${n(px(x))}" y="${n(bottom + 19)}" text-anchor="middle" font-size="11" fill="#495057">${sizeLabel(x)}</text>`);
  }
  out.push(`<line x1="${n(left)}" x2="${n(right)}" y1="${n(bottom)}" y2="${n(bottom)}" stroke="#868e96" stroke-width="1"/>`);
  out.push(`<line x1="${n(left)}" x2="${n(left)}" y1="${n(top)}" y2="${n(bottom)}" stroke="#868e96" stroke-width="1"/>`);

  // Axis titles.
  out.push(`<text x="${n((left + right) / 2)}" y="${n(H - 18)}" text-anchor="middle" font-size="12" fill="#343a40">entries in the state (log scale)</text>`);
  out.push(
    `<text transform="translate(${n(dx + 18)} ${n((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="12" fill="#343a40">${esc(p.unit === 'µs' ? 'time per update (log scale)' : 'time to durable, median (log scale)')}</text>`,
  );

  // Target.
  if (p.target) {
    const y = py(p.target.value);
    out.push(`<line x1="${n(left)}" x2="${n(right)}" y1="${n(y)}" y2="${n(y)}" stroke="${COLORS.target}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${n(right - 4)}" y="${n(y - 5)}" text-anchor="end" font-size="11" fill="${COLORS.target}">${esc(p.target.label)}</text>`);
  }

  // Lines, then points on top.
  for (const s of p.series) {
    const pts = s.points.filter(([, y]) => y !== undefined && y > 0).map(([x, y]) => [px(x), py(y!)] as const);
    if (pts.length === 0) continue;
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round" points="${pts.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}"/>`,
    );
    for (const [x, y] of pts) out.push(`<circle cx="${n(x)}" cy="${n(y)}" r="3.8" fill="${s.color}" stroke="#fff" stroke-width="1.4"/>`);
    if (s.note) {
      const [x, y] = pts[pts.length - 1]!;
      out.push(`<text x="${n(x - 6)}" y="${n(y - 10)}" text-anchor="end" font-size="10.5" font-style="italic" fill="${s.color}">${esc(s.note)}</text>`);
    }
  }
  return out.join('\n');
}

/** The whole SVG: two panels side by side. */
export function chart(left: Panel, right: Panel, caption: string): string {
  const width = 2 * PANEL_W + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 18}" viewBox="0 0 ${width} ${H + 18}" font-family="${FONT}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    panel(left, 0),
    panel(right, PANEL_W + 20),
    `<line x1="${PANEL_W + 10}" x2="${PANEL_W + 10}" y1="20" y2="${H - 20}" stroke="#e9ecef" stroke-width="1"/>`,
    `<text x="${PLOT.left}" y="${H + 8}" font-size="10.5" fill="#868e96">${esc(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
