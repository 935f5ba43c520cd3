// The ROIs of a stage: painted on a canvas (the many) and kept as one light SVG `g.roi` per ROI (the test API and
// what the selected ROI is drawn with). Updates are incremental: a new list is compared with the last by ROI object
// identity (the editor replaces only the ROIs a command changed), so one change touches one SVG node; the canvas is
// repainted (once per animation frame at most) only when a ROI it shows changed, the selection or the view moved.
import { el, shapeElement, type Point, type ShapeType } from "./geometry";
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

export class RoiLayer {
  readonly group: SVGGElement;
  private readonly painter: Painter;
  private rois: readonly StageRoi[] = [];
  private byId = new Map<string, StageRoi>();
  private nodes = new Map<string, SVGGElement>();
  private index: HitIndex<StageRoi> | null = null;
  private selected: string | null = null;
  private frame = 0; // pending animation frame of a repaint

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
    let dirty = rois.length !== this.rois.length;
    for (const [id, node] of this.nodes)
      if (!next.has(id)) {
        node.remove();
        this.nodes.delete(id);
        dirty = true;
      }
    let at: ChildNode | null = this.group.firstChild;
    for (const r of rois) {
      let node = this.nodes.get(r.roi_id);
      if (node && this.byId.get(r.roi_id) !== r) {
        const fresh = this.build(r);
        if (at === node) at = fresh;
        node.replaceWith(fresh);
        node = fresh;
        if (r.roi_id !== this.selected) dirty = true;
      }
      if (!node) {
        node = this.build(r);
        dirty = true;
      }
      this.nodes.set(r.roi_id, node);
      if (node === at) at = node.nextSibling;
      else {
        this.group.insertBefore(node, at);
        dirty = true;
      }
    }
    this.rois = rois;
    this.byId = next;
    this.index = null;
    if (this.selected && !next.has(this.selected)) this.selected = null;
    if (dirty) this.repaint();
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
    const before = this.selected;
    this.selected = roiId;
    for (const id of [before, roiId]) {
      const r = this.get(id);
      if (r) this.nodes.get(r.roi_id)?.replaceWith(this.remember(this.build(r)));
    }
    this.repaint();
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

  /** Repaint the canvas before the next frame (once, however many changes come first). */
  repaint(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const t0 = performance.now();
      const painted = this.painter.paint(this.rois, this.selected, this.placement());
      ((window as any).__paints ??= []).push(performance.now() - t0);
      this.canvas.dataset.rois = String(this.rois.length);
      this.canvas.dataset.painted = String(painted);
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
