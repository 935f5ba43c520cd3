// What part of the image a stage shows and where: the image's size, the zoom, the visible part's top-left corner and
// the stage's box on screen (SVG's `viewBox` with `xMidYMid meet`, computed here so that no pointer event needs the
// browser's layout). No DOM.
import type { Point } from "./geometry";
import type { Placement } from "./painter";

const MAX_ZOOM = 20;

export class View {
  width = 1; // the image, in its pixels
  height = 1;
  zoom = 1;
  corner: Point = [0, 0]; // top-left of the visible part, in image coordinates
  box: [number, number] = [1, 1]; // the stage's size on screen (CSS pixels)

  /** Where the visible part of the image lies in the stage's box. */
  placement(): Placement {
    const [bw, bh] = this.box;
    const [vw, vh] = [this.width / this.zoom, this.height / this.zoom];
    const scale = Math.min(bw / vw, bh / vh);
    return { scale, dx: (bw - vw * scale) / 2 - this.corner[0] * scale, dy: (bh - vh * scale) / 2 - this.corner[1] * scale, width: bw, height: bh };
  }

  /** The image point at `client` (page coordinates) on a stage whose box starts at `origin`, clamped to the image. */
  toImage(client: Point, origin: Point): Point {
    const { scale, dx, dy } = this.placement();
    if (!(scale > 0)) return [0, 0];
    const [x, y] = [(client[0] - origin[0] - dx) / scale, (client[1] - origin[1] - dy) / scale];
    return [Math.min(Math.max(x, 0), this.width), Math.min(Math.max(y, 0), this.height)];
  }

  /** Screen pixels in image pixels. */
  pxToImage(px: number): number {
    const k = this.placement().scale;
    return k > 0 ? px / k : px;
  }

  /** Zoom by `factor` keeping `anchor` (default: the view's centre) where it is; whether the zoom changed. */
  zoomBy(factor: number, anchor?: Point): boolean {
    const zoom = Math.min(MAX_ZOOM, Math.max(1, this.zoom * factor));
    const [w, h] = [this.width / this.zoom, this.height / this.zoom];
    const [ax, ay] = anchor ?? [this.corner[0] + w / 2, this.corner[1] + h / 2];
    const k = this.zoom / zoom;
    this.corner = [ax - (ax - this.corner[0]) * k, ay - (ay - this.corner[1]) * k];
    const changed = zoom !== this.zoom;
    this.zoom = zoom;
    return changed;
  }

  /** The whole image in view; whether the zoom changed. */
  reset(): boolean {
    const changed = this.zoom !== 1;
    [this.zoom, this.corner] = [1, [0, 0]];
    return changed;
  }

  /** Keep the visible part inside the image; its `viewBox`. */
  clamp(): string {
    const [w, h] = [this.width / this.zoom, this.height / this.zoom];
    this.corner = [Math.min(Math.max(this.corner[0], 0), this.width - w), Math.min(Math.max(this.corner[1], 0), this.height - h)];
    return `${this.corner[0]} ${this.corner[1]} ${w} ${h}`;
  }
}
