// The ROI clipboard: what COPY / COPY ALL put there and PASTE reads. It lives in localStorage, so it survives a
// reload and every tab of the browser shares it (a copy in one tab pastes in another).
import { drawable, type Command, type FrameRef, type Roi } from "./api";
import { newRoiId } from "./editing";

const KEY = "annostream.clipboard";
const CHANGED = "annostream:clipboard";

/** What PASTE needs: the copied ROIs (shape, labels, metadata, source) and the frame they came from. */
export interface Clipboard {
  rois: Pick<Roi, "roi_id" | "type" | "points" | "labels" | "metadata" | "confidence" | "source_id">[];
  from: FrameRef;
  copied_at: string;
}

/** Put ROIs of a frame on the clipboard (replacing what was there). */
export function copyRois(rois: Roi[], from: FrameRef): void {
  const clip: Clipboard = {
    rois: rois.map(({ roi_id, type, points, labels, metadata, confidence, source_id }) => ({ roi_id, type, points, labels, metadata, confidence, source_id })),
    from: { version_id: from.version_id, frame_id: from.frame_id },
    copied_at: new Date().toISOString(),
  };
  localStorage.setItem(KEY, JSON.stringify(clip));
  window.dispatchEvent(new CustomEvent(CHANGED));
}

/** The clipboard, or null when empty (or written by an incompatible version of the UI). */
export function readClipboard(): Clipboard | null {
  try {
    const clip = JSON.parse(localStorage.getItem(KEY) || "null") as Clipboard | null;
    return clip && Array.isArray(clip.rois) && clip.rois.length && clip.from?.frame_id ? clip : null;
  } catch {
    return null;
  }
}

/** Call `f` when this tab or another one changes the clipboard; returns the unsubscribe function. */
export function onClipboard(f: () => void): () => void {
  const onStorage = (e: StorageEvent) => e.key === KEY && f();
  window.addEventListener(CHANGED, f);
  window.addEventListener("storage", onStorage);
  return () => {
    window.removeEventListener(CHANGED, f);
    window.removeEventListener("storage", onStorage);
  };
}

/** The paste command of the clipboard: new ids, the same shapes, labels and metadata, and where each came from.
 * `sourceFor` picks the source of the frame each ROI lands on (undefined: the frame has a single source). */
export function pasteCommand(clip: Clipboard, sourceFor: (copiedSourceId: string) => string | undefined): Command {
  const rois = clip.rois.filter(drawable).map((r) => {
    const source = sourceFor(r.source_id);
    return {
      roi_id: newRoiId(),
      type: r.type,
      points: r.points,
      labels: r.labels,
      metadata: r.metadata,
      ...(r.confidence == null ? {} : { confidence: r.confidence }),
      ...(source === undefined ? {} : { source_id: source }),
    };
  });
  const origins = clip.rois.map((r) => ({ version_id: clip.from.version_id, frame_id: clip.from.frame_id, roi_id: r.roi_id }));
  return { paste_rois: { rois, origins } };
}
