// `npm run bench -- --plot RECORDS --out FILE.png`: the bench's own figures (the JSON lines
// --record appended) drawn against N: time until all Ready, and peak memory of the
// worker, the Temporal server and both. Drawn as SVG, made a PNG by rsvg-convert
// (Debian's librsvg2-bin, installed by tools/install-packages.sh).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

export interface Record {
  count: number;
  objectsPerKustomization: number;
  secondsToAllReady: number;
  workerPeakMiB: number;
  serverPeakMiB: number;
}

interface Series {
  name: string;
  colour: string;
  points: [number, number][];
}

const width = 960;
const height = 420;
const margin = { left: 70, right: 20, top: 40, bottom: 50 };

/** The last record of each N, fleets of 4-object Kustomizations only. */
export function latestByCount(records: readonly Record[]): Record[] {
  const byCount = new Map<number, Record>();
  for (const record of records) if (record.objectsPerKustomization === 4) byCount.set(record.count, record);
  return [...byCount.values()].sort((a, b) => a.count - b.count);
}

function niceMax(value: number): number {
  const step = 10 ** Math.floor(Math.log10(value || 1));
  return Math.ceil(value / step) * step;
}

function panel(x0: number, title: string, unit: string, series: Series[], panelWidth: number): string {
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  const xMax = niceMax(Math.max(...xs));
  const yMax = niceMax(Math.max(...ys));
  const plotWidth = panelWidth - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const px = (x: number) => x0 + margin.left + (x / xMax) * plotWidth;
  const py = (y: number) => margin.top + plotHeight - (y / yMax) * plotHeight;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts = [
    `<text x="${x0 + panelWidth / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`,
    `<line x1="${px(0)}" y1="${py(0)}" x2="${px(xMax)}" y2="${py(0)}" stroke="#333"/>`,
    `<line x1="${px(0)}" y1="${py(0)}" x2="${px(0)}" y2="${py(yMax)}" stroke="#333"/>`,
    ...ticks.map((t) => `<text x="${px(0) - 6}" y="${py(t * yMax) + 4}" text-anchor="end" font-size="11">${Math.round(t * yMax)}</text><line x1="${px(0)}" y1="${py(t * yMax)}" x2="${px(xMax)}" y2="${py(t * yMax)}" stroke="#ddd"/>`),
    ...ticks.map((t) => `<text x="${px(t * xMax)}" y="${py(0) + 16}" text-anchor="middle" font-size="11">${Math.round(t * xMax)}</text>`),
    `<text x="${px(xMax / 2)}" y="${height - 12}" text-anchor="middle" font-size="12">Kustomizations applied at once (N)</text>`,
    `<text x="${x0 + 16}" y="${margin.top + plotHeight / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 + 16} ${margin.top + plotHeight / 2})">${unit}</text>`,
  ];
  series.forEach((s, i) => {
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ')}"/>`);
    for (const [x, y] of s.points) parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3.5" fill="${s.colour}"/>`);
    parts.push(`<rect x="${px(0) + 12}" y="${margin.top + 6 + i * 18}" width="12" height="3" fill="${s.colour}"/><text x="${px(0) + 30}" y="${margin.top + 11 + i * 18}" font-size="12">${s.name}</text>`);
  });
  return parts.join('\n');
}

export function scalingSvg(records: readonly Record[]): string {
  const points = (value: (r: Record) => number): [number, number][] => records.map((r) => [r.count, value(r)]);
  const half = width / 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    panel(0, 'Time until all Ready', 'seconds', [{ name: 'time until all Ready', colour: '#1f77b4', points: points((r) => r.secondsToAllReady) }], half),
    panel(
      half,
      'Peak memory (RSS)',
      'MiB',
      [
        { name: 'worker + Temporal server', colour: '#d62728', points: points((r) => r.workerPeakMiB + r.serverPeakMiB) },
        { name: 'worker', colour: '#2ca02c', points: points((r) => r.workerPeakMiB) },
        { name: 'Temporal dev server', colour: '#9467bd', points: points((r) => r.serverPeakMiB) },
      ],
      half,
    ),
    '</svg>',
    '',
  ].join('\n');
}

export function plot(recordsFile: string, pngFile: string): void {
  const records = latestByCount(readFileSync(recordsFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record));
  if (records.length === 0) throw new Error(`${recordsFile} holds no fleet records (npm run bench -- --count N --record ${recordsFile})`);
  const svgFile = pngFile.replace(/\.png$/, '') + '.svg';
  writeFileSync(svgFile, scalingSvg(records));
  execFileSync('rsvg-convert', ['--format', 'png', '--output', pngFile, svgFile]);
}
