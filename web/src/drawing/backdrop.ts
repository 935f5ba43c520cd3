// What the ROIs are drawn over: the source image (or a blank canvas of the source's size when it cannot load)
// and the source's masks as a semi-transparent overlay, in their own <svg> under the ROIs. Reports its state on the
// stage's <svg> dataset (`status`).
import { el } from "./geometry";

export interface MaskRef {
  id: string;
  uri: string;
}

/** Browsers load these directly; anything else (s3://, a refused file) is a blank canvas. */
const LOADABLE = /^(https?:|data:|\/)/;

export class Backdrop {
  private readonly blank: SVGRectElement;
  private readonly image: SVGImageElement;
  private readonly masks: SVGGElement;
  private masksVisible = true;
  private size: [number, number] = [1, 1];

  constructor(
    svg: SVGSVGElement,
    private readonly prefix: string,
    private readonly status: SVGSVGElement = svg,
  ) {
    this.blank = el("rect", { id: `${prefix}-blank`, class: "stage-blank", x: 0, y: 0, fill: "#2b2f3a" });
    this.image = el("image", { id: `${prefix}-image`, class: "stage-image", x: 0, y: 0 });
    this.masks = el("g", { id: `${prefix}-masks`, class: "stage-masks" });
    // Masks keep their colors and take their alpha from brightness (a black background is transparent); the
    // group's opacity (CSS) makes the rest see-through.
    const filter = el("filter", { id: `${prefix}-mask-filter`, "color-interpolation-filters": "sRGB" });
    filter.append(el("feColorMatrix", { type: "matrix", values: "1 0 0 0 0  0 1 0 0 0  0 0 1 0 0  0.3 0.59 0.11 0 0" }));
    const defs = el("defs");
    defs.append(filter);
    status.dataset.masks = "none";
    svg.append(defs, this.blank, this.image, this.masks);
  }

  /** Show a source: its image when it loads, a blank canvas of its size otherwise; no masks until setMasks. */
  setImage(uri: string, width: number, height: number): void {
    this.size = [width, height];
    for (const e of [this.blank, this.image]) {
      e.setAttribute("width", String(width));
      e.setAttribute("height", String(height));
    }
    const loadable = LOADABLE.test(uri);
    this.image.setAttribute("href", loadable ? uri : "");
    this.image.style.display = loadable ? "" : "none";
    this.status.dataset.image = loadable ? "loading" : "none";
    this.image.onload = () => (this.status.dataset.image = "loaded");
    this.image.onerror = () => {
      this.image.style.display = "none";
      this.status.dataset.image = "failed";
    };
    this.setMasks([]);
  }

  /** The source's masks, stretched over the whole source (each reports data-state loading/loaded/failed). */
  setMasks(masks: MaskRef[]): void {
    const [width, height] = this.size;
    const filter = `url(#${this.prefix}-mask-filter)`;
    this.masks.replaceChildren(
      ...masks.map((m) => {
        const img = el("image", { class: "stage-mask", "data-mask-id": m.id, x: 0, y: 0, width, height, filter });
        img.dataset.state = LOADABLE.test(m.uri) ? "loading" : "failed";
        img.onload = () => (img.dataset.state = "loaded");
        img.onerror = () => (img.dataset.state = "failed");
        img.setAttribute("href", LOADABLE.test(m.uri) ? m.uri : "");
        return img;
      }),
    );
    this.refresh();
  }

  /** Show or hide the mask overlay. */
  setMasksVisible(visible: boolean): void {
    this.masksVisible = visible;
    this.refresh();
  }

  private refresh(): void {
    this.masks.style.display = this.masksVisible ? "" : "none";
    this.status.dataset.masks = this.masks.childElementCount === 0 ? "none" : this.masksVisible ? "shown" : "hidden";
  }
}
