// Export dialog: pick a format and download a task's frames or a whole version as the gateway streams it
// (a plain link: the browser writes the download to disk as it arrives, the dev identity travels in cookies).
import { useState } from "react";
import { useDismiss } from "../dismiss";

export const EXPORT_FORMATS: [string, string][] = [
  ["coco", "COCO (boxes, polygons, key points)"],
  ["voc", "Pascal VOC (boxes)"],
  ["yolo", "YOLO detect (boxes)"],
  ["yolo-segment", "YOLO segment (polygons, boxes)"],
  ["yolo-pose", "YOLO pose (key points)"],
  ["jsonl", "annostream JSON lines (lossless)"],
];

export type ExportTarget = { kind: "task" | "version"; id: string; title: string };

export function exportUrl(t: ExportTarget, format: string): string {
  const base = t.kind === "task" ? `/api/v1/tasks/${encodeURIComponent(t.id)}` : `/api/v1/versions/${encodeURIComponent(t.id)}`;
  return `${base}/export?format=${encodeURIComponent(format)}`;
}

export function ExportModal(p: { target: ExportTarget; onClose: () => void }) {
  const [format, setFormat] = useState("coco");
  useDismiss(p.onClose);
  const file = `${p.target.id}${format === "jsonl" ? ".jsonl" : `-${format}.zip`}`;
  return (
    <div className="backdrop" onClick={(e) => (e.stopPropagation(), p.onClose())}>
      <div className="modal" id="export-dialog" role="dialog" onClick={(e) => e.stopPropagation()}>
        <h2>Export {p.target.title}</h2>
        <p className="hint">
          {p.target.kind === "task" ? "The frames of the task's plan" : "Every frame of the version"} with their current
          annotations. Shapes a format cannot hold are counted in the archive's export_report.json.
        </p>
        <label>
          Format{" "}
          <select id="export-format" value={format} onChange={(e) => setFormat(e.target.value)}>
            {EXPORT_FORMATS.map(([v, label]) => (
              <option key={v} value={v}>{label}</option>
            ))}
          </select>
        </label>
        <div className="actions">
          <button id="export-cancel" onClick={p.onClose}>Close</button>
          <a id="export-download" className="button primary" href={exportUrl(p.target, format)} download={file} onClick={p.onClose}>
            Download
          </a>
        </div>
      </div>
    </div>
  );
}
