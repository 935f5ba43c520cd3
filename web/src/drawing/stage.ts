// The drawing layer: framework-free, behind a small facade. Commands in (setFrame, setMasks, setRois, setMode,
// select, setHidden, setMasksVisible), DOM events out (CustomEvents on the host element, see StageEvents). Mode is
// an explicit state machine. Layers, one above the other: an SVG with the image and masks, a canvas with the ROIs
// (roilayer.ts / painter.ts: thousands stay fast), the SVG holding a node per ROI (never painted: so that editing
// never repaints it) and the overlay SVG the user works on (the selected ROI, its handles, the shape being drawn;
// it gets the pointer events). A click is hit-tested in a grid index (hitindex.ts), not by the DOM. Ids and
// classes of the elements are its test API (`<p>` is the id prefix, "stage" unless given, so several stages can
// share a page):
//   svg#<p>-svg.stage-svg[data-mode][data-zoom][data-image=loading|loaded|failed|none][data-masks=shown|hidden|none]
//   (viewBox = the visible part) > g#<p>-rois > g.roi[data-roi-id] (.selected .locked .roi-<type>, --roi-color,
//   the shape with the ROI's geometry); svg#<p>-backdrop.stage-backdrop > image#<p>-image, rect#<p>-blank,
//   g#<p>-masks > image.stage-mask[data-mask-id][data-state]; canvas#<p>-canvas.stage-canvas[data-rois][data-painted]
//   (how many ROIs it holds / painted in view at its last full repaint); svg#<p>-overlay.stage-overlay >
//   g#<p>-selected (the selected ROI as drawn), g#<p>-handles > circle.handle[data-handle] (vertices of the
//   selected ROI: drag one to resize/reshape), g#<p>-draft (the shape being drawn).
import { Backdrop, type MaskRef } from "./backdrop";
import { corners, dragCorner, el, fromCorners, shapeElement, type Point, type ShapeType } from "./geometry";
import { draftElements, type Interaction, type Mode, type StageEvents } from "./interaction";
import { RoiLayer, type StageRoi } from "./roilayer";
import { View } from "./view";

export type { Point, ShapeType } from "./geometry";
export type { StageRoi } from "./roilayer";
export type { Mode, StageEvents } from "./interaction";
const CLOSE_RADIUS_PX = 8;
const HIT_PX = 2; // a click this close to a ROI's outline hits it (its drawn stroke)

export class Stage {
  readonly svg: SVGSVGElement;
  private readonly overlay: SVGSVGElement;
  private readonly backdropSvg: SVGSVGElement;
  private readonly backdrop: Backdrop;
  private readonly canvas: HTMLCanvasElement;
  private readonly layer: RoiLayer;
  private readonly draft: SVGGElement;
  private readonly handles: SVGGElement;
  private mode: Mode = "select";
  private state: Interaction = { kind: "idle" };
  private hidden = false;
  private readonly view = new View();
  private origin: Point | null = null; // the stage's top-left on the page: read at a press, dropped on resize
  // Pointer coordinates are mapped from the stage's box and the view (no DOM geometry per move); the parts sized in
  // screen pixels (handles, the selected ROI's caption and key points) and the canvas follow a resize at once.
  private readonly resized = new ResizeObserver((entries) => {
    const r = entries[entries.length - 1]?.contentRect;
    if (r) this.view.box = [r.width, r.height];
    this.origin = null;
    this.refit();
  });

  constructor(
    private readonly host: HTMLElement,
    prefix = "stage",
  ) {
    const view = { preserveAspectRatio: "xMidYMid meet" };
    this.backdropSvg = el("svg", { ...view, id: `${prefix}-backdrop`, class: "stage-backdrop" });
    this.svg = el("svg", { ...view, id: `${prefix}-svg`, class: "stage-svg" });
    this.overlay = el("svg", { ...view, id: `${prefix}-overlay`, class: "stage-overlay" });
    this.backdrop = new Backdrop(this.backdropSvg, prefix, this.svg);
    this.canvas = document.createElement("canvas");
    this.canvas.id = `${prefix}-canvas`;
    this.canvas.className = "stage-canvas";
    this.layer = new RoiLayer(this.canvas, prefix, () => this.view.placement(), () => [this.view.width, this.view.height]);
    this.draft = el("g", { id: `${prefix}-draft`, class: "stage-draft" });
    this.handles = el("g", { id: `${prefix}-handles`, class: "stage-handles" });
    this.svg.append(this.layer.group);
    this.overlay.append(this.layer.view, this.handles, this.draft);
    host.append(this.backdropSvg, this.canvas, this.svg, this.overlay);
    const r = host.getBoundingClientRect();
    this.view.box = [r.width, r.height];
    this.overlay.addEventListener("pointerdown", this.onDown);
    this.overlay.addEventListener("pointermove", this.onMove);
    this.overlay.addEventListener("pointerup", this.onUp);
    this.overlay.addEventListener("wheel", this.onWheel, { passive: false });
    window.addEventListener("keydown", this.onKey);
    window.addEventListener("scroll", this.moved, true);
    this.resized.observe(host);
  }

