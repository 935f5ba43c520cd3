// The editor's main toolbar: drawing modes, frame navigation (each autosaves first), undo / redo, Save and the
// save status.
import type { Mode } from "../drawing/stage";

export type NavKind = "next" | "prev" | "annotated_next" | "annotated_previous" | "jump";

export const MODES: [Mode, string, string][] = [
  ["select", "Select / move", "V"],
  ["rectangle", "Rectangle", "R"],
  ["ellipse", "Ellipse", "E"],
  ["polygon", "Polygon", "P"],
  ["keypoints", "Key points", "K"],
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
      {MODES.map(([m, title, key]) => (
        <button key={m} id={`mode-${m}`} className={p.mode === m ? "active" : ""} title={`${title} (${key})`} onClick={() => p.setMode(m)}>
          {title}
        </button>
      ))}
      {(p.mode === "keypoints" || p.mode === "polygon") && <button id="commit-shape" title="Finish (Enter)" onClick={p.commit}>✓</button>}
      <span style={{ width: 12 }} />
      <button id="prev-frame" title="Previous (←)" onClick={() => p.navigate("prev")} disabled={nav}>◀</button>
      <button id="prev-annotated" title="Previous annotated frame" onClick={() => p.navigate("annotated_previous")} disabled={nav}>◀ ann.</button>
      <button id="jump-back" title="Back 10 (Ctrl+←)" onClick={() => p.navigate("jump", -10)} disabled={nav}>−10</button>
      <button id="jump-forward" title="Forward 10 (Ctrl+→)" onClick={() => p.navigate("jump", 10)} disabled={nav}>+10</button>
      <button id="next-annotated" title="Next annotated frame" onClick={() => p.navigate("annotated_next")} disabled={nav}>ann. ▶</button>
      <button id="next-frame" title="Next (→)" onClick={() => p.navigate("next")} disabled={nav}>▶</button>
      <span style={{ width: 12 }} />
      <button id="undo" title="Undo (Ctrl+Z)" onClick={p.undo}>Undo</button>
      <button id="redo" title="Redo (Ctrl+Y)" onClick={p.redo}>Redo</button>
      <button id="save" className="primary" onClick={p.save} disabled={!p.pending}>Save</button>
      <span id="save-status" className={`statusline ${p.status.error ? "error" : ""}`} data-dirty={p.pending > 0}>
        {p.status.error ? p.status.text : p.pending ? `${p.pending} unsaved change(s)` : p.status.text}
      </span>
    </div>
  );
}
