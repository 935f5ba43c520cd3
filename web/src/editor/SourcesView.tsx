// The frame's sources: side by side (grid, the default) or one at a time (tabs, remembered by the browser), each on
// its own drawing stage with its ROIs and its masks (a toggleable overlay); zoom buttons act on every stage.
import { forwardRef, useCallback, useImperativeHandle, useMemo, useRef, useState } from "react";
import { drawable, type Roi, type Source } from "../api";
import type { Mode, Stage, StageRoi } from "../drawing/stage";
import { labelColor } from "../labels";
import { SourceStage, type StageHandlers } from "./SourceStage";

const LAYOUT_KEY = "annostream.sourceLayout"; // "grid" (sources side by side) or "tabs"

export type Layout = "grid" | "tabs";

/** Which source a ROI is drawn over: its own, else (no source, or one the frame does not have) the first. */
export function sourceOf(sources: Source[], r: Roi): string | undefined {
  return sources.some((s) => s.id === r.source_id) ? r.source_id : sources[0]?.id;
}

/** The layout the browser remembers. */
export function savedLayout(): Layout {
  return localStorage.getItem(LAYOUT_KEY) === "tabs" ? "tabs" : "grid";
}

export interface SourcesViewProps {
  frameKey: string;
  sources: Source[];
  rois: Roi[];
  colors: number; // bumped when label colors change
  layout: Layout;
  setLayout: (l: Layout) => void;
  sourceIdx: number;
  setSourceIdx: (i: number) => void;
  selected: string | null;
  hidden: boolean;
  mode: Mode;
  handlers: StageHandlers;
}

/** Commands on every stage on screen. */
export interface SourcesViewHandle {
  each: (f: (s: Stage) => void) => void;
}

export const SourcesView = forwardRef<SourcesViewHandle, SourcesViewProps>(function SourcesView(p, ref) {
  const stages = useRef(new Map<string, Stage>());
  const [masks, setMasks] = useState(true);
  useImperativeHandle(ref, () => ({ each: (f) => stages.current.forEach(f) }), []);
  const register = useCallback((id: string, s: Stage | null) => void (s ? stages.current.set(id, s) : stages.current.delete(id)), []);
  const { sources } = p;
  const multi = sources.length > 1;
  const grid = multi && p.layout === "grid";
  const source = sources[Math.min(p.sourceIdx, Math.max(sources.length - 1, 0))];
  const onScreen = grid ? sources : source ? [source] : [];
  // The stage compares ROIs by identity: an unchanged ROI keeps its StageRoi object (until its color changes).
  const painted = useRef(new WeakMap<Roi, StageRoi>());
  const byStage = useMemo(() => {
    const out = new Map<string, StageRoi[]>(sources.map((s) => [s.id, []]));
    for (const r of p.rois) {
      if (!drawable(r)) continue;
      const color = labelColor(r.labels[0] ?? "");
      let s = painted.current.get(r);
      if (!s || s.color !== color) painted.current.set(r, (s = { ...r, color }));
      out.get(sourceOf(sources, r) ?? "")?.push(s);
    }
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [p.rois, sources, p.colors]);
  const choose = (l: Layout) => (localStorage.setItem(LAYOUT_KEY, l), p.setLayout(l));
  const each = (f: (s: Stage) => void) => stages.current.forEach(f);

  return (
    <>
      <div className="tools">
        <button id="zoom-in" title="Zoom in (wheel)" onClick={() => each((s) => s.zoomBy(1.5))}>+</button>
        <button id="zoom-out" title="Zoom out (wheel)" onClick={() => each((s) => s.zoomBy(1 / 1.5))}>−</button>
        <button id="zoom-reset" title="Fit (drag the background to pan when zoomed)" onClick={() => each((s) => s.resetView())}>Fit</button>
        {multi && (
          <span id="source-layout" className="seg" role="group" title="How a frame's sources are shown">
            <button id="source-layout-grid" aria-pressed={grid} onClick={() => choose("grid")}>Side by side</button>
            <button id="source-layout-tabs" aria-pressed={!grid} onClick={() => choose("tabs")}>Tabs</button>
          </span>
        )}
        {multi && !grid && (
          <span id="source-tabs" className="seg">
            {sources.map((s, i) => (
              <button key={s.id} className="source-tab" data-source-id={s.id} aria-pressed={s.id === source?.id} onClick={() => p.setSourceIdx(i)}>
                {s.id}
              </button>
            ))}
          </span>
        )}
        {sources.some((s) => s.masks?.length) && (
          <button id="masks-toggle" aria-pressed={masks} title="Show the sources' masks over the images" onClick={() => setMasks(!masks)}>
            Masks
          </button>
        )}
        <span className="statusline" id="source-info">
          {grid ? `${sources.length} sources` : source ? `${source.id} · ${source.width}×${source.height}` : ""}
        </span>
      </div>
      <div className={`stage-area ${grid ? "stage-grid" : ""}`} id="stage-area" data-layout={grid ? "grid" : "tabs"}>
        {onScreen.map((s) => (
          <div className="stage-cell" key={`${grid ? "grid" : "tabs"}:${s.id}`} data-source-id={s.id}>
            {grid && <div className="stage-caption">{s.id} · {s.width}×{s.height}</div>}
            <SourceStage
              prefix={grid ? `stage-${sources.indexOf(s)}` : "stage"}
              frameKey={p.frameKey}
              source={{ ...s, masks: s.masks ?? [] }}
              rois={byStage.get(s.id) ?? []}
              selected={p.selected}
              hidden={p.hidden}
              masks={masks}
              mode={p.mode}
              handlers={p.handlers}
              register={register}
            />
          </div>
        ))}
      </div>
    </>
  );
});
