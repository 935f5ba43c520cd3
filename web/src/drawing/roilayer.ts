// The ROIs of a stage: painted on a canvas (the many) and kept as one light SVG `g.roi` per ROI (the test API and
// what the selected ROI is drawn with). Updates are incremental: a new list is compared with the last by ROI object
// identity (the editor replaces only the ROIs a command changed), so one change touches one SVG node; the canvas is
// repainted (once per animation frame at most) only when a ROI it shows changed, the selection or the view moved.
import { el, shapeElement, type Box, type Point, type ShapeType } from "./geometry";
import { HitIndex } from "./hitindex";
import { Painter, type Placement } from "./painter";

export interface StageRoi {
  roi_id: string;
  type: ShapeType;
  points: Point[];
  labels: string[];
  locked: boolean;
  color?: string;
}

const POINT_PX = 4; // key point radius on screen
const CAPTION_PX = 13;
const PARTIAL_MAX = 256; // ROI versions changed at once beyond which the whole canvas is repainted

export class RoiLayer {
  readonly group: SVGGElement;
  private readonly painter: Painter;
  private rois: readonly StageRoi[] = [];
  private byId = new Map<string, StageRoi>();
  private nodes = new Map<string, SVGGElement>();
  private index: HitIndex<StageRoi> | null = null;
  private selected: string | null = null;
  private frame = 0; // pending animation frame of a repaint
  private full = true; // the next repaint paints the whole canvas, else only `dirty`
  private dirty: Box | null = null; // image region to repaint: where changed ROIs were and are

  constructor(
    private readonly canvas: HTMLCanvasElement,
    prefix: string,
    private readonly placement: () => Placement,
    private readonly imageSize: () => [number, number],
  ) {
    this.group = el("g", { id: `${prefix}-rois`, class: "stage-rois" });
    this.painter = new Painter(canvas);
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
  }

  /** The ROIs to show, in drawing order (the last is on top). */
  set(rois: readonly StageRoi[]): void {
    const next = new Map(rois.map((r) => [r.roi_id, r]));
    const changed: (StageRoi | undefined)[] = []; // old and new versions of the ROIs that changed
    for (const [id, node] of this.nodes)
      if (!next.has(id)) {
        node.remove();
        this.nodes.delete(id);
        changed.push(this.byId.get(id));
      }
    let at: ChildNode | null = this.group.firstChild;
    let reordered = false;
    for (const r of rois) {
      let node = this.nodes.get(r.roi_id);
      if (node && this.byId.get(r.roi_id) !== r) {
        const fresh = this.build(r);
        if (at === node) at = fresh;
        node.replaceWith(fresh);
        node = fresh;
        changed.push(this.byId.get(r.roi_id), r);
      }
      if (!node) {
        node = this.build(r);
        changed.push(r);
      }
      this.nodes.set(r.roi_id, node);
      if (node === at) at = node.nextSibling;
      else {
        reordered ||= at !== null; // appended at the end: no other ROI moved
        this.group.insertBefore(node, at);
      }
    }
    this.rois = rois;
    this.byId = next;
    this.index = null;
    if (this.selected && !next.has(this.selected)) this.selected = null;
    if (reordered || changed.length > PARTIAL_MAX) this.repaint();
    else this.touch(...changed);
  }

  /** Repaint where these ROIs (old and new versions) are painted, unless selected (the SVG draws that one). */
  private touch(...rois: (StageRoi | undefined)[]): void {
    if (this.full) return this.schedule(); // the whole canvas is repainted anyway
    const k = this.placement().scale || 1;
    for (const r of rois) {
      if (!r || r.roi_id === this.selected) continue;
      const [x1, y1, x2, y2] = this.painter.ink(r, k);
      const d = this.dirty;
      this.dirty = d ? [Math.min(d[0], x1), Math.min(d[1], y1), Math.max(d[2], x2), Math.max(d[3], y2)] : [x1, y1, x2, y2];
      this.schedule();
    }
  }

  get(roiId: string | null): StageRoi | undefined {
    return roiId === null ? undefined : this.byId.get(roiId);
  }

  node(roiId: string): SVGGElement | undefined {
    return this.nodes.get(roiId);
  }

  getSelected(): string | null {
    return this.selected;
  }

  /** Draw `roiId` (or none) as the selected ROI: in SVG, above the canvas. */
  select(roiId: string | null): void {
    if (roiId === this.selected) return;
    const before = this.get(this.selected);
    const after = this.get(roiId);
    this.touch(after); // no longer on the canvas
    this.selected = roiId;
    this.touch(before); // back on the canvas
    for (const r of [before, after]) if (r) this.nodes.get(r.roi_id)?.replaceWith(this.remember(this.build(r)));
  }

  /** The topmost ROI under the image point `p` (within `tolPx` screen pixels of its outline). */
  hit(p: Point, tolPx: number): StageRoi | null {
    const k = this.placement().scale || 1;
    this.index ??= new HitIndex(this.rois, ...this.imageSize());
    return this.index.topmost(p, tolPx / k, POINT_PX / k);
  }

  setHidden(hidden: boolean): void {
    this.group.style.display = hidden ? "none" : "";
    this.canvas.style.display = hidden ? "none" : "";
  }

  /** The view or the stage's size changed: repaint, and redraw the selected ROI's parts sized in screen pixels. */
  refit(): void {
    const r = this.get(this.selected);
    if (r) this.nodes.get(r.roi_id)?.replaceWith(this.remember(this.build(r)));
    this.repaint();
  }

  /** Repaint the whole canvas before the next frame. */
  repaint(): void {
    this.full = true;
    this.schedule();
  }

  /** Paint before the next frame (once, however many changes come first). */
  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const at = this.placement();
      const region = this.full ? null : this.dirty;
      [this.full, this.dirty] = [false, null];
      const painted = this.painter.paint(this.rois, this.selected, at, region);
      this.canvas.dataset.rois = String(this.rois.length);
      if (!region) this.canvas.dataset.painted = String(painted);
    });
  }

  private remember(node: SVGGElement): SVGGElement {
    this.nodes.set(node.dataset.roiId!, node);
    return node;
  }

  private build(r: StageRoi): SVGGElement {
    const selected = r.roi_id === this.selected;
    const cls = ["roi", `roi-${r.type}`, r.locked ? "locked" : "", selected ? "selected" : ""];
    const g = el("g", { class: cls.filter(Boolean).join(" "), "data-roi-id": r.roi_id, id: `roi-${r.roi_id}` });
    g.style.setProperty("--roi-color", r.color ?? "#ffcc00");
    const k = this.placement().scale || 1;
    g.append(shapeElement(r.type, r.points, { class: "roi-shape" }, POINT_PX / k));
    if (selected && r.labels.length) {
      const [x, y] = r.points[0];
      const t = el("text", { class: "roi-caption", x, y: y - 3 / k });
      t.style.fontSize = `${CAPTION_PX / k}px`;
      t.textContent = r.labels.join(", ");
      g.append(t);
    }
    return g;
  }
}
