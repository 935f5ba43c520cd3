// SVG element helpers and the geometry of the drawing layer's shapes (no state, no DOM events).

export type Point = [number, number];
export type ShapeType = "rectangle" | "ellipse" | "polygon" | "keypoints";

const NS = "http://www.w3.org/2000/svg";

/** A new SVG element with attributes. */
export function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** The SVG of a shape: rect / ellipse from two corners, polygon from its vertices, key points as circles. */
export function shapeElement(type: ShapeType, points: Point[], attrs: Record<string, string | number>, pointRadius: number): SVGElement {
  if (type === "rectangle" || type === "ellipse") {
    const [[x1, y1], [x2, y2]] = points;
    const [x, y, w, h] = [Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1)];
    return type === "rectangle"
      ? el("rect", { ...attrs, x, y, width: w, height: h })
      : el("ellipse", { ...attrs, cx: x + w / 2, cy: y + h / 2, rx: w / 2, ry: h / 2 });
  }
  if (type === "polygon") return el("polygon", { ...attrs, points: points.map((p) => p.join(",")).join(" ") });
  const g = el("g", attrs);
  for (const [x, y] of points) g.append(el("circle", { cx: x, cy: y, r: pointRadius }));
  return g;
}

/** The draggable vertices of a ROI: four corners of a rectangle/ellipse box, else its points. */
export function corners(type: ShapeType, points: Point[]): Point[] {
  if (type !== "rectangle" && type !== "ellipse") return points;
  const [[x1, y1], [x2, y2]] = points;
  return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];
}

/** Corners after dragging one: a box keeps the opposite corner fixed; other shapes move just that vertex. */
export function dragCorner(type: ShapeType, pts: Point[], i: number, p: Point): Point[] {
  if (type !== "rectangle" && type !== "ellipse") return pts.map((q, j) => (j === i ? p : q));
  const [ox, oy] = pts[(i + 2) % 4];
  return corners(type, [[Math.min(ox, p[0]), Math.min(oy, p[1])], [Math.max(ox, p[0]), Math.max(oy, p[1])]]);
}

/** The ROI's points from its corners (a box is stored as two opposite corners). */
export function fromCorners(type: ShapeType, pts: Point[]): Point[] {
  return type === "rectangle" || type === "ellipse" ? [pts[0], pts[2]] : pts;
}

/** A shape's bounding box [x1, y1, x2, y2] (image coordinates). */
export type Box = [number, number, number, number];

export function bbox(points: Point[]): Box {
  let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    if (x < x1) x1 = x;
    if (x > x2) x2 = x;
    if (y < y1) y1 = y;
    if (y > y2) y2 = y;
  }
  return x1 <= x2 ? [x1, y1, x2, y2] : [0, 0, 0, 0];
}

/** Distance from p to the segment a–b. */
function toSegment(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len)) : 0;
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

/** Whether the point lies on a shape (its inside, or within `tol` of its outline; key points within `radius + tol`),
 * all in image coordinates: what a click on the drawn shape hits. */
export function hits(type: ShapeType, points: Point[], p: Point, tol: number, radius: number): boolean {
  if (type === "keypoints") return points.some(([x, y]) => Math.hypot(x - p[0], y - p[1]) <= radius + tol);
  if (type === "rectangle" || type === "ellipse") {
    const [x1, y1, x2, y2] = bbox(points.slice(0, 2));
    if (type === "rectangle") return p[0] >= x1 - tol && p[0] <= x2 + tol && p[1] >= y1 - tol && p[1] <= y2 + tol;
    const [rx, ry] = [(x2 - x1) / 2 + tol, (y2 - y1) / 2 + tol];
    const [dx, dy] = [p[0] - (x1 + x2) / 2, p[1] - (y1 + y2) / 2];
    return rx > 0 && ry > 0 && (dx * dx) / (rx * rx) + (dy * dy) / (ry * ry) <= 1;
  }
  let inside = false; // even-odd ray casting, like the polygon's fill
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [[xi, yi], [xj, yj]] = [points[i], points[j]];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  if (inside) return true;
  for (let i = 0; i < points.length; i++) if (toSegment(p, points[i], points[(i + 1) % points.length]) <= tol) return true;
  return false;
}
