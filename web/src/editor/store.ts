// The editor's state as one reducer: every change is a named action, so a new panel (a review panel, say) adds its
// slice and its actions here instead of more component state. Side effects (API calls, localStorage) stay in the
// editor's hooks; the reducer is pure.
import type { ApiError, Command, FrameState, TaskInfo } from "../api";
import type { Clipboard } from "../clipboard";
import type { Mode } from "../drawing/stage";
import type { Cursor } from "./cursor";
import type { JsonEdit } from "./parts";
import type { Layout } from "./SourcesView";

export interface Status {
  text: string;
  error?: boolean;
}

/** An unsaved batch found in localStorage for the frame on screen (offered after a reload). */
export interface DraftOffer {
  pending: Command[];
  savedAt: string;
  baseVersion: number;
}

export interface EditorState {
  task: TaskInfo | null;
  cursor: Cursor | null;
  frame: FrameState | null;
  pending: Command[];
  redo: Command[];
  mode: Mode;
  selected: string | null;
  hidden: boolean;
  defaults: string[];
  status: Status;
  conflict: ApiError | null;
  exhausted: boolean;
  json: JsonEdit | null;
  help: boolean;
  sourceIdx: number;
  layout: Layout;
  listAll: boolean;
  datasetLabels: string[];
  colors: number; // bumped when a label color changes (here or elsewhere)
  clip: Clipboard | null;
  remote: string | null; // who changed the frame while I have unsaved edits
  toast: { text: string; seq: number } | null;
  draft: DraftOffer | null;
}

export type Action =
  | { type: "task/loaded"; task: TaskInfo }
  | { type: "task/datasetLabels"; labels: string[] }
  | { type: "frame/shown"; cursor: Cursor; frame: FrameState; draft: DraftOffer | null }
  | { type: "frame/exhausted"; text: string }
  | { type: "frame/placed"; frameId: string; position: number; total: number } // a link's frame found in the plan
  | { type: "frame/fresh"; frame: FrameState } // the server's frame replaces the base (live update, undo of a save)
  | { type: "frame/remote"; actor: string | null }
  | { type: "edit/push"; commands: Command[] }
  | { type: "edit/undo" }
  | { type: "edit/redo" }
  | { type: "edit/discard" }
  | { type: "save/done"; frame: FrameState; rebased: boolean }
  | { type: "save/failed"; text: string; conflict: ApiError | null }
  | { type: "conflict/resolved"; frame: FrameState; keepMine: boolean }
  | { type: "status"; status: Status }
  | { type: "mode"; mode: Mode }
  | { type: "select"; roiId: string | null }
  | { type: "hidden"; hidden: boolean }
  | { type: "defaults"; labels: string[] }
  | { type: "json"; edit: JsonEdit | null }
  | { type: "help"; open: boolean }
  | { type: "source"; index: number }
  | { type: "layout"; layout: Layout }
  | { type: "listAll" }
  | { type: "colors/changed" }
  | { type: "clipboard"; clip: Clipboard | null }
  | { type: "toast"; text: string }
  | { type: "toast/hide" }
  | { type: "draft/found"; draft: DraftOffer | null }
  | { type: "draft/restore" }
  | { type: "draft/discard" };

export function initialState(layout: Layout, clip: Clipboard | null): EditorState {
  return {
    task: null,
    cursor: null,
    frame: null,
    pending: [],
    redo: [],
    mode: "select",
    selected: null,
    hidden: false,
    defaults: [],
    status: { text: "" },
    conflict: null,
    exhausted: false,
    json: null,
    help: false,
    sourceIdx: 0,
    layout,
    listAll: false,
    datasetLabels: [],
    colors: 0,
    clip,
    remote: null,
    toast: null,
    draft: null,
  };
}

/** The next editor state after an action. */
export function editorReducer(s: EditorState, a: Action): EditorState {
  switch (a.type) {
    case "task/loaded":
      return { ...s, task: a.task, defaults: a.task.default_labels };
    case "task/datasetLabels":
      return { ...s, datasetLabels: a.labels };
    case "frame/shown": {
      const sameFrame = s.frame && s.frame.version_id === a.frame.version_id && s.frame.frame_id === a.frame.frame_id;
      return { ...s, cursor: a.cursor, frame: a.frame, pending: [], redo: [], selected: null, remote: null, exhausted: false, draft: a.draft, sourceIdx: sameFrame ? s.sourceIdx : 0 };
    }
    case "frame/placed":
      if (!s.cursor || s.cursor.ref.frame_id !== a.frameId) return s;
      return { ...s, cursor: { ...s.cursor, position: a.position, total: a.total, offTrail: true } };
    case "frame/exhausted":
      return { ...s, exhausted: true, frame: null, cursor: null, status: { text: a.text } };
    case "frame/fresh":
      return { ...s, frame: a.frame };
    case "frame/remote":
      return { ...s, remote: a.actor };
    case "edit/push":
      return { ...s, pending: [...s.pending, ...a.commands], redo: [], status: s.status.error ? { text: "" } : s.status };
    case "edit/undo":
      return s.pending.length ? { ...s, redo: [s.pending[s.pending.length - 1], ...s.redo], pending: s.pending.slice(0, -1) } : s;
    case "edit/redo":
      return s.redo.length ? { ...s, pending: [...s.pending, s.redo[0]], redo: s.redo.slice(1) } : s;
    case "edit/discard":
      return { ...s, pending: [], redo: [] };
    case "save/done":
      return { ...s, frame: a.frame, pending: [], conflict: null, remote: null, status: { text: a.rebased ? "Saved (merged with others' edits)" : "Saved" } };
    case "save/failed":
      return { ...s, conflict: a.conflict ?? s.conflict, status: { text: a.text, error: true } };
    case "conflict/resolved":
      return a.keepMine
        ? { ...s, conflict: null, remote: null, frame: a.frame, status: { text: "Rebased on their version: Save to keep yours" } }
        : { ...s, conflict: null, remote: null, frame: a.frame, pending: [], redo: [], status: { text: "Took their version" } };
    case "status":
      return { ...s, status: a.status };
    case "mode":
      return { ...s, mode: a.mode };
    case "select":
      return { ...s, selected: a.roiId };
    case "hidden":
      return { ...s, hidden: a.hidden };
    case "defaults":
      return { ...s, defaults: a.labels };
    case "json":
      return { ...s, json: a.edit };
    case "help":
      return { ...s, help: a.open };
    case "source":
      return { ...s, sourceIdx: a.index };
    case "layout":
      return { ...s, layout: a.layout };
    case "listAll":
      return { ...s, listAll: true };
    case "colors/changed":
      return { ...s, colors: s.colors + 1 };
    case "clipboard":
      return { ...s, clip: a.clip };
    case "toast":
      return { ...s, toast: { text: a.text, seq: (s.toast?.seq ?? 0) + 1 } };
    case "toast/hide":
      return { ...s, toast: null };
    case "draft/found":
      return { ...s, draft: a.draft };
    case "draft/restore":
      return s.draft ? { ...s, pending: s.draft.pending, redo: [], draft: null, status: { text: "Restored your unsaved changes" } } : s;
    case "draft/discard":
      return { ...s, draft: null };
  }
}
