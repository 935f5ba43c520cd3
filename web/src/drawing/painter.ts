// The many ROIs on one <canvas> (2D): only those in view (or in the changed region), each from a cached Path2D,
// captions at a fixed screen size from cached sprites. The selected ROI is not painted here: the SVG above draws it
// (and its handles), so selecting or dragging one repaints only the region it leaves. No DOM events.
import { boxOf } from "./hitindex";
import type { Box, Point, ShapeType } from "./geometry";

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
const FONT = "13px sans-serif";
const FONT_PX = 13;
const THIN_ABOVE = 1000; // ROIs in view: beyond, 1 px outlines (a hairline: Skia strokes those ~2x faster)
// Captions are drawn for every ROI in view up to this many; beyond, only for ROIs at least CAPTION_MIN_PX wide on
// screen (thousands of overlapping captions are unreadable and cost more than the shapes).
const CAPTIONS_ALL = 3000;
const CAPTION_MIN_PX = 48;
const SPRITES_MAX = 2000;

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

const captions = new WeakMap<Paintable, string>();
function captionOf(r: Paintable): string {
  let c = captions.get(r);
  if (c === undefined) captions.set(r, (c = r.labels.join(", ")));
  return c;
}

interface Sprite {
  image: HTMLCanvasElement;
  width: number; // CSS pixels
}

export class Painter {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly sprites = new Map<string, Sprite>(); // `${dpr} ${color} ${text}` -> the caption drawn once
  private readonly widths = new Map<string, number>(); // caption text -> width in CSS pixels

  constructor(readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext("2d")!;
  }

  /** What painting `r` covers, in image coordinates: its outline (stroke, key points) and its caption. */
  ink(r: Paintable, scale: number): Box {
    const [x1, y1, x2, y2] = boxOf(r);
    const pad = (STROKE_PX + POINT_PX + 1) / scale;
    const box: Box = [x1 - pad, y1 - pad, x2 + pad, y2 + pad];
    if (!r.labels.length) return box;
    const [x, y] = r.points[0];
    const w = this.textWidth(captionOf(r)) + 4;
    return [Math.min(box[0], x - 3 / scale), Math.min(box[1], y - (FONT_PX + 8) / scale), Math.max(box[2], x + w / scale), Math.max(box[3], y + 2 / scale)];
  }

  /** Paint `rois` (all but `skip`) as placed, all of the canvas or only `region` (image coordinates); returns how
   * many ROIs were painted. */
  paint(rois: readonly Paintable[], skip: string | null, at: Placement, region: Box | null = null): number {
    const dpr = window.devicePixelRatio || 1;
    const [w, h] = [Math.round(at.width * dpr), Math.round(at.height * dpr)];
    if (this.canvas.width !== w || this.canvas.height !== h) {
      [this.canvas.width, this.canvas.height] = [w, h];
      region = null;
    }
    const ctx = this.ctx;
    const k = at.scale;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (!(k > 0)) return 0; // no box on screen (not laid out): nothing to paint
    // the part to paint, in image coordinates: the visible part of the image, or the region within it
    let [vx1, vy1, vx2, vy2] = [-at.dx / k, -at.dy / k, (at.width - at.dx) / k, (at.height - at.dy) / k];
    if (region) {
      [vx1, vy1, vx2, vy2] = [Math.max(vx1, region[0]), Math.max(vy1, region[1]), Math.min(vx2, region[2]), Math.min(vy2, region[3])];
      if (!(vx1 < vx2 && vy1 < vy2)) return 0;
      // whole device pixels, so that nothing half-cleared stays at the edge
      const [px1, py1] = [Math.floor((vx1 * k + at.dx) * dpr), Math.floor((vy1 * k + at.dy) * dpr)];
      const [px2, py2] = [Math.ceil((vx2 * k + at.dx) * dpr), Math.ceil((vy2 * k + at.dy) * dpr)];
      ctx.save();
      ctx.beginPath();
      ctx.rect(px1, py1, px2 - px1, py2 - py1);
      ctx.clip();
      ctx.clearRect(px1, py1, px2 - px1, py2 - py1);
    } else ctx.clearRect(0, 0, w, h);
    const shown: Paintable[] = [];
    for (const r of rois) {
      if (r.roi_id === skip) continue;
      const [x1, y1, x2, y2] = region ? this.ink(r, k) : boxOf(r);
      if (x2 >= vx1 && x1 <= vx2 && y2 >= vy1 && y1 <= vy2) shown.push(r);
    }
    const inView = region ? this.inView(rois, at) : shown.length;
    this.shapes(shown, k, dpr, at, inView > THIN_ABOVE);
    this.captions(shown, at, dpr, inView <= CAPTIONS_ALL);
    if (region) ctx.restore();
    return shown.length;
  }

