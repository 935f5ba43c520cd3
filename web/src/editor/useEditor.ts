// The editor's operations on its store: loading frames (lease, trail, jumps), saving, undo / redo, conflicts,
// copy / paste and draft recovery. Each reads the latest state through a ref, so the callbacks are stable.
import { useEffect, useMemo, useReducer, useRef, type Dispatch } from "react";
import { ApiError, api, whenKnown, type Command, type Roi } from "../api";
import { copyRois, onClipboard, pasteCommand, readClipboard } from "../clipboard";
import { readDraft, writeDraft } from "../drafts";
import { applyCompact, forSave } from "../editing";
import { friendlyError } from "../errors";
import { onLabelColors, setTaskColors } from "../labels";
import { cursorFromUrl, cursorToUrl, type Cursor } from "./cursor";
import type { NavKind } from "./FrameToolbar";
import { savedLayout } from "./SourcesView";
import { editorReducer, initialState, type Action, type EditorState } from "./store";

export interface EditorOps {
  push: (...cmds: Command[]) => void;
  save: () => Promise<boolean>;
  navigate: (kind: NavKind, steps?: number) => Promise<void>;
  undo: () => Promise<void>;
  redo: () => Promise<void>;
  resolveConflict: (keepMine: boolean) => Promise<void>;
  copy: (rois: Roi[]) => void;
  paste: (sourceFor: (id: string) => string | undefined) => void;
  fail: (e: unknown) => void;
  show: (c: Cursor) => Promise<void>;
  lease: (complete: string | null) => Promise<void>;
}

