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
