// The drawing layer: framework-free SVG behind a small facade. Commands in (setFrame, setMasks, setRois, setMode,
// select, setHidden, setMasksVisible), DOM events out (CustomEvents on the host element, see StageEvents). Mode is
// an explicit state machine; ids and classes of the elements it renders are its test API (`<p>` is the id prefix,
// "stage" unless given, so several stages can share a page):
//   svg#<p>-svg.stage-svg[data-mode][data-zoom][data-image=loading|loaded|failed|none][data-masks=shown|hidden|none]
//   (viewBox = the visible part), image#<p>-image, rect#<p>-blank, g#<p>-masks > image.stage-mask[data-mask-id]
//   [data-state], g.roi[data-roi-id] (.selected .locked .roi-<type>), g#<p>-draft (the shape being drawn),
//   g#<p>-handles > circle.handle[data-handle] (vertices of the selected ROI: drag one to resize/reshape).
import { Backdrop, type MaskRef } from "./backdrop";
import { corners, dragCorner, el, fromCorners, shapeElement, type Point, type ShapeType } from "./geometry";

export type { Point, ShapeType } from "./geometry";
export type Mode = "select" | ShapeType;

export interface StageRoi {
  roi_id: string;
  type: ShapeType;
  points: Point[];
  labels: string[];
  locked: boolean;
  color?: string;
}

/** Events dispatched on the host element (names are `stage:<key>`). */
export interface StageEvents {
  "stage:create": { type: ShapeType; points: Point[] };
  "stage:move": { roi_id: string; dx: number; dy: number };
  "stage:reshape": { roi_id: string; points: Point[] };
  "stage:select": { roi_id: string | null };
  "stage:refused": { roi_id: string; reason: "locked" | "hidden" };
}

// Internal state of the pointer interaction; every transition is in `onDown`/`onMove`/`onUp`/`onKey`.
type Interaction =
  | { kind: "idle" }
  | { kind: "dragging-shape"; type: "rectangle" | "ellipse"; start: Point; end: Point }
  | { kind: "placing"; type: "polygon" | "keypoints"; points: Point[]; cursor: Point | null }
  | { kind: "moving"; roi_id: string; start: Point; delta: Point }
  | { kind: "reshaping"; roi_id: string; handle: number; points: Point[] }
  | { kind: "panning"; client: Point; origin: Point };

const CLOSE_RADIUS_PX = 8;

export class Stage {
  readonly svg: SVGSVGElement;
  private readonly backdrop: Backdrop;
  private readonly layer: SVGGElement;
  private readonly draft: SVGGElement;
  private readonly handles: SVGGElement;
  private mode: Mode = "select";
  private state: Interaction = { kind: "idle" };
  private rois: StageRoi[] = [];
  private selected: string | null = null;
  private hidden = false;
  private width = 1;
  private height = 1;
  private zoom = 1;
  private view: Point = [0, 0]; // top-left of the visible part, in image coordinates
  // Pointer coordinates go through the SVG's screen transform on every event, so they follow any size; the parts
  // sized in screen pixels (vertex handles, key points) are redrawn when the stage is resized (e.g. the window).
  private readonly resized = new ResizeObserver(() => {
    if (this.state.kind === "idle") this.render();
  });

  constructor(
    private readonly host: HTMLElement,
    prefix = "stage",
  ) {
    this.svg = el("svg", { id: `${prefix}-svg`, class: "stage-svg", preserveAspectRatio: "xMidYMid meet" });
    this.backdrop = new Backdrop(this.svg, prefix);
    this.layer = el("g", { id: `${prefix}-rois`, class: "stage-rois" });
    this.draft = el("g", { id: `${prefix}-draft`, class: "stage-draft" });
    this.handles = el("g", { id: `${prefix}-handles`, class: "stage-handles" });
    this.svg.append(this.layer, this.handles, this.draft);
    host.append(this.svg);
    this.svg.addEventListener("pointerdown", this.onDown);
    this.svg.addEventListener("pointermove", this.onMove);
    this.svg.addEventListener("pointerup", this.onUp);
    this.svg.addEventListener("wheel", this.onWheel, { passive: false });
    window.addEventListener("keydown", this.onKey);
    this.resized.observe(host);
  }

  destroy(): void {
    this.resized.disconnect();
    window.removeEventListener("keydown", this.onKey);
    this.svg.remove();
  }