/** The editor's store and operations for a task. */
export function useEditor(taskId: string): [EditorState, Dispatch<Action>, EditorOps] {
  const [state, dispatch] = useReducer(editorReducer, undefined, () => initialState(savedLayout(), readClipboard()));
  const st = useRef(state);
  st.current = state;

  const ops = useMemo<EditorOps>(() => {
    const roisOnScreen = () => st.current.frame?.rois ?? [];
    const fail = (e: unknown) => dispatch({ type: "status", status: { text: friendlyError(e, roisOnScreen()), error: true } });
    const show = async (c: Cursor) => {
      const f = await whenKnown(() => api.getFrame(c.ref));
      const d = readDraft(taskId, c.ref);
      dispatch({ type: "frame/shown", cursor: c, frame: f, draft: d });
      history.replaceState(null, "", cursorToUrl(taskId, c));
    };
    const lease = async (complete: string | null) => {
      const l = await whenKnown(() =>
        api.nextFrame(taskId, complete).catch((e) => {
          // The lease ended meanwhile (expired, or finished elsewhere): just ask for the next frame.
          if (complete && e instanceof ApiError && e.field === "complete_lease_id") return api.nextFrame(taskId, null);
          throw e;
        }),
      );
      if (!l.frame) return dispatch({ type: "frame/exhausted", text: l.exhausted ? "Every frame of this task is done." : "No free frame right now (others hold them)." });
      await show({ ref: l.frame, leaseId: l.lease_id ?? "", position: l.position, total: l.total, trailIndex: l.trail_index, leaseTrailIndex: l.trail_index, offTrail: false });
    };
    const save = async (): Promise<boolean> => {
      const { frame, cursor, pending } = st.current;
      if (!frame || !cursor || pending.length === 0) return true;
      const batch = forSave(pending);
      if (batch.length === 0) {
        dispatch({ type: "save/done", frame, rebased: false }); // pasted, then deleted again
        return true;
      }
      dispatch({ type: "status", status: { text: "Saving…" } });
      try {
        const r = await api.saveFrame(cursor.ref, frame.version, taskId, batch);
        // compact: only what changed came back; frame_omitted: too large to carry back
        const saved = r.frame ?? (r.compact ? applyCompact(frame, batch, r) : await api.getFrame(cursor.ref));
        dispatch({ type: "save/done", frame: saved, rebased: r.rebased });
        return true;
      } catch (e) {
        const conflict = e instanceof ApiError && e.status === 409 && e.code === "ABORTED" ? e : null;
        const rois = [...(frame.rois ?? []), ...pendingRois(pending)];
        dispatch({ type: "save/failed", text: `Not saved: ${friendlyError(e, rois)}`, conflict });
        return false;
      }
    };
    const navigate = async (kind: NavKind, steps = 0) => {
      const cursor = st.current.cursor;
      if (!cursor || !(await save())) return;
      try {
        // a frame reached by a jump (or a link) is not in the trail: ▶ / ◀ go on from where it is
        if (cursor.offTrail && (kind === "next" || kind === "prev") && cursor.position > 0) {
          if (kind === "next" && cursor.position >= cursor.total) return await lease(cursor.leaseId || null);
          return await navigate("jump", kind === "next" ? 1 : -1);
        }
        if (kind === "next" && cursor.trailIndex >= cursor.leaseTrailIndex) return await lease(cursor.leaseId || null);
        const action = kind === "next" ? "trail_next" : kind === "prev" ? "trail_previous" : kind;
        const n = await api.navigate(taskId, action, cursor.trailIndex, cursor.position, steps);
        if (!n.frame) {
          if (kind === "next") return await lease(cursor.leaseId || null);
          return dispatch({ type: "status", status: { text: "No frame there" } });
        }
        const offTrail = !n.trail_index;
        const trail = n.trail_index || cursor.leaseTrailIndex;
        await show({ ...cursor, ref: n.frame, position: n.position, total: n.total || cursor.total, trailIndex: trail, leaseTrailIndex: Math.max(cursor.leaseTrailIndex, trail), offTrail });
      } catch (e) {
        fail(e);
      }
    };
    const serverEdit = async (which: "undo" | "redo") => {
      const cursor = st.current.cursor;
      if (!cursor) return;
      try {
        const frame = (await api.undoRedo(cursor.ref, taskId, which)).frame ?? (await api.getFrame(cursor.ref));
        dispatch({ type: "frame/fresh", frame });
        if (which === "undo") dispatch({ type: "status", status: { text: "Undid your last save" } });
      } catch (e) {
        fail(e);
      }
    };
    return {
      push: (...commands) => dispatch({ type: "edit/push", commands }),
      save,
      navigate,
      // undo / redo: pending commands first, then the server's history of my saves
      undo: async () => (st.current.pending.length ? dispatch({ type: "edit/undo" }) : serverEdit("undo")),
      redo: async () => (st.current.redo.length ? dispatch({ type: "edit/redo" }) : serverEdit("redo")),
      resolveConflict: async (keepMine) => {
        const cursor = st.current.cursor;
        if (!cursor) return;
        dispatch({ type: "conflict/resolved", frame: await api.getFrame(cursor.ref), keepMine });
      },
      copy: (rois) => {
        const cursor = st.current.cursor;
        if (!cursor || !rois.length) return;
        copyRois(rois, cursor.ref);
        dispatch({ type: "toast", text: rois.length === 1 ? "Copied 1 ROI: paste it with Ctrl+V (any frame)" : `Copied ${rois.length} ROIs: paste them with Ctrl+V (any frame)` });
      },
      paste: (sourceFor) => {
        const clip = st.current.clip;
        if (!clip || !st.current.cursor) return;
        dispatch({ type: "edit/push", commands: [pasteCommand(clip, sourceFor)] });
        dispatch({ type: "toast", text: clip.rois.length === 1 ? "Pasted 1 ROI" : `Pasted ${clip.rois.length} ROIs` });
      },
      fail,
      show,
      lease,
    };
  }, [taskId]);

  // first load: the task (labels, colors, known labels) and the frame of the URL, else a leased one
  useEffect(() => {
    const { show, lease } = ops;
    api.getTask(taskId).then((t) => {
      dispatch({ type: "task/loaded", task: t });
      setTaskColors(t.label_colors);
      // autocomplete: the labels already used in the dataset version (ROI and frame labels)
      api.versionStats(t.annotated_version_id).then((s) => dispatch({ type: "task/datasetLabels", labels: [...Object.keys(s.roi_labels), ...Object.keys(s.frame_labels)] }), () => undefined);
    }, ops.fail);
    const c = cursorFromUrl();
    (c ? show(c) : lease(null)).catch(ops.fail);
  }, [taskId, ops]);

  useEffect(() => onLabelColors(() => dispatch({ type: "colors/changed" })), []);
  useEffect(() => onClipboard(() => dispatch({ type: "clipboard", clip: readClipboard() })), []);

  // draft recovery: the unsaved batch of the frame on screen is kept locally (not while a found draft is offered)
  const { cursor, frame, pending, draft } = state;
  useEffect(() => {
    if (!cursor || !frame || draft) return;
    writeDraft(taskId, cursor.ref, pending, frame.version);
  }, [taskId, cursor, frame, pending, draft]);

  // the toast disappears after a while
  const toast = state.toast?.seq;
  useEffect(() => {
    if (!toast) return;
    const t = window.setTimeout(() => dispatch({ type: "toast/hide" }), 2500);
    return () => window.clearTimeout(t);
  }, [toast]);

  return [state, dispatch, ops];
}

/** The ROIs a pending batch creates (so an error about one of them can name it by its label). */
function pendingRois(pending: Command[]): Roi[] {
  return pending.flatMap((c) => {
    if (c.create_roi) return [c.create_roi.roi as unknown as Roi];
    if (c.paste_rois) return c.paste_rois.rois as unknown as Roi[];
    return [];
  });
}
