// A dependency-free SVG bar chart: one bar per scenario (its median ratio to the baseline, with
// a min–max whisker) and the scenario's target marked as a vertical line.
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Short row labels; a scenario without one shows its title. */
const LABELS = {
  'items-get-cached': 'GET /items/:id, cached',
  'items-list': 'GET /items?limit=20, uncached',
  'items-create': 'POST /items (report)',
  login: 'login (bcrypt bound)',
  'export-100k': 'CSV export, 100k rows',
  'upload-200mb': 'upload, 200 MB',
  'import-100k': 'CSV import, 100k rows (report)',
  'ws-fanout': 'WebSocket fan-out p99 (budget / p99)',
};

export function renderChart(results, date) {
  const rowHeight = 34;
  const left = 250;
  const width = 860;
  const plot = width - left - 70;
  const top = 46;
  const height = top + results.length * rowHeight + 40;
  const maxRatio = Math.max(1.2, ...results.map((r) => r.ratio.max), ...results.map((r) => r.target ?? 0));
  const x = (ratio) => left + (ratio / maxRatio) * plot;
  const rows = results.map((r, i) => {
    const y = top + i * rowHeight;
    const color = r.met === false ? '#d9534f' : r.met ? '#2e8b57' : '#4a78b5';
    return [
      `<text x="${left - 10}" y="${y + 18}" text-anchor="end" font-size="13">${escape(LABELS[r.name] ?? r.title)}</text>`,
      `<rect x="${left}" y="${y + 6}" width="${Math.max(1, x(r.ratio.median) - left)}" height="18" fill="${color}" rx="2"/>`,
      `<line x1="${x(r.ratio.min)}" x2="${x(r.ratio.max)}" y1="${y + 15}" y2="${y + 15}" stroke="#222" stroke-width="1.5"/>`,
      `<text x="${x(Math.max(r.ratio.max, r.ratio.median)) + 6}" y="${y + 19}" font-size="12">${r.ratio.median.toFixed(2)}</text>`,
      r.target === null
        ? ''
        : `<line x1="${x(r.target)}" x2="${x(r.target)}" y1="${y + 2}" y2="${y + 28}" stroke="#111" stroke-width="2" stroke-dasharray="4 2"/>`,
    ].join('');
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3].filter((t) => t <= maxRatio);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="14" font-weight="bold">App / baseline, ${escape(date)}: median of ${results[0]?.ratio.runs ?? ''} interleaved rounds, whiskers min–max, dashed line = target</text>
<text x="10" y="${height - 14}" font-size="11" fill="#555">green: met, red: missed, blue: report only</text>
${ticks.map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="${top}" y2="${height - 30}" stroke="#ddd"/><text x="${x(t)}" y="${height - 14}" font-size="11" text-anchor="middle">${t}</text>`).join('\n')}
${rows.join('\n')}
</svg>
`;
}