  destroy(): void {
    this.resized.disconnect();
    this.layer.destroy();
    window.removeEventListener("keydown", this.onKey);
    window.removeEventListener("scroll", this.moved, true);
    for (const e of [this.backdropSvg, this.canvas, this.svg, this.overlay]) e.remove();
  }

  /** Show a frame: the source image when it loads, a blank canvas of the source's size otherwise. */
  setFrame(uri: string, width: number, height: number): void {
    [this.view.width, this.view.height] = [width, height];
    this.resetView();
    this.backdrop.setImage(uri, width, height);
    this.cancel();
  }

  /** Overlay the source's masks (semi-transparent, under the ROIs). */
  setMasks(masks: MaskRef[]): void {
    this.backdrop.setMasks(masks);
  }

  /** Show or hide the mask overlay. */
  setMasksVisible(visible: boolean): void {
    this.backdrop.setMasksVisible(visible);
  }

  /** The ROIs of this stage, in drawing order; unchanged ROI objects cost nothing (compared by identity). */
  setRois(rois: readonly StageRoi[]): void {
    this.layer.set(rois);
    this.renderHandles();
  }

  setMode(mode: Mode): void {
    this.mode = mode;
    this.cancel();
    this.svg.dataset.mode = mode;
    this.overlay.dataset.mode = mode;
    this.overlay.style.cursor = "";
  }

  getMode(): Mode {
    return this.mode;
  }

