import { useCallback, useEffect, useRef, useState } from "react";
import {
  ApiError,
  api,
  currentRole,
  currentTeam,
  currentUser,
  setCurrentTeam,
  setCurrentUser,
  type Dataset,
  type Me,
  type TaskInfo,
  type TaskListItem,
} from "../api";
import { useDismiss } from "../dismiss";
import { go } from "../navigation";
import { ExportModal } from "./ExportModal";
import { StageBar, StageText } from "./ReviewInfo";
import { NewTaskModal } from "./NewTaskModal";
import { RolePicker, mayClose, permissionsOf } from "./RolePicker";
import { TaskInfoModal } from "./TaskInfoModal";

type Status = "active" | "completed";
type Scope = "mine" | "team";
type Sort = "recent" | "name";

/** Tasks per page of the list (`?page_size=N` in the page's URL overrides it, 1..500). */
function pageSize(): number {
  const n = Number(new URLSearchParams(location.search).get("page_size"));
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 500) : 100;
}

function ago(iso: string | null): string {
  if (!iso) return "—";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

function Seg<T extends string>(p: { id: string; value: T; options: [T, string][]; onChange: (v: T) => void }) {
  return (
    <div className="seg" id={p.id} role="group">
      {p.options.map(([v, label]) => (
        <button key={v} data-value={v} aria-pressed={p.value === v} onClick={() => p.onChange(v)}>
          {label}
        </button>
      ))}
    </div>
  );
}

function TaskCard(p: {
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
      setError(e instanceof ApiError ? e.message : String(e));
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

export function AnnotationsPage() {
  const [status, setStatus] = useState<Status>("active");
  const [scope, setScope] = useState<Scope>("team");
  const [sort, setSort] = useState<Sort>("recent");
  const [myReviews, setMyReviews] = useState(false); // tasks with my review work (docs/architecture.md "Review")
  const [role, setRole] = useState(currentRole());
  const [datasetId, setDatasetId] = useState("");
  const [datasets, setDatasets] = useState<Dataset[]>([]);
  const [tasks, setTasks] = useState<TaskListItem[] | null>(null);
  const [next, setNext] = useState<string | null>(null); // cursor of the next page (null: no more)
  const [total, setTotal] = useState(0);
  const [more, setMore] = useState(false); // a next page is loading
  const generation = useRef(0); // answers for older view options are dropped
  const [error, setError] = useState("");
  const [creating, setCreating] = useState(false);
  const [info, setInfo] = useState<TaskInfo | null>(null);
  const [user, setUser] = useState(currentUser());
  const [team, setTeam] = useState(currentTeam());
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    api
      .me()
      .then((m) => (setMe(m), m.dev_auth || setUser(m.user)))
      .catch((e) => {
        // a remembered team the proxy no longer lists: forget it and let the gateway pick one
        if (e instanceof ApiError && e.field === "X-Annostream-Team" && currentTeam()) {
          setCurrentTeam("");
          setTeam("");
        }
        setMe(null); // the page still works with the dev identity
      });
  }, [user, team, role]);
  const switchTeam = (t: string) => (setCurrentTeam(t), setTeam(currentTeam()), setDatasetId(""));

  const view = { status, scope, sort, dataset_id: datasetId, page_size: pageSize(), my_reviews: myReviews };
  const load = useCallback(() => {
    const gen = ++generation.current;
    api.listDatasets().then((r) => setDatasets(r.datasets), () => undefined);
    api
      .listTasks({ ...view, page_token: "" })
      .then((r) => {
        if (gen !== generation.current) return;
        setTasks(r.tasks);
        setNext(r.next_page_token);
        setTotal(r.total);
        setError("");
      })
      .catch((e) => setError(e instanceof ApiError ? e.message : String(e)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [status, scope, sort, datasetId, myReviews]);
  useEffect(load, [load, user, team, role]);
  const gone = (taskId: string) => {
    setTasks((have) => have && have.filter((t) => t.task_id !== taskId));
    setTotal((n) => Math.max(0, n - 1));
  };
  const loadMore = () => {
    if (!next || more) return;
    const gen = generation.current;
    setMore(true);
    api
      .listTasks({ ...view, page_token: next })
      .then((r) => {
        if (gen !== generation.current) return;
        setTasks((have) => {
          const seen = new Set((have ?? []).map((t) => t.task_id));
          return [...(have ?? []), ...r.tasks.filter((t) => !seen.has(t.task_id))];
        });
        setNext(r.next_page_token);
        setTotal(r.total);
      })
      .catch((e) => setError(e instanceof ApiError ? e.message : String(e)))
      .finally(() => setMore(false));
  };
  const names = Object.fromEntries(datasets.map((d) => [d.dataset_id, d.name]));

  return (
    <>
      <header className="top">
        <h1>annostream — Annotations</h1>
        {me && !me.dev_auth ? (
          <span id="signed-in-as" className="inline" title="Signed in by the authenticating proxy">
            Signed in as <b>{me.user}</b>
          </span>
        ) : (
          <>
            <label className="inline" title="Dev mode identity (X-Annostream-User)">
              User
              <input
                id="user-name"
                defaultValue={user}
                onBlur={(e) => (setCurrentUser(e.target.value), setUser(currentUser()))}
                size={12}
              />
            </label>
            <label className="inline" title="Dev mode team (X-Annostream-Team)">
              Team
              <input id="team-name" defaultValue={team || me?.team || "default"} onBlur={(e) => switchTeam(e.target.value)} size={10} />
            </label>
            <RolePicker me={me} onChange={setRole} />
          </>
        )}
        {me && !me.dev_auth && me.teams.length > 1 && (
          <label className="inline" title="The team whose datasets and tasks you see and create">
            Team
            <select id="team-switcher" value={me.team} onChange={(e) => switchTeam(e.target.value)}>
              {me.teams.map((m) => (
                <option key={m.team} value={m.team}>
                  {m.team}
                  {m.roles.includes("admin") ? " (admin)" : m.roles.includes("reviewer") ? " (reviewer)" : ""}
                </option>
              ))}
            </select>
          </label>
        )}
        <button id="new-annotation" className="primary" onClick={() => setCreating(true)}>
          + NEW ANNOTATION
        </button>
      </header>
      <div className="toolbar">
        <Seg id="status-toggle" value={status} onChange={setStatus} options={[["active", "Active"], ["completed", "Completed"]]} />
        <Seg id="scope-toggle" value={scope} onChange={setScope} options={[["mine", "My work"], ["team", "Team work"]]} />
        <button
          id="my-reviews-toggle"
          aria-pressed={myReviews}
          title="Only tasks with my review work: frames waiting that I may review, or frames I accepted or rejected"
          onClick={() => setMyReviews(!myReviews)}
        >
          My reviews
        </button>
        <select id="dataset-filter" value={datasetId} onChange={(e) => setDatasetId(e.target.value)}>
          <option value="">All datasets</option>
          {datasets.map((d) => (
            <option key={d.dataset_id} value={d.dataset_id}>{d.name}</option>
          ))}
        </select>
        <Seg id="sort-toggle" value={sort} onChange={setSort} options={[["recent", "RECENT"], ["name", "NAME"]]} />
      </div>
      {error && <div className="banner" id="page-error">{error}</div>}
      <div className="cards" id="task-cards">
        {tasks?.map((t) => (
          <TaskCard
            key={t.task_id}
            task={t}
            datasetName={names[t.dataset_id] ?? t.dataset_id}
            onGone={gone}
            onInfo={setInfo}
            perms={permissionsOf(me)}
            user={me?.user ?? user}
          />
        ))}
      </div>
      {tasks && tasks.length === 0 && (
        <p className="empty" id="no-tasks">
          No {status} tasks{myReviews ? " with review work for you" : ""}.
        </p>
      )}
      {tasks && tasks.length > 0 && (
        <div className="list-footer">
          <span id="task-count" className="hint">
            {tasks.length} of {total} tasks
          </span>
          {next && (
            <button id="load-more" onClick={loadMore} disabled={more}>
              {more ? "Loading…" : "Load more"}
            </button>
          )}
        </div>
      )}
      {creating && <NewTaskModal datasets={datasets} onClose={() => setCreating(false)} onCreated={() => (setCreating(false), load())} />}
      {info && <TaskInfoModal info={info} onClose={() => setInfo(null)} />}
    </>
  );
}
