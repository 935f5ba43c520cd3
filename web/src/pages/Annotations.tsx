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
import { NewTaskModal } from "./NewTaskModal";
import { RolePicker, permissionsOf } from "./RolePicker";
import { TaskCard } from "./TaskCard";
import { TaskInfoModal } from "./TaskInfoModal";

type Status = "active" | "completed";
type Scope = "mine" | "team";
type Sort = "recent" | "name";

/** Tasks per page of the list (`?page_size=N` in the page's URL overrides it, 1..500). */
function pageSize(): number {
  const n = Number(new URLSearchParams(location.search).get("page_size"));
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 500) : 100;
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
