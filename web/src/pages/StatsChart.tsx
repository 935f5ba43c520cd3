// Label statistics you can look at: ROI counts per label and frame counts per frame label as plain SVG bars,
// from the statistics the datasets service keeps per version (GET /versions/{id}/stats).
import { useEffect, useState } from "react";
import { api, type VersionStats } from "../api";
import { labelColor } from "../labels";

const MAX_BARS = 12; // the most frequent labels; the rest are summed in one bar

function top(counts: Record<string, number>): [string, number][] {
  const all = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (all.length <= MAX_BARS) return all;
  const rest = all.slice(MAX_BARS - 1).reduce((n, [, c]) => n + c, 0);
  return [...all.slice(0, MAX_BARS - 1), [`${all.length - MAX_BARS + 1} other labels`, rest]];
}

const BUCKETS: [number, number][] = [[0, 0], [1, 1], [2, 2], [3, 5], [6, 10], [11, 20], [21, 50], [51, 100], [101, 500], [501, Infinity]];

/** Frames per number of ROIs in buckets (0, 1, 2, 3–5, … 501+); buckets past the last frame's count are left out. */
export function histogram(perFrame: Record<string, number>): [string, number][] {
  const counts = Object.entries(perFrame).map(([k, n]) => [Number(k), n] as const);
  const most = Math.max(0, ...counts.filter(([, n]) => n > 0).map(([k]) => k));
  return BUCKETS.filter(([lo]) => lo <= most).map(([lo, hi]) => [
    lo === hi ? `${lo} ROI${lo === 1 ? "" : "s"}` : hi === Infinity ? `${lo}+ ROIs` : `${lo}–${hi} ROIs`,
    counts.filter(([k]) => k >= lo && k <= hi).reduce((s, [, n]) => s + n, 0),
  ]);
}

/** Horizontal bars: one row per entry, its count at the bar's end. */
export function Bars(p: { id: string; title: string; rows: [string, number][]; colored?: boolean }) {
  const max = Math.max(1, ...p.rows.map(([, n]) => n));
  const row = 20;
  const label = 130;
  const width = 420;
  const bar = width - label - 60;
  return (
    <figure className="chart" id={p.id}>
      <figcaption>{p.title}</figcaption>
      {p.rows.length === 0 ? (
        <p className="hint chart-empty">None yet.</p>
      ) : (
        <svg width={width} height={p.rows.length * row} viewBox={`0 0 ${width} ${p.rows.length * row}`} role="img" aria-label={p.title}>
          {p.rows.map(([name, n], i) => (
            <g key={name} className="bar" data-label={name} data-count={n} transform={`translate(0 ${i * row})`}>
              <text x={label - 6} y={14} textAnchor="end" className="bar-label">
                {name.length > 18 ? `${name.slice(0, 17)}…` : name}
                <title>{name}</title>
              </text>
              <rect x={label} y={3} height={row - 6} width={n ? Math.max(2, (bar * n) / max) : 0} rx={2} fill={p.colored ? labelColor(name) : "var(--accent)"} />
              <text x={label + Math.max(2, (bar * n) / max) + 5} y={14} className="bar-count">{n.toLocaleString()}</text>
            </g>
          ))}
        </svg>
      )}
    </figure>
  );
}

/** A version's label statistics: ROIs per label, frames per frame label, and how many frames have annotations. */
export function StatsCharts(p: { versionId: string; id?: string }) {
  const [stats, setStats] = useState<VersionStats | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    let live = true;
    setStats(null);
    api.versionStats(p.versionId, true).then(
      (s) => live && setStats(s),
      () => live && setError("Statistics are not available for this version yet."),
    );
    return () => {
      live = false;
    };
  }, [p.versionId]);
  if (error) return <p className="hint">{error}</p>;
  if (!stats) return <p className="hint">Loading statistics…</p>;
  const empty = Math.max(0, stats.frame_count - stats.annotated_frame_count);
  const perFrame = stats.frame_count ? stats.roi_count / stats.frame_count : 0;
  return (
    <div className="stats" id={p.id ?? "version-stats"} data-version-id={p.versionId}>
      <p className="hint stats-summary">
        {stats.roi_count.toLocaleString()} ROIs on {stats.frame_count.toLocaleString()} frames ({perFrame.toFixed(1)} per frame on average);{" "}
        {stats.annotated_frame_count.toLocaleString()} annotated, {empty.toLocaleString()} without annotations.
      </p>
      <Bars id="chart-roi-labels" title="ROIs per label" rows={top(stats.roi_labels)} colored />
      <Bars id="chart-rois-per-frame" title="Frames by ROIs per frame" rows={histogram(stats.rois_per_frame ?? {})} />
      <Bars id="chart-frames" title="Frames" rows={[["annotated", stats.annotated_frame_count], ["empty", empty]]} />
      {Object.keys(stats.frame_labels).length > 0 && <Bars id="chart-frame-labels" title="Frames per frame label" rows={top(stats.frame_labels)} colored />}
    </div>
  );
}