  select(roiId: string | null): void {
    if (roiId === this.layer.getSelected()) return;
    this.layer.select(roiId);
    this.renderHandles();
  }

  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    this.layer.setHidden(hidden);
    this.handles.style.display = hidden ? "none" : "";
  }

  /** Finish a keypoints/polygon shape being placed (✓ button or Enter). */
  commit(): void {
    const s = this.state;
    if (s.kind !== "placing") return;
    const enough = s.type === "polygon" ? s.points.length >= 3 : s.points.length >= 1;
    if (enough) this.emit("stage:create", { type: s.type, points: s.points });
    this.cancel();
  }

  /** Drop the shape being drawn (Esc). */
  cancel(): void {
    this.state = { kind: "idle" };
    this.renderDraft();
  }

  private emit<K extends keyof StageEvents>(name: K, detail: StageEvents[K]): void {
    this.host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));
  }

  private moved = (): void => {
    this.origin = null;
  };

  /** The image point under a pointer (clamped to the image). */
  private toImage(ev: { clientX: number; clientY: number }): Point {
    if (!this.origin) {
      const r = this.overlay.getBoundingClientRect();
      this.origin = [r.left, r.top];
    }
    return this.view.toImage([ev.clientX, ev.clientY], this.origin);
  }

  private pxToImage(px: number): number {
    return this.view.pxToImage(px);
  }

  private onDown = (ev: PointerEvent): void => {
    if (ev.button !== 0) return;
    this.origin = null; // read the stage's place once per press: the page may have moved it since
    const p = this.toImage(ev);
    const s = this.state;
    if (this.mode === "rectangle" || this.mode === "ellipse") {
      this.state = { kind: "dragging-shape", type: this.mode, start: p, end: p };
      this.overlay.setPointerCapture?.(ev.pointerId);
    } else if (this.mode === "polygon" || this.mode === "keypoints") {
      const points = s.kind === "placing" ? s.points : [];
      if (this.mode === "polygon" && points.length >= 3) {
        const [fx, fy] = points[0];
        if (Math.hypot(fx - p[0], fy - p[1]) <= this.pxToImage(CLOSE_RADIUS_PX)) return this.commit();
      }
      this.state = { kind: "placing", type: this.mode, points: [...points, p], cursor: p };
    } else {
      const handle = (ev.target as Element).closest<SVGCircleElement>("circle.handle");
      const sel = this.layer.get(this.layer.getSelected());
      if (handle && sel && !sel.locked && !this.hidden) {
        this.state = { kind: "reshaping", roi_id: sel.roi_id, handle: Number(handle.dataset.handle), points: corners(sel.type, sel.points) };
        this.overlay.setPointerCapture?.(ev.pointerId);
        return;
      }
      const roi = this.hidden ? null : this.layer.hit(p, HIT_PX);
      const id = roi?.roi_id ?? null;
      this.select(id);
      this.emit("stage:select", { roi_id: id });
      if (!roi && this.view.zoom > 1) {
        this.state = { kind: "panning", client: [ev.clientX, ev.clientY], origin: this.view.corner };
        this.overlay.setPointerCapture?.(ev.pointerId);
      }
      if (roi) {
        if (roi.locked) {
          this.emit("stage:refused", { roi_id: roi.roi_id, reason: "locked" });
          return;
        }
        this.state = { kind: "moving", roi_id: roi.roi_id, start: p, delta: [0, 0] };
        this.overlay.setPointerCapture?.(ev.pointerId);
      }
    }
    this.renderDraft();
  };

  private onMove = (ev: PointerEvent): void => {
    const s = this.state;
    if (s.kind === "idle") return this.hover(ev);
    const p = this.toImage(ev);
    if (s.kind === "panning") {
      const k = this.pxToImage(1);
      this.view.corner = [s.origin[0] - (ev.clientX - s.client[0]) * k, s.origin[1] - (ev.clientY - s.client[1]) * k];
      return this.applyViewBox();
    }
    if (s.kind === "dragging-shape") s.end = p;
    else if (s.kind === "placing") s.cursor = p;
    else if (s.kind === "moving") {
      s.delta = [p[0] - s.start[0], p[1] - s.start[1]];
      this.layer.offset(s.roi_id, s.delta[0], s.delta[1]);
      this.handles.setAttribute("transform", `translate(${s.delta[0]} ${s.delta[1]})`);
      return;
    } else if (s.kind === "reshaping") {
      const roi = this.layer.get(s.roi_id);
      if (roi) s.points = dragCorner(roi.type, s.points, s.handle, p);
      this.renderDraft();
      return;
    }
    this.renderDraft();
  };

  /** In select mode, the pointer shows what a press would do over a ROI (move it, or nothing: locked). */
  private hover(ev: PointerEvent): void {
    if (this.mode !== "select" || ev.buttons) return;
    const roi = this.hidden ? null : this.layer.hit(this.toImage(ev), HIT_PX);
    const cursor = roi ? (roi.locked ? "not-allowed" : "move") : "";
    if (this.overlay.style.cursor !== cursor) this.overlay.style.cursor = cursor;
  }

  private onUp = (ev: PointerEvent): void => {
    const s = this.state;
    if (s.kind === "dragging-shape") {
      s.end = this.toImage(ev);
      const [[x1, y1], [x2, y2]] = [s.start, s.end];
      this.cancel();
      if (Math.abs(x2 - x1) >= 2 && Math.abs(y2 - y1) >= 2) {
        const pts: Point[] = [[Math.min(x1, x2), Math.min(y1, y2)], [Math.max(x1, x2), Math.max(y1, y2)]];
        this.emit("stage:create", { type: s.type, points: pts });
      }
    } else if (s.kind === "moving") {
      this.state = { kind: "idle" };
      const [dx, dy] = s.delta;
      if (dx !== 0 || dy !== 0) this.emit("stage:move", { roi_id: s.roi_id, dx, dy });
      else {
        this.layer.offset(s.roi_id, 0, 0);
        this.handles.removeAttribute("transform");
      }
    } else if (s.kind === "panning") {
      this.state = { kind: "idle" };
    } else if (s.kind === "reshaping") {
      this.state = { kind: "idle" };
      this.renderDraft();
      const roi = this.layer.get(s.roi_id);
      if (roi) this.emit("stage:reshape", { roi_id: s.roi_id, points: fromCorners(roi.type, s.points) });
    }
  };

  private onKey = (ev: KeyboardEvent): void => {
    if (this.state.kind !== "placing") return;
    if (ev.key === "Enter") this.commit();
    else if (ev.key === "Escape") this.cancel();
  };

  private onWheel = (ev: WheelEvent): void => {
    ev.preventDefault();
    this.zoomBy(ev.deltaY < 0 ? 1.15 : 1 / 1.15, this.toImage(ev));
  };

  /** Zoom by `factor` keeping `anchor` (image coordinates; default the view's centre) where it is. */
  zoomBy(factor: number, anchor?: Point): void {
    const changed = this.view.zoomBy(factor, anchor);
    this.applyViewBox();
    if (changed) this.refit();
  }

  /** The whole image in view. */
  resetView(): void {
    const changed = this.view.reset();
    this.applyViewBox();
    if (changed) this.refit();
  }

  private applyViewBox(): void {
    const box = this.view.clamp();
    for (const e of [this.svg, this.backdropSvg, this.overlay]) e.setAttribute("viewBox", box);
    this.svg.dataset.zoom = this.view.zoom.toFixed(2);
    this.layer.repaint();
  }

  /** The scale on screen changed: redraw what is sized in screen pixels. */
  private refit(): void {
    this.layer.refit();
    if (this.state.kind === "idle") this.renderHandles();
  }

  private shape(type: ShapeType, points: Point[], attrs: Record<string, string | number>): SVGElement {
    return shapeElement(type, points, attrs, this.pxToImage(4) || 4);
  }

  private renderHandles(): void {
    this.handles.removeAttribute("transform");
    const sel = this.layer.get(this.layer.getSelected());
    const r = this.pxToImage(5) || 5;
    this.handles.replaceChildren(
      ...(sel && !sel.locked ? corners(sel.type, sel.points) : []).map(([cx, cy], i) => el("circle", { class: "handle", "data-handle": i, cx, cy, r })),
    );
  }

  private renderDraft(): void {
    this.draft.replaceChildren(...draftElements(this.state, (id) => this.layer.get(id), (type, points) => this.shape(type, points, { class: "draft-shape" })));
  }
}
