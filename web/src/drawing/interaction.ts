// The stage's explicit modes and pointer-interaction states, its DOM events, and what a state draws as a draft.
import { el, fromCorners, type Point, type ShapeType } from "./geometry";
import type { StageRoi } from "./roilayer";

export type Mode = "select" | ShapeType;

/** Events dispatched on the host element (names are `stage:<key>`). */
export interface StageEvents {
  "stage:create": { type: ShapeType; points: Point[] };
  "stage:move": { roi_id: string; dx: number; dy: number };
  "stage:reshape": { roi_id: string; points: Point[] };
  "stage:select": { roi_id: string | null };
  "stage:refused": { roi_id: string; reason: "locked" | "hidden" };
}

// Internal state of the pointer interaction; every transition is in `onDown`/`onMove`/`onUp`/`onKey`.
export type Interaction =
  | { kind: "idle" }
  | { kind: "dragging-shape"; type: "rectangle" | "ellipse"; start: Point; end: Point }
  | { kind: "placing"; type: "polygon" | "keypoints"; points: Point[]; cursor: Point | null }
  | { kind: "moving"; roi_id: string; start: Point; delta: Point }
  | { kind: "reshaping"; roi_id: string; handle: number; points: Point[] }
  | { kind: "panning"; client: Point; origin: Point };

/** The draft elements (class draft-shape) a pointer interaction shows: the shape being drawn or reshaped. */
export function draftElements(
  s: Interaction,
  roiOf: (roiId: string) => StageRoi | undefined,
  shape: (type: ShapeType, points: Point[]) => SVGElement,
): SVGElement[] {
  if (s.kind === "reshaping") {
    const roi = roiOf(s.roi_id);
    return roi ? [shape(roi.type, fromCorners(roi.type, s.points))] : [];
  }
  if (s.kind === "dragging-shape") return [shape(s.type, [s.start, s.end])];
  if (s.kind === "placing") {
    const pts = s.cursor && s.type === "polygon" ? [...s.points, s.cursor] : s.points;
    return [s.type === "polygon" ? el("polyline", { class: "draft-shape", points: pts.map((p) => p.join(",")).join(" ") }) : shape("keypoints", pts)];
  }
  return [];
}