  private inView(rois: readonly Paintable[], at: Placement): number {
    const k = at.scale;
    const [vx1, vy1, vx2, vy2] = [-at.dx / k, -at.dy / k, (at.width - at.dx) / k, (at.height - at.dy) / k];
    let n = 0;
    for (const r of rois) {
      const [x1, y1, x2, y2] = boxOf(r);
      if (x2 >= vx1 && x1 <= vx2 && y2 >= vy1 && y1 <= vy2) n++;
    }
    return n;
  }

  private shapes(shown: Paintable[], k: number, dpr: number, at: Placement, thin: boolean): void {
    const ctx = this.ctx;
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * at.dx, dpr * at.dy);
    ctx.lineWidth = (thin ? 1 : STROKE_PX) / k;
    ctx.lineJoin = "round";
    ctx.setLineDash([]);
    let [color, locked] = ["", false];
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
  }

  private captions(shown: Paintable[], at: Placement, dpr: number, all: boolean): void {
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    for (const r of shown) {
      if (!r.labels.length) continue;
      if (!all) {
        const [x1, , x2] = boxOf(r);
        if ((x2 - x1) * at.scale < CAPTION_MIN_PX) continue;
      }
      const sprite = this.sprite(captionOf(r), r.color ?? DEFAULT_COLOR, dpr);
      const [x, y] = r.points[0];
      // the text's baseline 3 px above the ROI's first point, as the SVG caption was
      const [sx, sy] = [Math.round((x * at.scale + at.dx - 2) * dpr), Math.round((y * at.scale + at.dy - 3 - FONT_PX - 2) * dpr)];
      ctx.drawImage(sprite.image, sx, sy);
    }
  }

  private textWidth(text: string): number {
    let w = this.widths.get(text);
    if (w === undefined) {
      if (this.widths.size > SPRITES_MAX) this.widths.clear();
      this.ctx.font = FONT;
      this.widths.set(text, (w = this.ctx.measureText(text).width));
    }
    return w;
  }

  /** A caption drawn once (outlined in black, filled with its color) at the device's pixel ratio. */
  private sprite(text: string, color: string, dpr: number): Sprite {
    const key = `${dpr} ${color} ${text}`;
    let s = this.sprites.get(key);
    if (s) return s;
    if (this.sprites.size > SPRITES_MAX) this.sprites.clear();
    const width = this.textWidth(text) + 4;
    const image = document.createElement("canvas");
    [image.width, image.height] = [Math.ceil(width * dpr), Math.ceil((FONT_PX + 6) * dpr)];
    const c = image.getContext("2d")!;
    c.scale(dpr, dpr);
    c.font = FONT;
    c.lineWidth = 3;
    c.lineJoin = "round";
    c.strokeStyle = "black";
    c.fillStyle = color;
    c.strokeText(text, 2, FONT_PX + 2);
    c.fillText(text, 2, FONT_PX + 2);
    this.sprites.set(key, (s = { image, width }));
    return s;
  }
}
