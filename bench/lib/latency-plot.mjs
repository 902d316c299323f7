/**
 * docs/search-latency.svg: hybrid search latency against store size (both axes logarithmic), storage
 * (through the HNSW index where the run measured it, as the api searches by default) and REST, p50 and
 * p99, drawn straight from a bench run's numbers as plain SVG.
 */
import { writeFileSync } from 'node:fs';

const WIDTH = 640;
const HEIGHT = 380;
const MARGIN = { left: 64, right: 170, top: 36, bottom: 48 };
/** The storage figures of the default path: through the HNSW index where the run measured it. */
const defaultPath = (s) => s.storage.ann ?? s.storage;
const SERIES = [
  { label: 'storage hybrid p50', colour: '#1f77b4', dash: '', value: (s) => defaultPath(s).hybrid.p50 },
  { label: 'storage hybrid p99', colour: '#1f77b4', dash: '6 4', value: (s) => defaultPath(s).hybrid.p99 },
  { label: 'REST hybrid p50', colour: '#d62728', dash: '', value: (s) => s.rest.latency.p50 },
  { label: 'REST hybrid p99', colour: '#d62728', dash: '6 4', value: (s) => s.rest.latency.p99 },
];

export function writeLatencyPlot(run, path) {
  writeFileSync(path, renderLatencyPlot(run));
}

export function renderLatencyPlot(run) {
  const sizes = run.search.map((s) => s.memories);
  const values = run.search.flatMap((s) => SERIES.map((series) => series.value(s)));
  const [xMin, xMax] = decades(Math.min(...sizes), Math.max(...sizes));
  const [yMin, yMax] = decades(Math.min(...values), Math.max(...values));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v) => MARGIN.left + (Math.log10(v / xMin) / Math.log10(xMax / xMin)) * plotWidth;
  const y = (v) => MARGIN.top + plotHeight - (Math.log10(v / yMin) / Math.log10(yMax / yMin)) * plotHeight;
  const f = (v) => v.toFixed(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14">Hybrid search latency (limit 10) by store size, ${run.machine.cores} cores, ${run.date.slice(0, 10)}</text>`,
  ];
  for (let v = xMin; v <= xMax; v *= 10) {
    parts.push(
      `<line x1="${f(x(v))}" y1="${MARGIN.top}" x2="${f(x(v))}" y2="${MARGIN.top + plotHeight}" stroke="#dddddd"/>`,
      `<text x="${f(x(v))}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${count(v)}</text>`,
    );
  }
  for (let v = yMin; v <= yMax; v *= 10) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${f(y(v))}" x2="${MARGIN.left + plotWidth}" y2="${f(y(v))}" stroke="#dddddd"/>`,
      `<text x="${MARGIN.left - 8}" y="${f(y(v) + 4)}" text-anchor="end">${v} ms</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888888"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 10}" text-anchor="middle">memories in the store</text>`,
  );
  SERIES.forEach((series, i) => {
    const points = run.search.map((s) => `${f(x(s.memories))},${f(y(series.value(s)))}`);
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${series.colour}" stroke-width="2" stroke-dasharray="${series.dash}"/>`,
      ...run.search.map(
        (s) =>
          `<circle cx="${f(x(s.memories))}" cy="${f(y(series.value(s)))}" r="3" fill="${series.colour}"><title>${series.label}, ${count(s.memories)}: ${series.value(s)} ms</title></circle>`,
      ),
    );
    const legendY = MARGIN.top + 14 + i * 20;
    const legendX = MARGIN.left + plotWidth + 14;
    parts.push(
      `<line x1="${legendX}" y1="${legendY - 4}" x2="${legendX + 24}" y2="${legendY - 4}" stroke="${series.colour}" stroke-width="2" stroke-dasharray="${series.dash}"/>`,
      `<text x="${legendX + 30}" y="${legendY}">${series.label}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** The powers of ten around [min, max]. */
function decades(min, max) {
  return [10 ** Math.floor(Math.log10(min)), 10 ** Math.ceil(Math.log10(max))];
}

function count(value) {
  return value >= 1_000_000 ? `${value / 1_000_000}M` : value >= 1_000 ? `${value / 1_000}k` : String(value);
}
