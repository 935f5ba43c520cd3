// The editor's working copy: the saved frame plus pending commands, folded locally (optimistic) until Save.
import type { Command, FrameState, Point, Roi, SaveResult } from "./api";

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

// The last fold's steps (the working copy after each pending command): a new pending list that extends or shortens
// the last one (a new command, an undo) costs only its new commands, not all of them again over every ROI.
let folded: { frame: FrameState; pending: Command[]; steps: Working[] } | null = null;

/** The frame's effective metadata is the server's `metadata` (imported, then edited); a pending edit that empties it
 * shows the imported metadata again, as the server will after the save. */
export function fold(frame: FrameState, pending: Command[]): Working {
  let steps: Working[] = [{ rois: frame.rois, frame_labels: frame.frame_labels, metadata: frame.metadata }];
  if (folded?.frame === frame) {
    let same = 0;
    while (same < Math.min(folded.pending.length, pending.length) && folded.pending[same] === pending[same]) same++;
    steps = folded.steps.slice(0, same + 1);
  }
  for (let i = steps.length - 1; i < pending.length; i++) steps.push(apply(steps[i], pending[i]));
  folded = { frame, pending, steps };
  const w = steps[pending.length];
  return Object.keys(w.metadata).length ? w : { ...w, metadata: frame.base?.metadata ?? {} };
}

/** The ids of the ROIs pasted by pending commands (they get their ids from the annotation service when saved). */
export function pastedIds(pending: Command[]): Set<string> {
  return new Set(pending.flatMap((c) => ((c.paste_rois as { rois?: Roi[] } | undefined)?.rois ?? []).map((r) => r.roi_id)));
}

/** The batch Save sends for the pending commands. The annotation service gives pasted ROIs ids of its own, so an
 * edit of a ROI pasted in the same batch (move, reshape, labels, metadata, delete) is folded into the paste itself;
 * lock / unlock of such a ROI waits for the paste to be saved (the side panel refuses it). */
export function forSave(pending: Command[]): Command[] {
  const out: Command[] = [];
  const pastes = new Map<string, { rois: any[]; origins: any[] }>(); // pasted ROI id -> its (copied) paste in `out`
  for (const cmd of pending) {
    const [[name, body]] = Object.entries(cmd) as [[string, any]];
    if (name === "paste_rois") {
      const paste = { ...body, rois: body.rois.map((r: Roi) => ({ ...r })), origins: [...(body.origins ?? [])] };
      out.push({ paste_rois: paste });
      for (const r of paste.rois) pastes.set(r.roi_id, paste);
      continue;
    }
    const paste = typeof body?.roi_id === "string" ? pastes.get(body.roi_id) : undefined;
    const i = paste ? paste.rois.findIndex((r) => r.roi_id === body.roi_id) : -1;
    if (!paste || i < 0) {
      out.push(cmd);
      continue;
    }
    const r = paste.rois[i];
    if (name === "move_roi") r.points = r.points.map(([x, y]: Point) => [x + body.dx, y + body.dy]);
    else if (name === "reshape_roi") r.points = body.points;
    else if (name === "add_roi_label") r.labels = r.labels.includes(body.label) ? r.labels : [...r.labels, body.label];
    else if (name === "remove_roi_label") r.labels = r.labels.filter((l: string) => l !== body.label);
    else if (name === "set_roi_metadata") r.metadata = body.metadata;
    else if (name === "delete_roi") {
      paste.rois.splice(i, 1);
      if (i < paste.origins.length) paste.origins.splice(i, 1); // origins[i] names where rois[i] was copied from
      pastes.delete(body.roi_id);
    } else out.push(cmd);
  }
  return out.filter((c) => !c.paste_rois || (c.paste_rois as { rois: unknown[] }).rois.length > 0);
}

/** The frame after a save answered compactly (`?answer=compact`: version, event ids and only what the save changed):
 * the sent commands folded onto the frame, with the server's copy of every ROI the save named and the frame's labels
 * and metadata as the server answered them. */
export function applyCompact(frame: FrameState, sent: Command[], r: SaveResult): FrameState {
  let w: Working = { rois: frame.rois, frame_labels: frame.frame_labels, metadata: frame.metadata };
  for (const cmd of sent) w = apply(w, cmd);
  const stored = new Map((r.rois ?? []).map((x) => [x.roi_id, x]));
  const removed = new Set(r.removed_roi_ids ?? []);
  const rois = w.rois.filter((x) => !removed.has(x.roi_id)).map((x) => stored.get(x.roi_id) ?? x);
  return { ...frame, version: r.version, rois, frame_labels: r.frame_labels ?? w.frame_labels, metadata: r.metadata ?? w.metadata };
}
