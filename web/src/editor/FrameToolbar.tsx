// The editor's main toolbar: drawing modes, frame navigation (each autosaves first), undo / redo, Save and the
// save status.
import type { Mode } from "../drawing/stage";

export type NavKind = "next" | "prev" | "annotated_next" | "annotated_previous" | "jump";

/** mode, name, shortcut, short caption (narrow windows) */
export const MODES: [Mode, string, string, string][] = [
  ["select", "Select / move", "V", "Select"],
  ["rectangle", "Rectangle", "R", "Rect"],
  ["ellipse", "Ellipse", "E", "Ellipse"],
  ["polygon", "Polygon", "P", "Poly"],
  ["keypoints", "Key points", "K", "Points"],
];

export interface FrameToolbarProps {
  mode: Mode;
  setMode: (m: Mode) => void;
  commit: () => void; // finish the polygon / key points being placed
  canNavigate: boolean;
  navigate: (kind: NavKind, steps?: number) => void;
  undo: () => void;
  redo: () => void;
  save: () => void;
  pending: number;
  status: { text: string; error?: boolean };
}

export function FrameToolbar(p: FrameToolbarProps) {
  const nav = !p.canNavigate;
  return (
    <div className="tools">
      <span className="mode-group" role="group" aria-label="Drawing mode">
        {MODES.map(([m, title, key, short]) => (
          <button key={m} id={`mode-${m}`} className={p.mode === m ? "active" : ""} title={`${title} (${key})`} aria-label={title} onClick={() => p.setMode(m)}>
            <span className="long">{title}</span>
            <span className="short">{short}</span>
          </button>
        ))}
        {(p.mode === "keypoints" || p.mode === "polygon") && <button id="commit-shape" title="Finish (Enter)" onClick={p.commit}>✓</button>}
      </span>
      <span className="nav-save">
      <span className="nav-group" role="group" aria-label="Frame navigation">
        <button id="prev-frame" title="Previous frame (←): the one you did before, or the one before a frame you jumped to" aria-label="Previous frame" onClick={() => p.navigate("prev")} disabled={nav}>◀</button>
        <button id="prev-annotated" title="Previous frame that has annotations" aria-label="Previous annotated frame" onClick={() => p.navigate("annotated_previous")} disabled={nav}>◀ Annotated</button>
        <button id="jump-back" title="Back 10 frames (Ctrl+←)" aria-label="Back 10 frames" onClick={() => p.navigate("jump", -10)} disabled={nav}>−10</button>
        <button id="jump-forward" title="Forward 10 frames (Ctrl+→)" aria-label="Forward 10 frames" onClick={() => p.navigate("jump", 10)} disabled={nav}>+10</button>
        <button id="next-annotated" title="Next frame that has annotations" aria-label="Next annotated frame" onClick={() => p.navigate("annotated_next")} disabled={nav}>Annotated ▶</button>
        <button id="next-frame" title="Next frame (→): after a jump, the one after it; else your next frame to do" aria-label="Next frame" onClick={() => p.navigate("next")} disabled={nav}>▶</button>
      </span>
      <span className="save-group" role="group" aria-label="History and saving">
        <button id="undo" title="Undo (Ctrl+Z)" onClick={p.undo}>Undo</button>
        <button id="redo" title="Redo (Ctrl+Y)" onClick={p.redo}>Redo</button>
        <button id="save" className="primary" title="Save (Ctrl+S)" onClick={p.save} disabled={!p.pending}>Save</button>
      </span>
      <span id="save-status" className={`statusline ${p.status.error ? "error" : ""}`} data-dirty={p.pending > 0} title={p.status.error ? p.status.text : undefined}>
        {p.status.error ? p.status.text : p.pending ? `${p.pending} unsaved change(s)` : p.status.text}
      </span>
      </span>
    </div>
  );
}
