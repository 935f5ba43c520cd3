// The editor's working copy: the saved frame plus pending commands, folded locally (optimistic) until Save.
import type { Command, FrameState, Point, Roi } from "./api";

export interface Working {
  rois: Roi[];
  frame_labels: string[];
  metadata: Record<string, unknown>;
}

export function newRoiId(): string {
  return `roi-${crypto.randomUUID().slice(0, 12)}`;
}

const mapRoi = (rois: Roi[], id: string, f: (r: Roi) => Roi) => rois.map((r) => (r.roi_id === id ? f(r) : r));

/** One command applied to the working copy (the same meaning the annotation service gives it). */
export function apply(w: Working, cmd: Command): Working {
  const [[name, body]] = Object.entries(cmd) as [[string, any]];
  switch (name) {
    case "create_roi":
      return { ...w, rois: [...w.rois, { confidence: null, source_id: "", metadata: {}, locked: false, ...body.roi }] };
    case "paste_rois":
      return { ...w, rois: [...w.rois, ...body.rois.map((r: Partial<Roi>) => ({ confidence: null, source_id: "", metadata: {}, ...r, locked: false }))] };
    case "move_roi":
      return { ...w, rois: mapRoi(w.rois, body.roi_id, (r) => ({ ...r, points: r.points.map(([x, y]) => [x + body.dx, y + body.dy] as Point) })) };
    case "reshape_roi":
      return { ...w, rois: mapRoi(w.rois, body.roi_id, (r) => ({ ...r, points: body.points })) };
    case "add_roi_label":
      return { ...w, rois: mapRoi(w.rois, body.roi_id, (r) => ({ ...r, labels: r.labels.includes(body.label) ? r.labels : [...r.labels, body.label] })) };
    case "remove_roi_label":
      return { ...w, rois: mapRoi(w.rois, body.roi_id, (r) => ({ ...r, labels: r.labels.filter((l) => l !== body.label) })) };
    case "set_roi_metadata":
      return { ...w, rois: mapRoi(w.rois, body.roi_id, (r) => ({ ...r, metadata: body.metadata })) };
    case "lock_roi":
    case "unlock_roi":
      return { ...w, rois: mapRoi(w.rois, body.roi_id, (r) => ({ ...r, locked: name === "lock_roi" })) };
    case "lock_all_rois":
    case "unlock_all_rois":
      return { ...w, rois: w.rois.map((r) => ({ ...r, locked: name === "lock_all_rois" })) };
    case "delete_roi":
      return { ...w, rois: w.rois.filter((r) => r.roi_id !== body.roi_id) };
    case "add_frame_label":
      return { ...w, frame_labels: w.frame_labels.includes(body.label) ? w.frame_labels : [...w.frame_labels, body.label] };
    case "remove_frame_label":
      return { ...w, frame_labels: w.frame_labels.filter((l) => l !== body.label) };
    case "set_frame_metadata":
      return { ...w, metadata: body.metadata };
    default:
      return w;
  }
}

export function fold(frame: FrameState, pending: Command[]): Working {
  return pending.reduce(apply, { rois: frame.rois, frame_labels: frame.frame_labels, metadata: frame.metadata });
}
