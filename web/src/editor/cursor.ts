// Where the editor is: the frame on screen, its lease and trail position; kept in the URL so a reload (or a
// shared link) opens the same frame.
import type { FrameRef } from "../api";

export interface Cursor {
  ref: FrameRef;
  leaseId: string;
  position: number;
  total: number;
  trailIndex: number; // trail index of the frame on screen
  leaseTrailIndex: number; // trail index of the leased frame (the end of the trail)
  offTrail: boolean; // reached by a jump or a link, not by the trail: ▶ / ◀ go on from its position
}

/** The editor URL of a cursor. */
export function cursorToUrl(taskId: string, c: Cursor): string {
  const q = new URLSearchParams({
    version: c.ref.version_id,
    frame: c.ref.frame_id,
    lease: c.leaseId,
    position: String(c.position),
    total: String(c.total),
    trail: String(c.trailIndex),
    leaseTrail: String(c.leaseTrailIndex),
  });
  if (c.offTrail) q.set("jumped", "1");
  return `/tasks/${encodeURIComponent(taskId)}/annotate?${q}`;
}

/** The cursor in the current URL, or null when it names no frame (the editor then leases one). */
export function cursorFromUrl(): Cursor | null {
  const q = new URLSearchParams(location.search);
  const version = q.get("version");
  const frame = q.get("frame");
  if (!version || !frame) return null;
  const n = (k: string) => Number(q.get(k) || 0);
  return {
    ref: { version_id: version, frame_id: frame },
    leaseId: q.get("lease") || "",
    position: n("position"),
    total: n("total"),
    trailIndex: n("trail"),
    leaseTrailIndex: n("leaseTrail"),
    offTrail: q.get("jumped") === "1" || !q.get("trail"),
  };
}

/** http(s) and data: images load directly; local `file://` media come through the gateway (only from its media
 * roots, and only as a source or mask of a frame the user may read; anything else fails to load and the stage shows
 * a blank canvas of the source's size). `frameKey` is `<version id>/<frame id>`. */
export function imageUrl(uri: string, frameKey: string): string {
  if (!uri.startsWith("file:")) return uri;
  const cut = frameKey.indexOf("/");
  const q = new URLSearchParams({ uri, version_id: frameKey.slice(0, cut), frame_id: frameKey.slice(cut + 1) });
  return `/api/v1/media?${q.toString()}`;
}
