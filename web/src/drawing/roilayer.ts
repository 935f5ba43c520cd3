// The ROIs of a stage: painted on a canvas (all but the selected one), the selected one drawn in SVG above it (a
// copy in the stage's overlay), and one light SVG `g.roi` per ROI that is never painted (the test API: its classes,
// color and geometry). Updates are incremental: a new list is compared with the last by ROI object identity (the
// editor replaces only the ROIs a command changed), so one change touches one SVG node; the canvas is repainted
// (once per animation frame at most) only where a ROI it shows changed, or all of it when the view moved.
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
  readonly group: SVGGElement; // g#<p>-rois: a g.roi per ROI
  readonly view: SVGGElement; // g#<p>-selected: the selected ROI as drawn
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
    this.view = el("g", { id: `${prefix}-selected`, class: "stage-selected" });
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
        if (node.parentNode) changed.push(r); // moved in the drawing order: repaint where it is
        this.group.insertBefore(node, at);
      }
    }
    const shown = this.get(this.selected);
    this.rois = rois;
    this.byId = next;
    this.index = null;
    if (this.selected && !next.has(this.selected)) this.selected = null;
    if (this.get(this.selected) !== shown) this.drawSelected();
    if (changed.length > PARTIAL_MAX) this.repaint();
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

  /** Show the selected ROI `roiId` moved by (dx, dy) while it is dragged (its node too); (0, 0): where it is. */
  offset(roiId: string, dx: number, dy: number): void {
    for (const g of [this.nodes.get(roiId), roiId === this.selected ? this.view : undefined])
      if (dx || dy) g?.setAttribute("transform", `translate(${dx} ${dy})`);
      else g?.removeAttribute("transform");
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
    if (before) this.nodes.get(before.roi_id)?.classList.remove("selected");
    if (after) this.nodes.get(after.roi_id)?.classList.add("selected");
    this.drawSelected();
  }

  /** The topmost ROI under the image point `p` (within `tolPx` screen pixels of its outline). */
  hit(p: Point, tolPx: number): StageRoi | null {
    const k = this.placement().scale || 1;
    this.index ??= new HitIndex(this.rois, ...this.imageSize());
    return this.index.topmost(p, tolPx / k, POINT_PX / k);
  }

  setHidden(hidden: boolean): void {
    for (const e of [this.group, this.view, this.canvas]) e.style.display = hidden ? "none" : "";
  }

  /** The view or the stage's size changed: repaint, and redraw the selected ROI's parts sized in screen pixels. */
  refit(): void {
    this.drawSelected();
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

  /** The ROI's node: its classes, color and geometry (not painted: the canvas or the selected view draws it). */
  private build(r: StageRoi): SVGGElement {
    const cls = ["roi", `roi-${r.type}`, r.locked ? "locked" : "", r.roi_id === this.selected ? "selected" : ""];
    const g = el("g", { class: cls.filter(Boolean).join(" "), "data-roi-id": r.roi_id, id: `roi-${r.roi_id}` });
    g.style.setProperty("--roi-color", r.color ?? "#ffcc00");
    g.append(shapeElement(r.type, r.points, { class: "roi-shape" }, POINT_PX));
    return g;
  }

  /** The selected ROI as the user sees it (dashed outline, caption, key points sized in screen pixels). */
  private drawSelected(): void {
    const r = this.get(this.selected);
    this.view.removeAttribute("transform");
    this.view.classList.toggle("locked", !!r?.locked);
    if (!r) return this.view.replaceChildren();
    const k = this.placement().scale || 1;
    this.view.style.setProperty("--roi-color", r.color ?? "#ffcc00");
    const parts: SVGElement[] = [shapeElement(r.type, r.points, { class: "roi-shape" }, POINT_PX / k)];
    if (r.labels.length) {
      const [x, y] = r.points[0];
      const t = el("text", { class: "roi-caption", x, y: y - 3 / k });
      t.style.fontSize = `${CAPTION_PX / k}px`;
      t.textContent = r.labels.join(", ");
      parts.push(t);
    }
    this.view.replaceChildren(...parts);
  }
}
