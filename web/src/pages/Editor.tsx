import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, api, errorText, whenKnown, type Command, type FrameState, type TaskInfo } from "../api";
import { copyRois, onClipboard, pasteCommand, readClipboard } from "../clipboard";
import type { Mode } from "../drawing/stage";
import { fold, forSave, newRoiId, pastedIds } from "../editing";
import { cursorFromUrl, cursorToUrl, type Cursor } from "../editor/cursor";
import { FrameToolbar, MODES, type NavKind } from "../editor/FrameToolbar";
import { HelpOverlay, JsonModal, type JsonEdit } from "../editor/parts";
import { SidePanel } from "../editor/SidePanel";
import type { StageHandlers } from "../editor/SourceStage";
import { SourcesView, savedLayout, sourceOf, type Layout, type SourcesViewHandle } from "../editor/SourcesView";
import { useLive } from "../editor/useLive";
import { onLabelColors, pickLabelColor, setTaskColors } from "../labels";
import { go } from "../main";
import { ReviewNotes } from "../editor/ReviewPanel";

export function EditorPage(p: { taskId: string }) {
  const { taskId } = p;
  const view = useRef<SourcesViewHandle>(null);
  const [task, setTask] = useState<TaskInfo | null>(null);
  const [cursor, setCursor] = useState<Cursor | null>(null);
  const [frame, setFrame] = useState<FrameState | null>(null);
  const [pending, setPending] = useState<Command[]>([]);
  const [redo, setRedo] = useState<Command[]>([]);
  const [mode, setMode] = useState<Mode>("select");
  const [selected, setSelected] = useState<string | null>(null);
  const [hidden, setHidden] = useState(false);
  const [defaults, setDefaults] = useState<string[]>([]);
  const [status, setStatus] = useState<{ text: string; error?: boolean }>({ text: "" });
  const [conflict, setConflict] = useState<ApiError | null>(null);
  const [exhausted, setExhausted] = useState(false);
  const [json, setJson] = useState<JsonEdit | null>(null);
  const [help, setHelp] = useState(false);
  const [sourceIdx, setSourceIdx] = useState(0);
  const [layout, setLayout] = useState<Layout>(savedLayout);
  const [listAll, setListAll] = useState(false);
  const [datasetLabels, setDatasetLabels] = useState<string[]>([]);
  const [colors, setColors] = useState(0); // bumped when a label color changes (here or elsewhere)
  const [clip, setClip] = useState(readClipboard);
  const [remote, setRemote] = useState<string | null>(null);
  useEffect(() => onLabelColors(() => setColors((c) => c + 1)), []);
  useEffect(() => onClipboard(() => setClip(readClipboard())), []);
  const work = useMemo(() => (frame ? fold(frame, pending) : null), [frame, pending]);
  const unsavedPaste = useMemo(() => pastedIds(pending), [pending]);
  const latest = useRef({ version: 0, pending: 0 });
  latest.current = { version: frame?.version ?? 0, pending: pending.length };
  const fail = (e: unknown) => setStatus({ text: errorText(e), error: true });

  const push = useCallback((...cmds: Command[]) => {
    setPending((p) => [...p, ...cmds]);
    setRedo([]);
    setStatus((s) => (s.error ? { text: "" } : s));
  }, []);

  // --- loading frames -------------------------------------------------------------------------------------
  const show = useCallback(
    async (c: Cursor) => {
      const f = await whenKnown(() => api.getFrame(c.ref));
      setCursor(c);
      setFrame(f);
      setPending([]);
      setRedo([]);
      setSelected(null);
      setRemote(null);
      setExhausted(false);
      history.replaceState(null, "", cursorToUrl(taskId, c));
    },
    [taskId],
  );

  const lease = useCallback(
    async (complete: string | null) => {
      const l = await whenKnown(() =>
        api.nextFrame(taskId, complete).catch((e) => {
          // The lease ended meanwhile (expired, or finished elsewhere): just ask for the next frame.
          if (complete && e instanceof ApiError && e.field === "complete_lease_id") return api.nextFrame(taskId, null);
          throw e;
        }),
      );
      if (!l.frame) {
        setExhausted(true);
        setFrame(null);
        setCursor(null);
        setStatus({ text: l.exhausted ? "Every frame of this task is done." : "No free frame right now (others hold them)." });
        return;
      }
      await show({ ref: l.frame, leaseId: l.lease_id ?? "", position: l.position, total: l.total, trailIndex: l.trail_index, leaseTrailIndex: l.trail_index });
    },
    [taskId, show],
  );

  useEffect(() => {
    api.getTask(taskId).then((t) => {
      setTask(t);
      setDefaults(t.default_labels);
      setTaskColors(t.label_colors);
      // autocomplete: the labels already used in the dataset version (ROI and frame labels)
      api.versionStats(t.annotated_version_id).then((st) => setDatasetLabels([...Object.keys(st.roi_labels), ...Object.keys(st.frame_labels)]), () => undefined);
    }, fail);
    const c = cursorFromUrl();
    (c ? show(c) : lease(null)).catch(fail);
  }, [taskId, show, lease]);

  // --- live: another annotator's save (or label color) shows up at once ---------------------------------
  const live = useLive(taskId, cursor?.ref ?? null, latest, {
    fresh: (f, actor) => (latest.current.pending === 0 ? setFrame(f) : setRemote(actor)), // keep the base: Save merges, or names the conflict
  });

  // --- keep the lease while the editor is open (the iterator hands an expired lease to someone else) -------
  const leaseId = cursor?.leaseId ?? "";
  useEffect(() => {
    if (!leaseId) return;
    const timer = window.setInterval(() => void api.heartbeat(taskId, leaseId).catch(() => undefined), 60_000);
    return () => window.clearInterval(timer);
  }, [taskId, leaseId]);

  // --- saving ---------------------------------------------------------------------------------------------
  const save = useCallback(async (): Promise<boolean> => {
    if (!frame || !cursor || pending.length === 0) return true;
    const batch = forSave(pending);
    if (batch.length === 0) return setPending([]), setStatus({ text: "Saved" }), true; // pasted, then deleted again
    setStatus({ text: "Saving…" });
    try {
      const r = await api.saveFrame(cursor.ref, frame.version, taskId, batch);
      setFrame(r.frame ?? (await api.getFrame(cursor.ref))); // frame_omitted: stored, too large to carry back
      setPending([]);
      setConflict(null);
      setRemote(null);
      setStatus({ text: r.rebased ? "Saved (merged with others' edits)" : "Saved" });
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.code === "ABORTED") setConflict(e);
      setStatus({ text: e instanceof ApiError ? `Not saved: ${e.message}${e.field ? ` (${e.field})` : ""}` : String(e), error: true });
      return false;
    }
  }, [frame, cursor, pending, taskId]);

  const resolveConflict = async (keepMine: boolean) => {
    if (!cursor) return;
    const fresh = await api.getFrame(cursor.ref);
    setConflict(null);
    setRemote(null);
    setFrame(fresh);
    if (!keepMine) {
      setPending([]);
      setRedo([]);
      setStatus({ text: "Took their version" });
    } else setStatus({ text: "Rebased on their version: Save to keep yours" });
  };

  // --- navigation (autosaves first) ----------------------------------------------------------------------
  const navigate = useCallback(
    async (kind: NavKind, steps = 0) => {
      if (!cursor || !(await save())) return;
      try {
        if (kind === "next" && cursor.trailIndex >= cursor.leaseTrailIndex) return await lease(cursor.leaseId || null);
        const action = kind === "next" ? "trail_next" : kind === "prev" ? "trail_previous" : kind;
        const n = await api.navigate(taskId, action, cursor.trailIndex, cursor.position, steps);
        if (!n.frame) {
          if (kind === "next") return await lease(cursor.leaseId || null);
          return setStatus({ text: "No frame there" });
        }
        // a frame reached by a jump is not in the trail: "next" then asks the iterator for a new frame
        const trail = n.trail_index || cursor.leaseTrailIndex;
        await show({ ...cursor, ref: n.frame, position: n.position, total: n.total || cursor.total, trailIndex: trail, leaseTrailIndex: Math.max(cursor.leaseTrailIndex, trail) });
      } catch (e) {
        fail(e);
      }
    },
    [cursor, save, lease, show, taskId],
  );

  // --- undo / redo: pending commands first, then the server's history of my saves ----------------------------
  const undo = useCallback(async () => {
    if (pending.length) {
      setRedo((r) => [pending[pending.length - 1], ...r]);
      setPending(pending.slice(0, -1));
    } else if (cursor) {
      try {
        setFrame((await api.undoRedo(cursor.ref, taskId, "undo")).frame ?? (await api.getFrame(cursor.ref)));
        setStatus({ text: "Undid your last save" });
      } catch (e) {
        fail(e);
      }
    }
  }, [pending, cursor, taskId]);
  const redoOne = useCallback(async () => {
    if (redo.length) {
      setPending([...pending, redo[0]]);
      setRedo(redo.slice(1));
    } else if (cursor) {
      try {
        setFrame((await api.undoRedo(cursor.ref, taskId, "redo")).frame ?? (await api.getFrame(cursor.ref)));
      } catch (e) {
        fail(e);
      }
    }
  }, [redo, pending, cursor, taskId]);

  // --- sources: side by side (grid) or one at a time (tabs); each on its own drawing stage ------------------
  const sources = useMemo(() => frame?.base.sources ?? [], [frame]);
  const multi = sources.length > 1;
  const grid = multi && layout === "grid";
  const source = sources[Math.min(sourceIdx, Math.max(sources.length - 1, 0))];
  useEffect(() => setSourceIdx(0), [frame?.version_id, frame?.frame_id]);
  const listed = useMemo(() => (grid || !multi ? (work?.rois ?? []) : (work?.rois ?? []).filter((r) => sourceOf(sources, r) === source?.id)), [work?.rois, grid, multi, source?.id, sources]);
  const handlers: StageHandlers = {
    create: (sourceId, d) => {
      const roi_id = newRoiId();
      push({ create_roi: { roi: { roi_id, type: d.type, points: d.points, labels: defaults, ...(multi ? { source_id: sourceId } : {}) } } });
      setSelected(roi_id);
    },
    move: (d) => push({ move_roi: d }),
    reshape: (d) => push({ reshape_roi: d }),
    select: setSelected,
    refused: (d) => setStatus({ text: `ROI ${d.roi_id} is ${d.reason}: unlock it to edit`, error: true }),
  };

  // --- keyboard and leaving ------------------------------------------------------------------------------
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as Element).closest("input, textarea, select")) return;
      const ctrl = e.ctrlKey || e.metaKey;
      if (ctrl && e.key.toLowerCase() === "z") return e.preventDefault(), void undo();
      if (ctrl && e.key.toLowerCase() === "y") return e.preventDefault(), void redoOne();
      if (ctrl && e.key.toLowerCase() === "s") return e.preventDefault(), void save();
      if (e.key === "ArrowRight") return void navigate(ctrl ? "jump" : "next", ctrl ? 10 : 0);
      if (e.key === "ArrowLeft") return void navigate(ctrl ? "jump" : "prev", ctrl ? -10 : 0);
      if (e.key === "?") return setHelp((h) => !h);
      if (e.key === "Delete" || e.key === "Backspace") {
        const roi = work?.rois.find((r) => r.roi_id === selected);
        if (!roi) return;
        // hidden ROIs cannot be modified, and a locked one is refused by the annotation service: say so instead
        if (hidden || roi.locked) return setStatus({ text: `ROI ${roi.roi_id} is ${hidden ? "hidden" : "locked"}: ${hidden ? "show" : "unlock"} it to delete it`, error: true });
        return push({ delete_roi: { roi_id: roi.roi_id } });
      }
      const m = MODES.find(([, , k]) => k.toLowerCase() === e.key.toLowerCase());
      if (m && !ctrl) setMode(m[0]);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redoOne, save, navigate, selected, push, work, hidden]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (pending.length) e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [pending.length]);
  const close = async () => {
    if (pending.length && !window.confirm("You have unsaved changes. Save them before closing?")) {
      if (!window.confirm("Discard your unsaved changes?")) return;
    } else if (pending.length && !(await save())) return;
    go("/");
  };

  // --- clipboard: copied ROIs stay in localStorage (survive a reload, shared by tabs); paste is repeatable ---
  // tabs: onto the source on screen; grid: onto the ROI's own source when this frame has it
  const pasteSource = (id: string) => (!multi ? undefined : grid && sources.some((s) => s.id === id) ? id : (source?.id ?? ""));
  const paste = () => clip && push(pasteCommand(clip, pasteSource));

  const known = [...new Set([...(task?.label_set ?? []), ...(task?.default_labels ?? []), ...datasetLabels, ...(work?.rois.flatMap((r) => r.labels) ?? [])])];
  return (
    <div className="editor-page" id="editor-page">
      <header className="top">
        <button id="close-editor" onClick={close}>← Annotations</button>
        <h1 id="editor-title">{task?.name ?? "…"}</h1>
        <span id="frame-id">{cursor?.ref.frame_id}</span>
        <span id="live-status" data-state={live} title="Live updates from other annotators">
          {live === "connected" ? "● live" : "○ offline"}
        </span>
        <span id="frame-position">{cursor ? `${cursor.position}/${cursor.total}` : ""}</span>
        <button id="help" onClick={() => setHelp(true)}>?</button>
      </header>
      {remote && !conflict && (
        <div className="banner" id="live-notice">
          {remote} changed this frame while you edit it: Save merges your edits (a same-ROI change asks you first).
        </div>
      )}
      {conflict && (
        <div className="banner" id="conflict">
          {String(conflict.details.actor ?? "Someone")} changed ROI {String(conflict.details.roi_id ?? "")} meanwhile.{" "}
          <button id="conflict-keep-mine" onClick={() => resolveConflict(true)}>Keep mine</button>{" "}
          <button id="conflict-take-theirs" onClick={() => resolveConflict(false)}>Take theirs</button>
        </div>
      )}
      <div className="editor">
        <div className="canvas-wrap">
          <FrameToolbar
            mode={mode}
            setMode={setMode}
            commit={() => view.current?.each((s) => s.commit())}
            canNavigate={!!cursor}
            navigate={(kind, steps) => void navigate(kind, steps)}
            undo={() => void undo()}
            redo={() => void redoOne()}
            save={() => void save()}
            pending={pending.length}
            status={status}
          />
          {exhausted && <p className="empty" id="editor-empty">{status.text}</p>}
          <SourcesView
            ref={view}
            frameKey={`${frame?.version_id}/${frame?.frame_id}`}
            sources={sources}
            rois={work?.rois ?? []}
            colors={colors}
            layout={layout}
            setLayout={setLayout}
            sourceIdx={sourceIdx}
            setSourceIdx={setSourceIdx}
            selected={selected}
            hidden={hidden}
            mode={mode}
            handlers={handlers}
          />
        </div>
        <SidePanel
          work={work}
          listed={listed}
          multi={multi}
          selected={selected}
          select={setSelected}
          hidden={hidden}
          setHidden={setHidden}
          defaults={defaults}
          setDefaults={setDefaults}
          known={known}
          push={push}
          unsavedPaste={unsavedPaste}
          copy={(rois) => cursor && rois.length && copyRois(rois, cursor.ref)}
          paste={clip && cursor ? paste : null}
          pasteTitle={clip ? `Paste ${clip.rois.length} ROI(s) copied from frame ${clip.from.frame_id}` : "Copy a ROI first"}
          editJson={(e) => setJson({ ...e, onSave: (v) => (e.onSave(v), setJson(null)) })}
          pickColor={(label, color) => pickLabelColor(taskId, label, color, fail)}
          listAll={listAll}
          showAll={() => setListAll(true)}
        />
      </div>
      <ReviewNotes taskId={taskId} frameId={cursor?.ref.frame_id ?? null} fail={fail} />
      {json && <JsonModal {...json} onClose={() => setJson(null)} />}
      {help && <HelpOverlay modes={MODES} onClose={() => setHelp(false)} />}
    </div>
  );
}
