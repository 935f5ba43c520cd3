import { useEffect, useMemo, useRef, useState } from "react";
import { api, type Roi } from "../api";
import { writeDraft } from "../drafts";
import { fold, newRoiId, pastedIds } from "../editing";
import { roiName } from "../errors";
import { FrameToolbar, MODES } from "../editor/FrameToolbar";
import { HelpOverlay, JsonModal } from "../editor/parts";
import { SidePanel } from "../editor/SidePanel";
import type { StageHandlers } from "../editor/SourceStage";
import { SourcesView, sourceOf, type SourcesViewHandle } from "../editor/SourcesView";
import { useEditor } from "../editor/useEditor";
import { useEditorKeys } from "../editor/useEditorKeys";
import { useLive } from "../editor/useLive";
import { pickLabelColor } from "../labels";
import { go } from "../navigation";
import { ReviewNotes } from "../editor/ReviewPanel";
import { HistoryPanel } from "../editor/HistoryPanel";

export function EditorPage(p: { taskId: string }) {
  const { taskId } = p;
  const view = useRef<SourcesViewHandle>(null);
  const [s, dispatch, ops] = useEditor(taskId);
  const { task, cursor, frame, pending, selected, hidden, status, conflict, sourceIdx, layout, clip } = s;
  const work = useMemo(() => (frame ? fold(frame, pending) : null), [frame, pending]);
  const unsavedPaste = useMemo(() => pastedIds(pending), [pending]);
  const latest = useRef({ version: 0, pending: 0 });
  latest.current = { version: frame?.version ?? 0, pending: pending.length };

  // --- live: another annotator's save (or label color) shows up at once ---------------------------------
  const live = useLive(taskId, cursor?.ref ?? null, latest, {
    // keep the base while I have unsaved edits: Save merges, or names the conflict
    fresh: (f, actor) => dispatch(latest.current.pending === 0 ? { type: "frame/fresh", frame: f } : { type: "frame/remote", actor }),
  });

  // --- keep the lease while the editor is open (the iterator hands an expired lease to someone else) -------
  const leaseId = cursor?.leaseId ?? "";
  useEffect(() => {
    if (!leaseId) return;
    const timer = window.setInterval(() => void api.heartbeat(taskId, leaseId).catch(() => undefined), 60_000);
    return () => window.clearInterval(timer);
  }, [taskId, leaseId]);

  // a frame opened from a link carries no position: ask the plan where it stands (else say how many frames it has)
  const [linkTotal, setLinkTotal] = useState(0);
  const unplacedFrame = cursor && cursor.total === 0 ? cursor.ref.frame_id : null;
  useEffect(() => {
    if (!unplacedFrame) return;
    api.locate(taskId, unplacedFrame).then(
      (n) => (n.position ? dispatch({ type: "frame/placed", frameId: unplacedFrame, position: n.position, total: n.total }) : setLinkTotal(n.total)),
      () => undefined,
    );
  }, [taskId, unplacedFrame, dispatch]);

  // --- sources: side by side (grid) or one at a time (tabs); each on its own drawing stage ------------------
  const sources = useMemo(() => frame?.base.sources ?? [], [frame]);
  const multi = sources.length > 1;
  const grid = multi && layout === "grid";
  const source = sources[Math.min(sourceIdx, Math.max(sources.length - 1, 0))];
  const listed = useMemo(() => (grid || !multi ? (work?.rois ?? []) : (work?.rois ?? []).filter((r) => sourceOf(sources, r) === source?.id)), [work?.rois, grid, multi, source?.id, sources]);
  const refuse = (roi: Roi | undefined, why: string) => dispatch({ type: "status", status: { text: `${cap(roiName(roi))} is ${why}`, error: true } });
  const handlers: StageHandlers = {
    create: (sourceId, d) => {
      const roi_id = newRoiId();
      ops.push({ create_roi: { roi: { roi_id, type: d.type, points: d.points, labels: s.defaults, ...(multi ? { source_id: sourceId } : {}) } } });
      dispatch({ type: "select", roiId: roi_id });
    },
    move: (d) => ops.push({ move_roi: d }),
    reshape: (d) => ops.push({ reshape_roi: d }),
    select: (roiId) => dispatch({ type: "select", roiId }),
    refused: (d) => refuse(work?.rois.find((r) => r.roi_id === d.roi_id), `${d.reason}: unlock it to edit it`),
  };

  // --- clipboard: copied ROIs stay in localStorage (survive a reload, shared by tabs); paste is repeatable ---
  // tabs: onto the source on screen; grid: onto the ROI's own source when this frame has it
  const pasteSource = (id: string) => (!multi ? undefined : grid && sources.some((x) => x.id === id) ? id : (source?.id ?? ""));
  const paste = () => ops.paste(pasteSource);
  const selectedRoi = work?.rois.find((r) => r.roi_id === selected);

  useEditorKeys({
    undo: ops.undo,
    redo: ops.redo,
    save: ops.save,
    navigate: ops.navigate,
    help: () => dispatch({ type: "help", open: !s.help }),
    mode: (mode) => dispatch({ type: "mode", mode }),
    copy: () => selectedRoi && ops.copy([selectedRoi]),
    paste: () => clip && cursor && paste(),
    remove: () => {
      if (!selectedRoi) return;
      // hidden ROIs cannot be modified, and a locked one is refused by the annotation service: say so instead
      if (hidden || selectedRoi.locked) return refuse(selectedRoi, hidden ? "hidden: show it to delete it" : "locked: unlock it to delete it");
      ops.push({ delete_roi: { roi_id: selectedRoi.roi_id } });
    },
  });
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
      if (cursor) writeDraft(taskId, cursor.ref, [], 0);
    } else if (pending.length && !(await ops.save())) return;
    go("/");
  };

  const conflictRoi = conflict && (work?.rois.find((r) => r.roi_id === conflict.details.roi_id) ?? frame?.rois.find((r) => r.roi_id === conflict.details.roi_id));
  const conflictWhat = conflict?.details.item === "frame_metadata" ? "the frame's metadata" : conflict?.details.item === "frame_label" ? "a frame label" : roiName(conflictRoi ?? undefined);
  const known = [...new Set([...(task?.label_set ?? []), ...(task?.default_labels ?? []), ...s.datasetLabels, ...(work?.rois.flatMap((r) => r.labels) ?? [])])];
  const position = !cursor ? "" : cursor.total ? `${cursor.position}/${cursor.total}` : linkTotal ? `–/${linkTotal}` : "";
  return (
    <div className="editor-page" id="editor-page">
      <header className="top">
        <button id="close-editor" onClick={close}>← Annotations</button>
        <h1 id="editor-title">{task?.name ?? "…"}</h1>
        <span id="frame-id">{cursor?.ref.frame_id}</span>
        <span id="live-status" data-state={live} title="Live updates from other annotators">
          {live === "connected" ? "● live" : "○ offline"}
        </span>
        <span id="frame-position" title={cursor && !cursor.total ? "Opened from a link: its place in the task's order is not known (▶ asks for your next frame)" : "Position in the task's frame order"}>
          {position}
        </span>
        <button id="help" title="Keyboard shortcuts (?)" onClick={() => dispatch({ type: "help", open: true })}>?</button>
      </header>
      {s.draft && (
        <div className="banner" id="draft-offer">
          You left {s.draft.pending.length} unsaved change(s) on this frame ({new Date(s.draft.savedAt).toLocaleString()}).{" "}
          <button id="draft-restore" className="primary" onClick={() => dispatch({ type: "draft/restore" })}>Restore them</button>{" "}
          <button id="draft-discard" onClick={() => dispatch({ type: "draft/discard" })}>Discard</button>
        </div>
      )}
      {s.remote && !conflict && (
        <div className="banner" id="live-notice">
          {s.remote} changed this frame while you edit it: Save merges your edits (a same-ROI change asks you first).
        </div>
      )}
      {conflict && (
        <div className="banner" id="conflict">
          {String(conflict.details.actor || "Another annotator")} changed {conflictWhat} while you were editing it. Keep yours (Save again) or take theirs?{" "}
          <button id="conflict-keep-mine" onClick={() => ops.resolveConflict(true)}>Keep mine</button>{" "}
          <button id="conflict-take-theirs" onClick={() => ops.resolveConflict(false)}>Take theirs</button>
        </div>
      )}
      <div className="editor">
        <div className="canvas-wrap">
          <FrameToolbar
            mode={s.mode}
            setMode={(mode) => dispatch({ type: "mode", mode })}
            commit={() => view.current?.each((x) => x.commit())}
            canNavigate={!!cursor}
            navigate={(kind, steps) => void ops.navigate(kind, steps)}
            undo={() => void ops.undo()}
            redo={() => void ops.redo()}
            save={() => void ops.save()}
            pending={pending.length}
            status={status}
          />
          {s.exhausted && <p className="empty" id="editor-empty">{status.text}</p>}
          <SourcesView
            ref={view}
            frameKey={`${frame?.version_id}/${frame?.frame_id}`}
            sources={sources}
            rois={work?.rois ?? []}
            colors={s.colors}
            layout={layout}
            setLayout={(l) => dispatch({ type: "layout", layout: l })}
            sourceIdx={sourceIdx}
            setSourceIdx={(i) => dispatch({ type: "source", index: i })}
            selected={selected}
            hidden={hidden}
            mode={s.mode}
            handlers={handlers}
          />
        </div>
        <SidePanel
          work={work}
          listed={listed}
          multi={multi}
          selected={selected}
          select={(roiId) => dispatch({ type: "select", roiId })}
          hidden={hidden}
          setHidden={(h) => dispatch({ type: "hidden", hidden: h })}
          defaults={s.defaults}
          setDefaults={(labels) => dispatch({ type: "defaults", labels })}
          known={known}
          push={ops.push}
          unsavedPaste={unsavedPaste}
          copy={ops.copy}
          paste={clip && cursor ? paste : null}
          pasteTitle={clip ? `Paste ${clip.rois.length} ROI(s) copied from frame ${clip.from.frame_id}` : "Copy a ROI first (Ctrl+C)"}
          editJson={(e) => dispatch({ type: "json", edit: { ...e, onSave: (v) => (e.onSave(v), dispatch({ type: "json", edit: null })) } })}
          pickColor={(label, color) => pickLabelColor(taskId, label, color, ops.fail)}
          listAll={s.listAll}
          showAll={() => dispatch({ type: "listAll" })}
          footer={<HistoryPanel taskId={taskId} frameId={cursor?.ref.frame_id ?? null} version={frame?.version ?? 0} fail={ops.fail} />}
        />
      </div>
      {s.toast && (
        <div className="toast" id="toast" role="status" key={s.toast.seq}>
          {s.toast.text}
        </div>
      )}
      <ReviewNotes taskId={taskId} frameId={cursor?.ref.frame_id ?? null} fail={ops.fail} />
      {s.json && <JsonModal {...s.json} onClose={() => dispatch({ type: "json", edit: null })} />}
      {s.help && <HelpOverlay modes={MODES} onClose={() => dispatch({ type: "help", open: false })} />}
    </div>
  );
}

const cap = (t: string) => t[0].toUpperCase() + t.slice(1);
