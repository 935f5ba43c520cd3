// Review mode: a reviewer takes the task's frames waiting for review one at a time (leased like an annotator's
// frames), sees them read-only with their pinned comments, accepts (A) or rejects with a reason (X), and comments
// (C toggles the pin tool: a click on the frame pins the next comment there). Filters: annotator, label.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorText, whenKnown, type FrameState, type TaskInfo } from "../api";
import { PinLayer, pickPoint } from "../editor/PinLayer";
import { ReviewPanel } from "../editor/ReviewPanel";
import { HistoryPanel } from "../editor/HistoryPanel";
import type { StageHandlers } from "../editor/SourceStage";
import { SourcesView, savedLayout, type Layout, type SourcesViewHandle } from "../editor/SourcesView";
import { setTaskColors } from "../labels";
import { go } from "../navigation";
import { reviewApi, type FrameReviewDetail, type ReviewLease } from "../review";

const NONE: StageHandlers = { create: () => undefined, move: () => undefined, reshape: () => undefined, select: () => undefined, refused: () => undefined };

export function ReviewPage(p: { taskId: string }) {
  const { taskId } = p;
  const view = useRef<SourcesViewHandle>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const [task, setTask] = useState<TaskInfo | null>(null);
  const [lease, setLease] = useState<ReviewLease | null>(null);
  const [frame, setFrame] = useState<FrameState | null>(null);
  const [detail, setDetail] = useState<FrameReviewDetail | null>(null);
  const [filters, setFilters] = useState({ annotator: "", label: "" });
  const [status, setStatus] = useState<{ text: string; error?: boolean }>({ text: "" });
  const [commentTool, setCommentTool] = useState(false);
  const [point, setPoint] = useState<{ x: number; y: number } | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const [layout, setLayout] = useState<Layout>(savedLayout);
  const [sourceIdx, setSourceIdx] = useState(0);
  const fail = (e: unknown) => setStatus({ text: errorText(e), error: true });

  const reload = useCallback(async (frameId: string) => setDetail(await reviewApi.frame(taskId, frameId)), [taskId]);

  const [last, setLast] = useState<string | null>(null); // the frame of my last decision (Undo)

  const present = useCallback(
    async (l: ReviewLease) => {
      setRejecting(false);
      setPoint(null);
      if (!l.frame) {
        setLease(l);
        setFrame(null);
        setDetail(null);
        return setStatus({ text: l.waiting ? `Nothing for you right now (${l.waiting} waiting: others hold them, or you annotated them)` : "Nothing waits for review." });
      }
      const ref = { version_id: l.frame.version_id, frame_id: l.frame.frame_id };
      const [f] = await Promise.all([whenKnown(() => api.getFrame(ref)), reload(ref.frame_id)]);
      setFrame(f);
      setLease(l); // Accept and Reject act on the frame on screen only
      setStatus((st) => ({ text: `${/^(Frame|Undid) /.test(st.text) ? `${st.text}; ` : ""}${l.waiting} waiting for review` }));
    },
    [reload],
  );

  const next = useCallback(async () => {
    try {
      await present(await whenKnown(() => reviewApi.next(taskId, filters)));
    } catch (e) {
      fail(e);
    }
  }, [taskId, filters, present]);

  const undo = useCallback(async () => {
    if (!last) return;
    try {
      const l = await reviewApi.undo(taskId, last);
      if (lease?.lease_id && lease.lease_id !== l.lease_id) await reviewApi.release(taskId, lease.lease_id); // the frame on screen goes back
      setLast(null);
      setStatus({ text: `Undid the decision on ${last}` });
      await present(l);
    } catch (e) {
      fail(e);
    }
  }, [last, lease, taskId, present]);

  useEffect(() => {
    api.getTask(taskId).then((t) => (setTask(t), setTaskColors(t.label_colors)), fail);
    void next();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the first frame once per task; filters ask for the next one themselves
  }, [taskId]);

  const decide = useCallback(
    async (reason: string | null) => {
      if (!lease?.lease_id) return;
      try {
        const r = reason === null ? await reviewApi.accept(taskId, lease.lease_id) : await reviewApi.reject(taskId, lease.lease_id, reason);
        setStatus({ text: `Frame ${r.review.frame.frame_id} ${r.review.state}` });
        setLast(r.review.frame.frame_id);
        await next();
      } catch (e) {
        fail(e);
      }
    },
    [lease, taskId, next],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as Element).closest("input, textarea, select")) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z") return e.preventDefault(), void undo();
      if (e.ctrlKey || e.metaKey) return;
      const k = e.key.toLowerCase();
      if (k === "a") return void decide(null);
      if (k === "x") return setRejecting(true);
      if (k === "c") return setCommentTool((on) => !on);
      if (e.key === "ArrowRight") return void next();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [decide, next, undo]);

  const onPointer = (e: React.PointerEvent) => {
    if (!commentTool) return;
    const at = pickPoint(wrap.current, e.clientX, e.clientY);
    if (!at) return;
    e.stopPropagation();
    e.preventDefault();
    setPoint(at);
  };
  const sources = frame?.base.sources ?? [];
  const frameKey = `${frame?.version_id}/${frame?.frame_id}`;
  return (
    <div className="editor-page review-page" id="review-page">
      <header className="top">
        <button id="close-review" onClick={() => go("/")}>← Annotations</button>
        <h1 id="review-title">Review: {task?.name ?? "…"}</h1>
        <span id="frame-id">{frame?.frame_id}</span>
        <label>
          Annotator <input id="review-filter-annotator" value={filters.annotator} onChange={(e) => setFilters({ ...filters, annotator: e.target.value })} />
        </label>
        <label>
          Label <input id="review-filter-label" value={filters.label} onChange={(e) => setFilters({ ...filters, label: e.target.value })} />
        </label>
        <button id="review-undo" disabled={!last} onClick={() => void undo()} title="Undo my last accept / reject (Ctrl+Z)">
          Undo decision
        </button>
        <span id="review-status" className={status.error ? "error" : ""}>{status.text}</span>
      </header>
      <div className="editor">
        <div className={`canvas-wrap${commentTool ? " commenting" : ""}`} ref={wrap} onPointerDownCapture={onPointer}>
          {frame && (
            <SourcesView
              ref={view}
              frameKey={frameKey}
              sources={sources}
              rois={frame.rois}
              colors={0}
              layout={layout}
              setLayout={setLayout}
              sourceIdx={sourceIdx}
              setSourceIdx={setSourceIdx}
              selected={null}
              hidden={false}
              mode="select"
              handlers={NONE}
            />
          )}
          {frame && detail && <PinLayer root={wrap.current} comments={detail.comments} frameKey={frameKey} />}
          {!frame && <p className="empty" id="review-empty">{status.text}</p>}
        </div>
        <ReviewPanel
          taskId={taskId}
          detail={detail}
          leaseId={lease?.lease_id ?? null}
          accept={() => void decide(null)}
          reject={(reason) => void decide(reason)}
          next={() => void next()}
          commentTool={commentTool}
          setCommentTool={setCommentTool}
          point={point}
          clearPoint={() => setPoint(null)}
          changed={() => frame && void reload(frame.frame_id).catch(fail)}
          fail={fail}
          rejecting={rejecting}
          setRejecting={setRejecting}
          footer={
            <HistoryPanel
              taskId={taskId}
              frameId={frame?.frame_id ?? null}
              version={(frame?.version ?? 0) + (detail?.decisions.length ?? 0)}
              fail={fail}
              onUndone={(l) => {
                if (lease?.lease_id && lease.lease_id !== l.lease_id) void reviewApi.release(taskId, lease.lease_id).catch(fail);
                void present(l);
              }}
            />
          }
        />
      </div>

    </div>
  );
}
