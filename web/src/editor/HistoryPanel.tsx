// The frame's history in the task (editor and review mode): its edits and its review decisions (accepted, rejected
// with the reason, decision undone) with who and when, interleaved by time, newest first; the reviewer's latest
// decision has an Undo here as in review mode (the server refuses it once an annotator took the frame up again).
import { useEffect, useState } from "react";
import { frameHistory, reviewApi, type HistoryEntry, type ReviewLease } from "../review";

const EDIT_NAMES: Record<string, string> = {
  RoiCreated: "drew a ROI",
  RoiDeleted: "deleted a ROI",
  RoiRestored: "restored a ROI",
  RoiMoved: "moved a ROI",
  RoiReshaped: "reshaped a ROI",
  RoiLabelAdded: "labelled a ROI",
  RoiLabelRemoved: "removed a ROI label",
  FrameLabelAdded: "added a frame label",
  FrameLabelRemoved: "removed a frame label",
  FrameSaved: "saved",
};

/** What an entry says, after its actor. */
export function describe(e: HistoryEntry): string {
  switch (e.kind) {
    case "edit":
      return EDIT_NAMES[e.type ?? ""] ?? (e.type ?? "edited");
    case "requested":
      return `finished it: sent to review (round ${e.round})`;
    case "accepted":
      return "accepted it";
    case "rejected":
      return `rejected it: ${e.reason ?? ""}`;
    case "decision_undone":
      return `undid their ${e.decision === "accepted" ? "accept" : "reject"}`;
  }
}

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : "");

export function HistoryPanel(p: {
  taskId: string;
  frameId: string | null;
  version: number; // the frame's stream version: a save refreshes an open panel
  fail: (e: unknown) => void;
  onUndone?: (lease: ReviewLease) => void;
}) {
  const { taskId, frameId, version } = p;
  const [open, setOpen] = useState(false);
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!open || !frameId) return;
    let live = true;
    frameHistory(taskId, frameId).then(
      (h) => live && setEntries(h.entries),
      () => live && setEntries(null),
    );
    return () => {
      live = false;
    };
  }, [open, taskId, frameId, version, tick]);
  const undo = async () => {
    if (!frameId) return;
    try {
      const lease = await reviewApi.undo(taskId, frameId);
      setTick((n) => n + 1);
      p.onUndone?.(lease);
    } catch (e) {
      p.fail(e);
    }
  };
  return (
    <details className="history-panel" id="history-panel" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>History</summary>
      {open && entries && (
        <ol className="history-entries" id="history-entries">
          {[...entries].reverse().map((e, i) => (
            <li key={i} className={`history-entry history-${e.kind}`} data-kind={e.kind}>
              <time dateTime={e.at ?? ""}>{time(e.at)}</time> <b className="history-actor">{e.actor}</b>{" "}
              <span className="history-what">{describe(e)}</span>
              {e.undoable && (
                <button className="history-undo" onClick={() => void undo()} title="Undo my decision">
                  Undo
                </button>
              )}
            </li>
          ))}
          {entries.length === 0 && <li className="hint">Nothing yet.</li>}
        </ol>
      )}
    </details>
  );
}
