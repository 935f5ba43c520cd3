// The editor's keyboard: undo / redo / save, frame navigation, drawing modes, copy / paste and delete of the
// selected ROI. Keys typed into an input are left to it; a key a popup handles (Esc) never reaches here.
import { useEffect, useRef } from "react";
import type { Mode } from "../drawing/stage";
import { MODES, type NavKind } from "./FrameToolbar";

export interface EditorKeys {
  undo: () => void;
  redo: () => void;
  save: () => void;
  navigate: (kind: NavKind, steps?: number) => void;
  help: () => void;
  mode: (m: Mode) => void;
  copy: () => void;
  paste: () => void;
  remove: () => void;
}

/** Listen to the editor's shortcuts while mounted (the latest handlers are always used). */
export function useEditorKeys(keys: EditorKeys): void {
  const latest = useRef(keys);
  latest.current = keys;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as Element).closest("input, textarea, select, [role=dialog]")) return;
      const k = latest.current;
      const ctrl = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (ctrl && key === "z") return e.preventDefault(), k.undo();
      if (ctrl && key === "y") return e.preventDefault(), k.redo();
      if (ctrl && key === "s") return e.preventDefault(), k.save();
      if (ctrl && key === "c") return window.getSelection()?.toString() ? undefined : (e.preventDefault(), k.copy());
      if (ctrl && key === "v") return e.preventDefault(), k.paste();
      if (e.key === "ArrowRight") return k.navigate(ctrl ? "jump" : "next", ctrl ? 10 : 0);
      if (e.key === "ArrowLeft") return k.navigate(ctrl ? "jump" : "prev", ctrl ? -10 : 0);
      if (e.key === "?") return k.help();
      if (e.key === "Delete" || e.key === "Backspace") return k.remove();
      const m = MODES.find(([, , mk]) => mk.toLowerCase() === key);
      if (m && !ctrl && !e.altKey) k.mode(m[0]);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