  /** Show a frame: the source image when it loads, a blank canvas of the source's size otherwise. */
  setFrame(uri: string, width: number, height: number): void {
    this.width = width;
    this.height = height;
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

  setRois(rois: StageRoi[]): void {
    this.rois = rois;
    if (this.selected && !rois.some((r) => r.roi_id === this.selected)) this.selected = null;
    this.render();
  }

  setMode(mode: Mode): void {
    this.mode = mode;
    this.cancel();
    this.svg.dataset.mode = mode;
  }

  getMode(): Mode {
    return this.mode;
  }

  select(roiId: string | null): void {
    if (roiId === this.selected) return;
    this.selected = roiId;
    this.markSelected();
  }

  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    this.layer.style.display = hidden ? "none" : "";
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

  private toImage(ev: { clientX: number; clientY: number }): Point {
    const m = this.svg.getScreenCTM();
    if (!m) return [0, 0];
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
    return [Math.min(Math.max(p.x, 0), this.width), Math.min(Math.max(p.y, 0), this.height)];
  }

  private pxToImage(px: number): number {
    const m = this.svg.getScreenCTM();
    return m ? px / m.a : px;
  }

  private onDown = (ev: PointerEvent): void => {
    if (ev.button !== 0) return;
    const p = this.toImage(ev);
    const s = this.state;
    if (this.mode === "rectangle" || this.mode === "ellipse") {
      this.state = { kind: "dragging-shape", type: this.mode, start: p, end: p };
      this.svg.setPointerCapture?.(ev.pointerId);
    } else if (this.mode === "polygon" || this.mode === "keypoints") {
      const points = s.kind === "placing" ? s.points : [];
      if (this.mode === "polygon" && points.length >= 3) {
        const [fx, fy] = points[0];
        if (Math.hypot(fx - p[0], fy - p[1]) <= this.pxToImage(CLOSE_RADIUS_PX)) return this.commit();
      }
      this.state = { kind: "placing", type: this.mode, points: [...points, p], cursor: p };
    } else {
      const handle = (ev.target as Element).closest<SVGCircleElement>("circle.handle");
      const roi = this.rois.find((r) => r.roi_id === this.selected);
      if (handle && roi && !roi.locked && !this.hidden) {
        this.state = { kind: "reshaping", roi_id: roi.roi_id, handle: Number(handle.dataset.handle), points: corners(roi.type, roi.points) };
        this.svg.setPointerCapture?.(ev.pointerId);
        return;
      }
      const target = (ev.target as Element).closest<SVGGElement>("g.roi");
      const id = target?.dataset.roiId ?? null;
      this.selected = id;
      this.markSelected();
      this.emit("stage:select", { roi_id: id });
      if (!id && this.zoom > 1) {
        this.state = { kind: "panning", client: [ev.clientX, ev.clientY], origin: this.view };
        this.svg.setPointerCapture?.(ev.pointerId);
      }
      if (id) {
        const roi = this.rois.find((r) => r.roi_id === id);
        if (roi?.locked || this.hidden) {
          this.emit("stage:refused", { roi_id: id, reason: roi?.locked ? "locked" : "hidden" });
          return;
        }
        this.state = { kind: "moving", roi_id: id, start: p, delta: [0, 0] };
        this.svg.setPointerCapture?.(ev.pointerId);
      }
    }
    this.renderDraft();
  };

  private onMove = (ev: PointerEvent): void => {
    const s = this.state;
    if (s.kind === "idle") return;
    const p = this.toImage(ev);
    if (s.kind === "panning") {
      const k = this.pxToImage(1);
      this.view = [s.origin[0] - (ev.clientX - s.client[0]) * k, s.origin[1] - (ev.clientY - s.client[1]) * k];
      return this.applyViewBox();
    }
    if (s.kind === "dragging-shape") s.end = p;
    else if (s.kind === "placing") s.cursor = p;
    else if (s.kind === "moving") {
      s.delta = [p[0] - s.start[0], p[1] - s.start[1]];
      const g = this.layer.querySelector<SVGGElement>(`g.roi[data-roi-id="${CSS.escape(s.roi_id)}"]`);
      g?.setAttribute("transform", `translate(${s.delta[0]} ${s.delta[1]})`);
      this.handles.setAttribute("transform", `translate(${s.delta[0]} ${s.delta[1]})`);
      return;
    } else if (s.kind === "reshaping") {
      s.points = dragCorner(this.rois.find((r) => r.roi_id === s.roi_id)!.type, s.points, s.handle, p);
      this.renderDraft();
      return;
    }
    this.renderDraft();
  };

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
      else this.render();
    } else if (s.kind === "panning") {
      this.state = { kind: "idle" };
    } else if (s.kind === "reshaping") {
      this.state = { kind: "idle" };
      this.renderDraft();
      const roi = this.rois.find((r) => r.roi_id === s.roi_id);
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
    const zoom = Math.min(20, Math.max(1, this.zoom * factor));
    const [w, h] = [this.width / this.zoom, this.height / this.zoom];
    const [ax, ay] = anchor ?? [this.view[0] + w / 2, this.view[1] + h / 2];
    const k = this.zoom / zoom;
    this.view = [ax - (ax - this.view[0]) * k, ay - (ay - this.view[1]) * k];
    this.zoom = zoom;
    this.applyViewBox();
  }

