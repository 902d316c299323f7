import { html, svg, SVGTemplateResult, TemplateResult } from 'lit';

/**
 * Small inline SVG charts (no library, no CDN). Each is an image with a text label that states its
 * figures, so a screen reader gets the same information the picture gives.
 */

const WIDTH = 320;
const HEIGHT = 96;
const PAD = 4;

export interface Series {
  values: (number | null)[];
  /** A CSS class naming the colour (chart-line-a, chart-line-b). */
  className: string;
}

/** Lines over equally spaced points; gaps where a value is null. */
export function lineChart(label: string, series: Series[]): TemplateResult {
  const all = series.flatMap((entry) => entry.values.filter((value): value is number => value !== null));
  const max = Math.max(...all, 0) || 1;
  const count = Math.max(...series.map((entry) => entry.values.length), 2);
  const x = (i: number) => PAD + (i * (WIDTH - 2 * PAD)) / (count - 1);
  const y = (value: number) => HEIGHT - PAD - (value / max) * (HEIGHT - 2 * PAD);
  const paths = series.map(({ values, className }) => {
    let d = '';
    values.forEach((value, i) => {
      if (value === null) return;
      d += `${d === '' || values[i - 1] === null ? 'M' : 'L'}${x(i).toFixed(1)},${y(value).toFixed(1)} `;
    });
    // A point with no neighbour draws no line: it gets a dot.
    const lonely = values.flatMap((value, i) =>
      value !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null
        ? [svg`<circle class=${`chart-dot ${className}`} cx=${x(i).toFixed(1)} cy=${y(value).toFixed(1)} r="3" />`]
        : [],
    );
    return svg`<path class=${`chart-line ${className}`} d=${d.trim()} />${lonely}`;
  });
  return frame(label, svg`${baseline()}${paths}`);
}

/** Vertical bars, one per value. */
export function columnChart(label: string, values: number[]): TemplateResult {
  const max = Math.max(...values, 0) || 1;
  const slot = (WIDTH - 2 * PAD) / Math.max(values.length, 1);
  const bars = values.map((value, i) => {
    const height = (value / max) * (HEIGHT - 2 * PAD);
    return svg`<rect class="chart-bar" x=${(PAD + i * slot + slot * 0.15).toFixed(1)} y=${(HEIGHT - PAD - height).toFixed(1)}
      width=${(slot * 0.7).toFixed(1)} height=${height.toFixed(1)} />`;
  });
  return frame(label, svg`${baseline()}${bars}`);
}

/** Horizontal bars with their names and counts as text beside them (types, tags). */
export function barList(label: string, entries: { name: string; count: number }[]): TemplateResult {
  const max = Math.max(...entries.map((entry) => entry.count), 1);
  const row = 22;
  const height = Math.max(entries.length * row, row);
  const bars = entries.map((entry, i) => {
    const width = Math.max((entry.count / max) * (WIDTH - 150), 2);
    return svg`<text class="chart-text" x="0" y=${i * row + 15}>${truncate(entry.name, 16)}</text>
      <rect class="chart-bar" x="118" y=${i * row + 4} width=${width.toFixed(1)} height="14" rx="2" />
      <text class="chart-text" x=${(122 + width).toFixed(1)} y=${i * row + 15}>${entry.count}</text>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label=${label}>
    <title>${label}</title>
    ${bars}
  </svg>`;
}

function frame(label: string, content: SVGTemplateResult): TemplateResult {
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label=${label}>
    <title>${label}</title>
    ${content}
  </svg>`;
}

function baseline(): SVGTemplateResult {
  return svg`<line class="chart-axis" x1=${PAD} y1=${HEIGHT - PAD} x2=${WIDTH - PAD} y2=${HEIGHT - PAD} />`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
