import { useState } from "react";
import { useDismiss } from "../dismiss";
import type { TaskInfo, VersionSummary } from "../api";
import { ExportModal } from "./ExportModal";
import { StatsCharts } from "./StatsChart";
import { ReviewInfo } from "./ReviewInfo";

const range = (what: string, lo?: number | null, hi?: number | null) => (lo == null && hi == null ? "" : ` (${what} ${lo ?? "*"}..${hi ?? "*"})`);
const frames = (n: number) => `${n} frame${n === 1 ? "" : "s"}`;
const version = (v: VersionSummary | null) => (v ? `${v.name} (${v.status}, ${frames(v.frame_count)})` : "—");

export function TaskInfoModal(p: { info: TaskInfo; onClose: () => void }) {
  const { info } = p;
  const it = info.iteration;
  const [exporting, setExporting] = useState(false);
  useDismiss(() => !exporting && p.onClose());
  const annotated = info.annotated_version;
  const filters =
    info.selection.mode !== "custom"
      ? info.selection.mode === "all" ? "All frames" : "Empty frames"
      : info.selection.filters
          .map((f) =>
            [
              f.frame_query && `frame: ${f.frame_query}`,
              f.source_query && `source: ${f.source_query}`,
              ...f.roi_rules.map((r) => `${r.kind} ROI ${r.label_expression || "*"}${range("count", r.min_count, r.max_count)}${range("confidence", r.min_confidence, r.max_confidence)}`),
            ]
              .filter(Boolean)
              .join(" and "),
          )
          .join(" OR ");
  return (
    <div className="backdrop" onClick={p.onClose}>
      <div className="modal" id="task-info" role="dialog" onClick={(e) => e.stopPropagation()}>
        <h2>{info.name}</h2>
        <dl className="info">
          <dt>Source version</dt>
          <dd className="info-source-version">{version(info.source_version)}</dd>
          <dt>Annotated version</dt>
          <dd className="info-annotated-version">
            {version(annotated)}{" "}
            {annotated && <button id="info-export-version" onClick={() => setExporting(true)}>Export</button>}
          </dd>
          <dt>Filters</dt>
          <dd className="info-filters">{filters}</dd>
          <dt>Order</dt>
          <dd className="info-order">{it.order}{it.order === "random" ? ` (seed ${it.random_seed})` : ""}</dd>
          <dt>Repetition</dt>
          <dd className="info-repetition">{it.limit ? `limit ${frames(it.limit)}` : "each frame once"}</dd>
          <dt>Clip length</dt>
          <dd className="info-clip-length">{it.clip_length || "—"}</dd>
          <dt>Default labels</dt>
          <dd className="info-default-labels">{info.default_labels.join(", ") || "—"}</dd>
          <dt>Progress</dt>
          <dd className="info-progress">
            {info.progress.plan_pending ? "plan pending" : `${info.progress.done}/${info.progress.total}`}
          </dd>
        </dl>
        {annotated && (
          <>
            <h3 className="stats-title">Label statistics of the annotated version</h3>
            <StatsCharts versionId={annotated.version_id} id="task-stats" />
          </>
        )}
        <ReviewInfo taskId={info.task_id} />
        <div className="actions">
          <button id="task-info-close" onClick={p.onClose}>Close</button>
        </div>
        {exporting && annotated && (
          <ExportModal target={{ kind: "version", id: annotated.version_id, title: `version ${annotated.name}` }} onClose={() => setExporting(false)} />
        )}
      </div>
    </div>
  );
}