  /** The whole image in view. */
  resetView(): void {
    this.zoom = 1;
    this.view = [0, 0];
    this.applyViewBox();
  }

  private applyViewBox(): void {
    const w = this.width / this.zoom;
    const h = this.height / this.zoom;
    this.view = [Math.min(Math.max(this.view[0], 0), this.width - w), Math.min(Math.max(this.view[1], 0), this.height - h)];
    this.svg.setAttribute("viewBox", `${this.view[0]} ${this.view[1]} ${w} ${h}`);
    this.svg.dataset.zoom = this.zoom.toFixed(2);
  }

  private shape(type: ShapeType, points: Point[], attrs: Record<string, string | number>): SVGElement {
    return shapeElement(type, points, attrs, this.pxToImage(4) || 4);
  }

  private render(): void {
    const frag = document.createDocumentFragment();
    for (const r of this.rois) {
      const cls = ["roi", `roi-${r.type}`, r.locked ? "locked" : "", r.roi_id === this.selected ? "selected" : ""];
      const g = el("g", { class: cls.filter(Boolean).join(" "), "data-roi-id": r.roi_id, id: `roi-${r.roi_id}` });
      g.style.setProperty("--roi-color", r.color ?? "#ffcc00");
      g.append(this.shape(r.type, r.points, { class: "roi-shape" }));
      if (r.labels.length) {
        const [x, y] = r.points[0];
        const t = el("text", { class: "roi-caption", x, y: y - 3 });
        t.textContent = r.labels.join(", ");
        g.append(t);
      }
      frag.append(g);
    }
    this.layer.replaceChildren(frag);
    this.renderHandles();
  }

  /** Move the `selected` class and the vertex handles without rebuilding the other ROIs. */
  private markSelected(): void {
    this.layer.querySelector("g.roi.selected")?.classList.remove("selected");
    if (this.selected) this.layer.querySelector(`g.roi[data-roi-id="${CSS.escape(this.selected)}"]`)?.classList.add("selected");
    this.renderHandles();
  }

  private renderHandles(): void {
    this.handles.removeAttribute("transform");
    const sel = this.rois.find((r) => r.roi_id === this.selected);
    const r = this.pxToImage(5) || 5;
    this.handles.replaceChildren(
      ...(sel && !sel.locked ? corners(sel.type, sel.points) : []).map(([cx, cy], i) => el("circle", { class: "handle", "data-handle": i, cx, cy, r })),
    );
  }

  private renderDraft(): void {
    const s = this.state;
    this.draft.replaceChildren();
    if (s.kind === "reshaping") {
      const roi = this.rois.find((r) => r.roi_id === s.roi_id);
      if (roi) this.draft.append(this.shape(roi.type, fromCorners(roi.type, s.points), { class: "draft-shape" }));
    }
    if (s.kind === "dragging-shape") this.draft.append(this.shape(s.type, [s.start, s.end], { class: "draft-shape" }));
    if (s.kind === "placing") {
      const pts = s.cursor && s.type === "polygon" ? [...s.points, s.cursor] : s.points;
      const shape =
        s.type === "polygon" ? el("polyline", { class: "draft-shape", points: pts.map((p) => p.join(",")).join(" ") }) : this.shape("keypoints", pts, { class: "draft-shape" });
      this.draft.append(shape);
    }
  }
}
