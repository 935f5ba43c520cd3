// Draft recovery: the unsaved batch of a frame is kept in localStorage while it is pending, so a reload (or a
// crash) can offer it back. One entry per frame; a save, a discard or an emptied batch removes it.
import type { Command, FrameRef } from "./api";

const PREFIX = "annostream.draft.";

export interface StoredDraft {
  pending: Command[];
  savedAt: string;
  baseVersion: number; // the frame's version the batch was made on (Save rebases it on a newer one)
}

const key = (taskId: string, ref: FrameRef) => `${PREFIX}${taskId}/${ref.version_id}/${ref.frame_id}`;

/** The unsaved batch kept for a frame of a task, or null. */
export function readDraft(taskId: string, ref: FrameRef): StoredDraft | null {
  try {
    const d = JSON.parse(localStorage.getItem(key(taskId, ref)) || "null") as StoredDraft | null;
    return d && Array.isArray(d.pending) && d.pending.length ? d : null;
  } catch {
    return null;
  }
}

/** Keep (or, for an empty batch, forget) the unsaved batch of a frame. */
export function writeDraft(taskId: string, ref: FrameRef, pending: Command[], baseVersion: number): void {
  try {
    if (!pending.length) localStorage.removeItem(key(taskId, ref));
    else localStorage.setItem(key(taskId, ref), JSON.stringify({ pending, savedAt: new Date().toISOString(), baseVersion }));
  } catch {
    // storage full or disabled: recovery is best effort, editing goes on
  }
}
