// A uniform grid over the image for hit testing many ROIs: a click looks at the few ROIs whose boxes share its cell
// instead of all of them. Rebuilt when the ROIs change (O(n)); no DOM.
import { bbox, hits, type Box, type Point, type ShapeType } from "./geometry";

export interface Hittable {
  type: ShapeType;
  points: Point[];
}

const boxes = new WeakMap<Hittable, Box>(); // a ROI object's box (ROIs are immutable: a change is a new object)

/** The bounding box of a ROI (cached per object). */
export function boxOf(r: Hittable): Box {
  let b = boxes.get(r);
  if (!b) boxes.set(r, (b = bbox(r.points)));
  return b;
}

const LARGE = 64;

export class HitIndex<T extends Hittable> {
  private cells = new Map<number, number[]>(); // cell key -> indexes into `items`, ascending (drawing order)
  private large: number[] = []; // items spanning more than LARGE cells: checked on every query
  private size = 1;
  private cols = 1;

  constructor(private readonly items: readonly T[], width: number, height: number) {
    // about two ROIs per cell on average, never cells under 8 image pixels
    this.size = Math.max(8, Math.sqrt((Math.max(width, 1) * Math.max(height, 1) * 2) / Math.max(items.length, 1)));
    this.cols = Math.ceil(Math.max(width, 1) / this.size) + 1;
    items.forEach((r, i) => {
      const [x1, y1, x2, y2] = boxOf(r);
      if ((this.cell(y2) - this.cell(y1) + 1) * (this.col(x2) - this.col(x1) + 1) > LARGE) return void this.large.push(i);
      for (let cy = this.cell(y1); cy <= this.cell(y2); cy++)
        for (let cx = this.col(x1); cx <= this.col(x2); cx++) {
          const key = cy * this.cols + cx;
          const list = this.cells.get(key);
          if (list) list.push(i);
          else this.cells.set(key, [i]);
        }
    });
  }

  private cell(v: number): number {
    return Math.max(0, Math.floor(v / this.size));
  }

  private col(v: number): number {
    return Math.min(this.cols - 1, this.cell(v));
  }

  /** The topmost (last drawn) item under `p`, within `tol` of its outline (key points: of a `radius` circle). */
  topmost(p: Point, tol: number, radius: number): T | null {
    const reach = tol + radius;
    let best = -1;
    for (let cy = this.cell(p[1] - reach); cy <= this.cell(p[1] + reach); cy++)
      for (let cx = this.col(p[0] - reach); cx <= this.col(p[0] + reach); cx++) {
        const list = this.cells.get(cy * this.cols + cx);
        if (list) best = this.scan(list, best, p, tol, radius);
      }
    best = this.scan(this.large, best, p, tol, radius);
    return best < 0 ? null : this.items[best];
  }

  /** The last item of `list` (ascending indexes) above `best` that `p` hits, else `best`. */
  private scan(list: number[], best: number, p: Point, tol: number, radius: number): number {
    const reach = tol + radius;
    for (let k = list.length - 1; k >= 0 && list[k] > best; k--) {
      const r = this.items[list[k]];
      const [x1, y1, x2, y2] = boxOf(r);
      if (p[0] < x1 - reach || p[0] > x2 + reach || p[1] < y1 - reach || p[1] > y2 + reach) continue;
      if (hits(r.type, r.points, p, tol, radius)) return list[k];
    }
    return best;
  }
}
