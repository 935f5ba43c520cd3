// The review side panel: the frame's review state and decisions, Accept (A) / Reject with a reason (X), next for
// review, and its comment threads (pinned ones numbered like their pins; reply, resolve, reopen). `ReviewNotes` is
// the annotator's view of the same threads in the editor (the reason a frame came back, what to fix).
import { useEffect, useState } from "react";
import { errorText } from "../api";
import { reviewApi, type Comment, type FrameReviewDetail } from "../review";

export function CommentThreads(p: {
  taskId: string;
  frameId: string;
  comments: Comment[];
  changed: () => void;
  fail: (e: unknown) => void;
  point?: { x: number; y: number } | null;
  clearPoint?: () => void;
}) {
  const { taskId, frameId, comments } = p;
  const [text, setText] = useState("");
  const [reply, setReply] = useState<Record<string, string>>({});
  const threads = comments.filter((c) => c.comment_id === c.thread_id);
  let pin = 0;
  const add = async () => {
    if (!text.trim()) return;
    const point = p.point ?? null;
    try {
      await reviewApi.comment(taskId, frameId, { text, reply_to: "", pinned: !!point, x: point?.x ?? 0, y: point?.y ?? 0, roi_id: "" });
      setText("");
      p.clearPoint?.();
      p.changed();
    } catch (e) {
      p.fail(e);
    }
  };
  const answer = async (thread: string) => {
    const t = reply[thread]?.trim();
    if (!t) return;
    try {
      await reviewApi.comment(taskId, frameId, { text: t, reply_to: thread, pinned: false, x: 0, y: 0, roi_id: "" });
      setReply((r) => ({ ...r, [thread]: "" }));
      p.changed();
    } catch (e) {
      p.fail(e);
    }
  };
  const toggle = (c: Comment) => reviewApi.resolve(taskId, c.comment_id, !c.resolved).then(p.changed, p.fail);
  return (
    <section className="comments" id="comments">
      <h3>Comments ({threads.filter((c) => !c.resolved).length} open)</h3>
      <ul className="threads">
        {threads.map((c) => (
          <li key={c.comment_id} className={`thread${c.resolved ? " resolved" : ""}`} data-comment-id={c.comment_id}>
            <p>
              {c.pinned && <span className="pin-no">{++pin}</span>} <b>{c.author}</b>: <span className="comment-text">{c.text}</span>
            </p>
            {comments
              .filter((r) => r.thread_id === c.comment_id && r.comment_id !== c.comment_id)
              .map((r) => (
                <p key={r.comment_id} className="reply">
                  <b>{r.author}</b>: <span className="comment-text">{r.text}</span>
                </p>
              ))}
            <div className="thread-actions">
              <input
                className="reply-text"
                placeholder="Reply"
                value={reply[c.comment_id] ?? ""}
                onChange={(e) => setReply((r) => ({ ...r, [c.comment_id]: e.target.value }))}
                onKeyDown={(e) => e.key === "Enter" && void answer(c.comment_id)}
              />
              <button className="resolve" onClick={() => void toggle(c)}>{c.resolved ? "Reopen" : "Resolve"}</button>
            </div>
          </li>
        ))}
      </ul>
      <div className="new-comment">
        <textarea id="comment-text" placeholder={p.point ? `Comment pinned at ${p.point.x}, ${p.point.y}` : "Comment on this frame"} value={text} onChange={(e) => setText(e.target.value)} />
        <button id="comment-add" onClick={() => void add()} disabled={!text.trim()}>
          {p.point ? "Add pinned comment" : "Add comment"}
        </button>
      </div>
    </section>
  );
}

export function ReviewPanel(p: {
  taskId: string;
  detail: FrameReviewDetail | null;
  leaseId: string | null;
  accept: () => void;
  reject: (reason: string) => void;
  next: () => void;
  commentTool: boolean;
  setCommentTool: (on: boolean) => void;
  point: { x: number; y: number } | null;
  clearPoint: () => void;
  changed: () => void;
  fail: (e: unknown) => void;
  rejecting: boolean;
  setRejecting: (on: boolean) => void;
  footer?: React.ReactNode; // below the threads (the frame's history)
}) {
  const { detail } = p;
  const [reason, setReason] = useState("");
  useEffect(() => setReason(""), [detail?.review.frame.frame_id]);
  const r = detail?.review;
  return (
    <aside className="side review-panel" id="review-panel">
      <section>
        <h3>Review</h3>
        {r ? (
          <dl className="info" id="review-state" data-state={r.state ?? "none"}>
            <dt>Annotator</dt>
            <dd id="review-annotator">{r.annotator ?? "—"}</dd>
            <dt>Round</dt>
            <dd id="review-round">{r.round}</dd>
            <dt>State</dt>
            <dd>{r.state ?? "not in review"}</dd>
          </dl>
        ) : (
          <p className="empty">No frame</p>
        )}
        <div className="actions">
          <button id="review-accept" disabled={!p.leaseId} onClick={p.accept} title="Accept (A)">Accept (A)</button>
          <button id="review-reject" disabled={!p.leaseId} onClick={() => p.setRejecting(true)} title="Reject with a reason (X)">Reject (X)</button>
          <button id="review-next" onClick={p.next}>Next for review →</button>
        </div>
        {p.rejecting && (
          <div className="reject-form">
            <textarea id="reject-reason" autoFocus placeholder="Why (the annotator sees it)" value={reason} onChange={(e) => setReason(e.target.value)} />
            <button id="reject-confirm" disabled={!reason.trim()} onClick={() => p.reject(reason)}>Reject</button>
            <button onClick={() => p.setRejecting(false)}>Cancel</button>
          </div>
        )}
        {detail && detail.decisions.length > 0 && (
          <ol className="decisions" id="review-decisions">
            {detail.decisions.map((d) => (
              <li key={d.round}>
                round {d.round}: {d.decision} by {d.reviewer}
                {d.reason ? ` — ${d.reason}` : ""}
              </li>
            ))}
          </ol>
        )}
      </section>
      <label className="comment-tool">
        <input id="comment-tool" type="checkbox" checked={p.commentTool} onChange={(e) => p.setCommentTool(e.target.checked)} /> Pin a comment (C): click the
        frame
      </label>
      {detail && (
        <CommentThreads
          taskId={p.taskId}
          frameId={detail.review.frame.frame_id}
          comments={detail.comments}
          changed={p.changed}
          fail={p.fail}
          point={p.point}
          clearPoint={p.clearPoint}
        />
      )}
      {p.footer}
    </aside>
  );
}

/** The annotator's view in the editor: why the frame came back, and the comment threads on it. */
export function ReviewNotes(p: { taskId: string; frameId: string | null; fail: (e: unknown) => void }) {
  const { taskId, frameId } = p;
  const [detail, setDetail] = useState<FrameReviewDetail | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!frameId) return setDetail(null);
    let live = true;
    reviewApi.frame(taskId, frameId).then((d) => live && setDetail(d), () => live && setDetail(null));
    return () => {
      live = false;
    };
  }, [taskId, frameId, tick]);
  if (!detail || !frameId || (!detail.comments.length && !detail.review.reason)) return null;
  return (
    <div className="review-notes" id="review-notes">
      {detail.review.state === "rejected" && detail.review.reason && (
        <p className="rejected" id="review-rejected">
          Rejected by {detail.review.reviewer}: {detail.review.reason}
        </p>
      )}
      <CommentThreads taskId={taskId} frameId={frameId} comments={detail.comments} changed={() => setTick((t) => t + 1)} fail={(e) => p.fail(errorText(e))} />
    </div>
  );
}
