// Time series (replicas, CPU, load): one chart per group, downsampled, with window bands.
import type { Journal } from '../../journal/schema.ts';
import { journalEndMs, toMs } from '../format.ts';
import { MAX_SERIES_POINTS, minMax, timeDomain, xEncoding, windowRows, windowLayers, base, type ChartSpec, type Row } from './layout.ts';

/**
 * Keep at most about `max` points, taking the lowest and highest of each time bucket so
 * spikes survive; the chart is a picture, the journal keeps every sample.
 */
export function downsample<P extends { t: number; value: number }>(points: P[], max: number): P[] {
  if (points.length <= max) return points;
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const buckets = Math.max(1, Math.floor(max / 2));
  const size = sorted.length / buckets;
  const out: P[] = [];
  for (let b = 0; b < buckets; b++) {
    const slice = sorted.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (slice.length === 0) continue;
    let lo = slice[0]!;
    let hi = slice[0]!;
    for (const p of slice) {
      if (p.value < lo.value) lo = p;
      if (p.value > hi.value) hi = p;
    }
    if (lo === hi) out.push(lo);
    else out.push(...(lo.t <= hi.t ? [lo, hi] : [hi, lo]));
  }
  return out;
}

export function seriesSpecs(journal: Journal): ChartSpec[] {
  const groups = new Map<string, Journal['series']>();
  for (const s of journal.series) {
    const list = groups.get(s.group) ?? [];
    list.push(s);
    groups.set(s.group, list);
  }
  const windows = windowRows(journal, journalEndMs(journal));
  const charts: ChartSpec[] = [];
  for (const [group, list] of groups) {
    const rows: Row[] = [];
    for (const s of list) {
      const points: { t: number; at: string; value: number }[] = [];
      for (const p of s.points) {
        const t = toMs(p.at);
        if (t === undefined || !Number.isFinite(p.value)) continue;
        points.push({ t, at: p.at, value: p.value });
      }
      for (const p of downsample(points, MAX_SERIES_POINTS)) {
        rows.push({ t: p.t, time: p.at, series: s.name, value: p.value, unit: s.unit });
      }
    }
    if (rows.length === 0) continue;
    const units = [...new Set(list.map((s) => s.unit).filter((u) => u !== ''))];
    const unitText = units.join(' / ');
    const yTitle = unitText === '' ? group : unitText === group ? group : `${group} (${unitText})`;
    // Only windows that overlap the data; a load window hours away would squash the plot.
    const times = rows.map((r) => r.t as number);
    const span = minMax(times);
    if (!span) continue;
    const shown = windows.filter((w) => (w.end as number) >= span.min && (w.start as number) <= span.max);
    const domain = timeDomain([...times, ...shown.flatMap((w) => [w.start as number, w.end as number])]);
    if (!domain) continue;
    const height = 260;
    const title = `${group} over time`;
    const seriesNames = list.map((s) => s.name);
    charts.push({
      title,
      spec: base(title, height, [
        ...windowLayers(shown, domain, height),
        {
          data: { values: rows },
          // Markers help with sparse samples (one per HPA sync) and only clutter dense ones.
          mark: { type: 'line', point: rows.length <= 400 ? { filled: true, size: 36 } : false, strokeWidth: 2 },
          encoding: {
            x: xEncoding(domain, 't'),
            y: { field: 'value', type: 'quantitative', title: yTitle },
            color: {
              field: 'series',
              type: 'nominal',
              title: null,
              sort: seriesNames,
              scale: { scheme: 'tableau10' },
              legend: { orient: 'top', labelLimit: 300 },
            },
            // A "predicted" series reads better dashed next to what actually happened.
            strokeDash: {
              field: 'series',
              type: 'nominal',
              sort: seriesNames,
              scale: {
                domain: seriesNames,
                range: seriesNames.map((n) => (/predict|expect|formula/i.test(n) ? [6, 4] : [1, 0])),
              },
              legend: null,
            },
            tooltip: [
              { field: 'time', title: 'at' },
              { field: 'series' },
              { field: 'value', type: 'quantitative' },
              { field: 'unit' },
            ],
          },
        },
      ]),
    });
  }
  return charts;
}

