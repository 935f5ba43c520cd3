// Pinned comments drawn over a frame's first stage, in image coordinates: an SVG laid over the stage's own layers
// that copies their viewBox as it changes (zoom, pan), so pins follow the image. It never takes the pointer.
// `pickPoint` turns a click on the stage into image coordinates (the comment tool).
import { useEffect } from "react";
import type { Comment } from "../review";

const NS = "http://www.w3.org/2000/svg";

/** The first drawing stage's hidden ROI SVG inside `root` (its viewBox is the visible part of the image). */
export function stageSvg(root: Element | null): SVGSVGElement | null {
  return root?.querySelector<SVGSVGElement>("svg.stage-svg") ?? null;
}

/** Image coordinates of a client point over the stage (null when outside or no stage). */
export function pickPoint(root: Element | null, clientX: number, clientY: number): { x: number; y: number } | null {
  const svg = stageSvg(root);
  const m = svg?.getScreenCTM();
  if (!svg || !m) return null;
  const p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
  return { x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 };
}

export function PinLayer(p: { root: Element | null; comments: Comment[]; frameKey: string }) {
  const { root, comments, frameKey } = p;
  useEffect(() => {
    const svg = stageSvg(root);
    if (!svg?.parentElement) return;
    const pins = document.createElementNS(NS, "svg");
    pins.setAttribute("class", "review-pins");
    pins.id = "review-pins";
    const sync = () => {
      for (const a of ["viewBox", "preserveAspectRatio"]) {
        const v = svg.getAttribute(a);
        if (v) pins.setAttribute(a, v);
      }
    };
    sync();
    const watch = new MutationObserver(sync);
    watch.observe(svg, { attributes: true, attributeFilter: ["viewBox"] });
    const threads = comments.filter((c) => c.pinned && c.comment_id === c.thread_id);
    threads.forEach((c, i) => {
      const g = document.createElementNS(NS, "g");
      g.setAttribute("class", `pin${c.resolved ? " resolved" : ""}`);
      g.dataset.commentId = c.comment_id;
      const dot = document.createElementNS(NS, "circle");
      dot.setAttribute("cx", String(c.x ?? 0));
      dot.setAttribute("cy", String(c.y ?? 0));
      dot.setAttribute("r", "9");
      dot.setAttribute("vector-effect", "non-scaling-stroke");
      const label = document.createElementNS(NS, "text");
      label.setAttribute("x", String(c.x ?? 0));
      label.setAttribute("y", String((c.y ?? 0) + 4));
      label.textContent = String(i + 1);
      const title = document.createElementNS(NS, "title");
      title.textContent = `${c.author}: ${c.text}`;
      g.append(dot, label, title);
      pins.append(g);
    });
    svg.parentElement.append(pins);
    return () => {
      watch.disconnect();
      pins.remove();
    };
  }, [root, comments, frameKey]);
  return null;
}
