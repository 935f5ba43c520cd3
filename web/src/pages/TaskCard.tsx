// A task's card in the Annotations list: name, version, progress by stage, its ☰ menu (by the caller's role).
import { useRef, useState } from "react";
import { api, type TaskInfo, type TaskListItem } from "../api";
import { useDismiss } from "../dismiss";
import { taskActionError } from "../errors";
import { go } from "../navigation";
import { ExportModal } from "./ExportModal";
import { StageBar, StageText } from "./ReviewInfo";
import { mayClose } from "./RolePicker";

function ago(iso: string | null): string {
  if (!iso) return "—";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function TaskCard(p: {
  task: TaskListItem;
  datasetName: string;
  perms: Set<string> | null; // the acting team's permissions (null: unknown)
  user: string;
  onGone: (taskId: string) => void;
  onInfo: (t: TaskInfo) => void;
}) {
  const { task } = p;
  const [menu, setMenu] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [error, setError] = useState("");
  const menuButton = useRef<HTMLButtonElement>(null);
  // a menu item closes the menu and gives the focus back to ☰ (a dialog it opens returns it there too)
  const closeMenu = () => (setMenu(false), menuButton.current?.focus());
  // progress comes with the task list (one iterator call per page), never one request per card
  const progress = task.progress?.known ? task.progress : undefined;
  // so does the annotated version's name (one versions call per dataset of the page, in the gateway)
  const versionName = task.annotated_version_name ?? task.annotated_version_id;
  const pct = progress && progress.total ? Math.round((100 * progress.done) / progress.total) : 0;
  // complete / reopen / delete take the task out of this list (Active or Completed); info keeps it
  const act = (f: () => Promise<unknown>, gone = true) => async () => {
    closeMenu();
    try {
      await f();
      if (gone) p.onGone(task.task_id);
    } catch (e) {
      setError(taskActionError(e));
    }
  };
  const open = () => go(`/tasks/${encodeURIComponent(task.task_id)}/annotate`);
  return (
    <div className="task-card" data-task-id={task.task_id} data-status={task.status} onClick={open}>
      <h3 className="task-name">{task.name}</h3>
      <button
        className="task-menu-button"
        ref={menuButton}
        aria-label="Task menu"
        aria-expanded={menu}
        onPointerDown={(e) => e.stopPropagation()} // its own click toggles the menu (not an outside click)
        onClick={(e) => {
          e.stopPropagation();
          setMenu(!menu);
        }}
      >
        ☰
      </button>
      {menu && (
        <CardMenu onClose={() => setMenu(false)}>
          <button className="menu-annotate" onClick={open}>Annotate</button>
          {(!p.perms || p.perms.has("review")) && (
            <button className="menu-review" onClick={() => go(`/tasks/${encodeURIComponent(task.task_id)}/review`)}>Review</button>
          )}
          <button className="menu-info" onClick={act(async () => p.onInfo(await api.getTask(task.task_id)), false)}>Info</button>
          <button className="menu-export" onClick={() => (closeMenu(), setExporting(true))}>Export</button>
          {/* only to a role that may: the owner with manage, or an admin (a reviewer has no manage) */}
          {mayClose(p.perms, task.owner, p.user) &&
            (task.status === "active" ? (
              <button className="menu-complete" onClick={act(() => api.completeTask(task.task_id))}>Complete</button>
            ) : (
              <button className="menu-reopen" onClick={act(() => api.reopenTask(task.task_id))}>Reopen</button>
            ))}
          {mayClose(p.perms, task.owner, p.user) && (
            <button className="menu-delete" onClick={() => (closeMenu(), setConfirm(true))}>Delete</button>
          )}
        </CardMenu>
      )}
      <div className="row">
        <span className="task-version">
          {p.datasetName} / {versionName}
        </span>
      </div>
      <div className="progress" title={`${progress?.done ?? 0} of ${progress?.total ?? 0} frames`}>
        <StageBar progress={progress} pct={pct} />
      </div>
      <div className="row">
        <span className="task-progress">
          {progress?.plan_pending ? "plan pending" : progress ? `${progress.done}/${progress.total} frames` : "…"}
        </span>
        <StageText progress={progress} />
        <span className="task-status status-badge">{task.status}</span>
      </div>
      <div className="row">
        <span className="task-owner">{task.owner}</span>
        <span className="task-updated" title={task.updated_at ?? ""}>{ago(task.updated_at ?? task.created_at)}</span>
      </div>
      {error && <div className="field-error task-error">{error}</div>}
      {exporting && <ExportModal target={{ kind: "task", id: task.task_id, title: task.name }} onClose={() => setExporting(false)} />}
      {confirm && (
        <ConfirmDelete onClose={() => setConfirm(false)}>
          <div className="modal" id="confirm-delete" role="dialog">
            <h2>Delete “{task.name}”?</h2>
            <p className="hint">The task goes away; its annotated version and every annotation stay.</p>
            <div className="actions">
              <button id="confirm-delete-cancel" onClick={() => setConfirm(false)}>Cancel</button>
              <button id="confirm-delete-yes" className="danger" onClick={act(() => api.deleteTask(task.task_id))}>
                Delete
              </button>
            </div>
          </div>
        </ConfirmDelete>
      )}
    </div>
  );
}

/** The card's ☰ menu: closes on a click outside it and on Esc (the focus goes back to ☰). */
function CardMenu(p: { onClose: () => void; children: React.ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useDismiss(p.onClose, ref);
  return (
    <div className="menu" role="menu" ref={ref} onClick={(e) => e.stopPropagation()}>
      {p.children}
    </div>
  );
}

function ConfirmDelete(p: { onClose: () => void; children: React.ReactNode }) {
  useDismiss(p.onClose);
  return (
    <div className="backdrop" onClick={(e) => e.stopPropagation()}>
      {p.children}
    </div>
  );
}
