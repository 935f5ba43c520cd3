// The many ROIs on one <canvas> (2D): only those in view, each from a cached Path2D, captions at a fixed screen size. The selected ROI is not painted here: the SVG above
// draws it (and its handles), so selecting or dragging one never repaints the others. No DOM events.
import { boxOf } from "./hitindex";
import type { Point, ShapeType } from "./geometry";

export interface Paintable {
  roi_id: string;
  type: ShapeType;
  points: Point[];
  labels: string[];
  locked: boolean;
  color?: string;
}

/** Where the image lies on the canvas: screen px = image px × scale + offset (CSS pixels). */
export interface Placement {
  scale: number;
  dx: number;
  dy: number;
  width: number; // the canvas' size in CSS pixels
  height: number;
}

const DEFAULT_COLOR = "#ffcc00";
const STROKE_PX = 2;
const POINT_PX = 4; // key point radius
const FONT_PX = 13;
const THIN_ABOVE = 1000; // ROIs in view
// Captions are drawn for every ROI in view up to this many; beyond, only for ROIs at least CAPTION_MIN_PX wide on
// screen (thousands of overlapping captions are unreadable and cost more than the shapes).
const CAPTIONS_ALL = 3000;
const CAPTION_MIN_PX = 48;

const fills = new Map<string, string>();
/** The color at 18 % opacity (what the SVG's `color-mix(… 18%, transparent)` gives). */
function fillOf(color: string): string {
  let f = fills.get(color);
  if (!f) {
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
    f = m ? `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, 0.18)` : "rgba(255, 204, 0, 0.18)";
    fills.set(color, f);
  }
  return f;
}

const paths = new WeakMap<Paintable, { path: Path2D; radius: number }>();
/** A ROI's outline (cached per ROI object; key points depend on the radius, i.e. the zoom). */
function pathOf(r: Paintable, pointRadius: number): Path2D {
  const hit = paths.get(r);
  if (hit && (r.type !== "keypoints" || hit.radius === pointRadius)) return hit.path;
  const path = new Path2D();
  addShape(path, r.type, r.points, pointRadius);
  paths.set(r, { path, radius: pointRadius });
  return path;
}

function addShape(path: Path2D, type: ShapeType, pts: Point[], pointRadius: number): void {
  if (type === "rectangle" || type === "ellipse") {
    const [[x1, y1], [x2, y2]] = pts;
    const [x, y, w, h] = [Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1)];
    if (type === "rectangle") path.rect(x, y, w, h);
    else {
      path.moveTo(x + w, y + h / 2);
      path.ellipse(x + w / 2, y + h / 2, w / 2, h / 2, 0, 0, 2 * Math.PI);
    }
  } else if (type === "polygon") {
    pts.forEach(([x, y], i) => (i ? path.lineTo(x, y) : path.moveTo(x, y)));
    path.closePath();
  } else
    for (const [x, y] of pts) {
      path.moveTo(x + pointRadius, y);
      path.arc(x, y, pointRadius, 0, 2 * Math.PI);
    }
}

export class Painter {
  private readonly ctx: CanvasRenderingContext2D;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext("2d")!;
  }

  /** Paint `rois` (all but `skip`) as placed; returns how many were in view. */
  paint(rois: readonly Paintable[], skip: string | null, at: Placement): number {
    const dpr = window.devicePixelRatio || 1;
    const [w, h] = [Math.round(at.width * dpr), Math.round(at.height * dpr)];
    if (this.canvas.width !== w || this.canvas.height !== h) [this.canvas.width, this.canvas.height] = [w, h];
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const k = at.scale;
    if (!(k > 0)) return 0;
    // the part of the image on the canvas, in image coordinates
    const [vx1, vy1] = [-at.dx / k, -at.dy / k];
    const [vx2, vy2] = [(at.width - at.dx) / k, (at.height - at.dy) / k];
    const shown: Paintable[] = [];
    for (const r of rois) {
      if (r.roi_id === skip) continue;
      const [x1, y1, x2, y2] = boxOf(r);
      if (x2 >= vx1 && x1 <= vx2 && y2 >= vy1 && y1 <= vy2) shown.push(r);
    }
    // one path per ROI, cached (in image coordinates: any view reuses it); Skia fills and strokes thousands of small
    // paths far faster than one path of thousands of outlines. Outlines are 1 px (a hairline, ~2x faster) when many
    // ROIs are in view.
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * at.dx, dpr * at.dy);
    ctx.lineWidth = (shown.length > THIN_ABOVE ? 1 : STROKE_PX) / k;
    ctx.lineJoin = "round";
    let [color, locked] = ["", false];
    ctx.setLineDash([]);
    for (const r of shown) {
      const c = r.color ?? DEFAULT_COLOR;
      if (c !== color) {
        color = c;
        ctx.fillStyle = fillOf(c);
        ctx.strokeStyle = c;
      }
      if (r.locked !== locked) {
        locked = r.locked;
        ctx.setLineDash(locked ? [2 / k, 2 / k] : []);
      }
      const path = pathOf(r, POINT_PX / k);
      ctx.fill(path);
      ctx.stroke(path);
    }
    ctx.setLineDash([]);
    const t1 = performance.now();
    this.captions(shown, at, dpr);
    ((window as any).__caps ??= []).push(performance.now() - t1);
    return shown.length;
  }

  private captions(shown: Paintable[], at: Placement, dpr: number): void {
    const ctx = this.ctx;
    const all = shown.length <= CAPTIONS_ALL;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = `${FONT_PX}px sans-serif`;
    ctx.lineWidth = 3;
    ctx.strokeStyle = "black";
    ctx.lineJoin = "round";
    for (const r of shown) {
      if (!r.labels.length) continue;
      if (!all) {
        const [x1, , x2] = boxOf(r);
        if ((x2 - x1) * at.scale < CAPTION_MIN_PX) continue;
      }
      const text = r.labels.join(", ");
      const [x, y] = r.points[0];
      const [sx, sy] = [x * at.scale + at.dx, y * at.scale + at.dy - 3];
      ctx.strokeText(text, sx, sy);
      ctx.fillStyle = r.color ?? DEFAULT_COLOR;
      ctx.fillText(text, sx, sy);
    }
  }
}
