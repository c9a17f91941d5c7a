// The scale bench's chart, dependency-free SVG: per query, one bar per table size (its p50, on a
// log scale so 1 ms and 2 s fit together), with each query's budget (its row's) marked as a dashed line.
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const COLORS = ['#9ec5e8', '#4a78b5', '#1d3f73', '#0b1f3d'];
const sizeLabel = (n) =>
  n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);

export function renderScaleChart(meta, rows) {
  const sizes = meta.sizes;
  const barHeight = 11;
  const groupHeight = sizes.length * barHeight + 14;
  const left = 230;
  const width = 860;
  const plot = width - left - 80;
  const top = 50;
  const height = top + rows.length * groupHeight + 50;
  const values = rows.flatMap((r) => sizes.map((s) => r.bySize[s]?.p50).filter((v) => typeof v === 'number'));
  const lo = 0.5;
  const hi = Math.max(100, ...values) * 1.2;
  const x = (v) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plot;
  const ticks = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].filter((t) => t <= hi);
  const groups = rows.map((row, i) => {
    const y = top + i * groupHeight;
    const limit = row.budget;
    const bars = sizes.map((size, j) => {
      const r = row.bySize[size];
      const by = y + 4 + j * barHeight;
      if (!r || r.status !== 200)
        return `<text x="${left + 4}" y="${by + 9}" font-size="10" fill="#a00">${sizeLabel(size)}: ${r ? `answered ${r.status}` : 'not run'}</text>`;
      return [
        `<rect x="${left}" y="${by}" width="${Math.max(1, x(r.p50) - left)}" height="${barHeight - 2}" fill="${COLORS[j % COLORS.length]}"/>`,
        `<text x="${x(r.p50) + 4}" y="${by + 9}" font-size="10">${r.p50.toFixed(r.p50 < 10 ? 1 : 0)} ms</text>`,
      ].join('');
    });
    return [
      `<text x="${left - 10}" y="${y + groupHeight / 2 + 2}" text-anchor="end" font-size="13">${escape(row.title)}</text>`,
      ...bars,
      `<line x1="${x(limit)}" x2="${x(limit)}" y1="${y + 2}" y2="${y + groupHeight - 8}" stroke="#c00" stroke-width="1.5" stroke-dasharray="4 2"/>`,
    ].join('');
  });
  const legend = sizes
    .map(
      (s, j) =>
        `<rect x="${left + j * 90}" y="30" width="12" height="10" fill="${COLORS[j % COLORS.length]}"/><text x="${left + j * 90 + 16}" y="39" font-size="11">${sizeLabel(s)} items</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="14" font-weight="bold">GET /api/v1/items p50 by table size, ${escape(meta.date.slice(0, 10))} (ms, log scale; dashed red: the goal's budget at 1M)</text>
${legend}
${ticks.map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="${top}" y2="${height - 36}" stroke="#ddd"/><text x="${x(t)}" y="${height - 22}" font-size="11" text-anchor="middle">${t}</text>`).join('\n')}
${groups.join('\n')}
</svg>
`;
}
