// Typed client of the gateway's HTTP API (/api/v1). Errors carry the API's `field` so forms can show them in place.

export type VersionStatus = "draft" | "published" | "unknown";

/** Frames done / total of a task; `known` is false while the iterator cannot tell. */
export interface Progress {
  done: number;
  total: number;
  known: boolean;
  /** The iterator waits for edits made before the task was created to build its plan (seconds at most). */
  plan_pending?: boolean;
}

export interface Task {
  task_id: string;
  name: string;
  owner: string;
  team: string;
  dataset_id: string;
  source_version_id: string;
  annotated_version_id: string;
  iteration: { order: string; random_seed: number; limit: number; clip_length: number };
  default_labels: string[];
  label_set: string[];
  label_colors: Record<string, string>; // label -> #rrggbb, shared by everyone annotating the task
  selection: Selection;
  status: string;
  created_at: string | null;
  updated_at: string | null;
  completed_at: string | null;
  progress?: Progress; // set by the task list (one iterator call per page)
  source_version_name?: string | null; // set by the task list (null: the datasets service could not tell)
  annotated_version_name?: string | null;
}

export interface VersionSummary {
  version_id: string;
  name: string;
  status: VersionStatus;
  frame_count: number;
  parent_version_id: string | null;
}

export interface TaskInfo extends Task {
  source_version: VersionSummary | null;
  annotated_version: VersionSummary | null;
  progress: Progress;
}

export interface Dataset {
  dataset_id: string;
  name: string;
}

export interface VersionNode {
  version_id: string;
  dataset_id: string;
  name: string;
  status: VersionStatus;
  frame_count: number;
  parent_version_id: string | null;
  children: VersionNode[];
}

export interface RoiRule {
  kind: "include" | "exclude";
  label_expression: string;
  min_count?: number;
  max_count?: number;
  min_confidence?: number;
  max_confidence?: number;
}

export interface FrameFilter {
  roi_rules: RoiRule[];
  frame_query: string;
  source_query: string;
}

export interface Selection {
  mode: "all" | "empty" | "custom";
  filters: FrameFilter[];
}

export interface CreateTask {
  name: string;
  dataset_version_id: string;
  iteration: { order: "sequential" | "random"; random_seed: number | null; limit: number; clip_length: number };
  selection: Selection;
  default_labels: string[];
}

export type Point = [number, number];
export type RoiType = "rectangle" | "ellipse" | "polygon" | "keypoints";

export interface Roi {
  roi_id: string;
  type: RoiType;
  points: Point[];
  labels: string[];
  confidence: number | null;
  source_id: string;
  metadata: Record<string, unknown>;
  locked: boolean;
}

export interface Mask {
  id: string;
  uri: string;
}

export interface Source {
  id: string;
  uri: string;
  width: number;
  height: number;
  preview_uri: string;
  masks: Mask[];
}

export interface FrameState {
  version_id: string;
  frame_id: string;
  version: number;
  base: { frame_id: string; sources: Source[]; metadata: Record<string, unknown> };
  rois: Roi[];
  frame_labels: string[];
  metadata: Record<string, unknown>;
}

export interface FrameRef {
  version_id: string;
  frame_id: string;
}

export interface Lease {
  frame: FrameRef | null;
  lease_id: string | null;
  position: number;
  total: number;
  exhausted: boolean;
  trail_index: number;
}

export interface Navigation {
  frame: FrameRef | null;
  position: number;
  total: number;
  trail_index: number;
  state: string | null;
}

export type Command = Record<string, unknown>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

const USER_KEY = "annostream.user";
const TEAM_KEY = "annostream.team";

/** The dev-mode identity (X-Annostream-User); behind an authenticating proxy the gateway ignores it (see `api.me`). */
export function currentUser(): string {
  return localStorage.getItem(USER_KEY) || "anonymous";
}

export function setCurrentUser(user: string): void {
  localStorage.setItem(USER_KEY, user.trim() || "anonymous");
  identityCookies();
}

/** The team the UI acts as (X-Annostream-Team); "" lets the gateway choose (dev mode: "default"). */
export function currentTeam(): string {
  return localStorage.getItem(TEAM_KEY) || "";
}

export function setCurrentTeam(team: string): void {
  if (team.trim()) localStorage.setItem(TEAM_KEY, team.trim());
  else localStorage.removeItem(TEAM_KEY);
  identityCookies();
}

/** Images and the live WebSocket cannot send headers: in dev mode the gateway reads the same identity from these
 * cookies (behind a proxy it ignores them, as it ignores the dev headers). */
export function identityCookies(): void {
  const set = (name: string, value: string) =>
    (document.cookie = `${name}=${encodeURIComponent(value)}; path=/; SameSite=Strict${value ? "" : "; max-age=0"}`);
  set("annostream_user", currentUser());
  set("annostream_team", currentTeam());
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { "X-Annostream-User": currentUser() };
  const team = currentTeam();
  if (team) headers["X-Annostream-Team"] = team;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 204) return undefined as T;
  const text = await resp.text();
  const data = text ? JSON.parse(text) : {};
  if (!resp.ok) {
    throw new ApiError(resp.status, data.error ?? "ERROR", data.message ?? resp.statusText, data.field ?? null, data.details ?? {});
  }
  return data as T;
}

const q = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

export interface TaskPage {
  tasks: Task[];
  next_page_token: string | null;
  total: number;
}

/** A team the caller belongs to, with its roles and what they allow there. */
export interface Membership {
  team: string;
  roles: string[];
  permissions: string[];
}

/** Who the gateway takes the caller to be (acting as `team`); `dev_auth` false means a proxy signed the user in. */
export interface Me {
  user: string;
  team: string;
  role: string;
  roles: string[];
  teams: Membership[];
  dev_auth: boolean;
}

export const api = {
  me: () => request<Me>("GET", "/me"),
  listTasks: (p: { status: string; scope: string; sort: string; dataset_id: string; page_size: number; page_token: string }) =>
    request<TaskPage>("GET", `/tasks?${q(p)}`),
  getTask: (id: string) => request<TaskInfo>("GET", `/tasks/${id}`),
  createTask: (body: CreateTask) => request<Task>("POST", "/tasks", body),
  completeTask: (id: string) => request<Task>("POST", `/tasks/${id}/complete`),
  reopenTask: (id: string) => request<Task>("POST", `/tasks/${id}/reopen`),
  deleteTask: (id: string) => request<void>("DELETE", `/tasks/${id}`),
  setLabelColor: (id: string, label: string, color: string) => request<Task>("PUT", `/tasks/${id}/label-colors`, { label, color }),
  progress: (id: string) => request<{ done: number; total: number; leased: number }>("GET", `/tasks/${id}/progress`),
  listDatasets: () => request<{ datasets: Dataset[] }>("GET", "/datasets?page_size=500"),
  listVersions: (datasetId: string) => request<{ versions: VersionNode[] }>("GET", `/datasets/${datasetId}/versions`),
  versionStats: (versionId: string) =>
    request<{ roi_labels: Record<string, number>; frame_labels: Record<string, number> }>("GET", `/versions/${versionId}/stats`),
  nextFrame: (taskId: string, completeLeaseId: string | null) =>
    request<Lease>("POST", `/tasks/${taskId}/next-frame`, { complete_lease_id: completeLeaseId ?? "" }),
  heartbeat: (taskId: string, leaseId: string) => request<unknown>("POST", `/tasks/${taskId}/leases/${leaseId}/heartbeat`),
  navigate: (taskId: string, action: string, fromTrailIndex: number, fromPosition: number, steps = 0) =>
    request<Navigation>(
      "GET",
      `/tasks/${taskId}/navigate?${q({ action, from_trail_index: fromTrailIndex, from_position: fromPosition, steps })}`,
    ),
  getFrame: (ref: FrameRef) => request<FrameState>("GET", `/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}`),
  saveFrame: (ref: FrameRef, expectedVersion: number, taskId: string, commands: Command[]) =>
    request<{ frame: FrameState; rebased: boolean }>(
      "POST",
      `/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}/save`,
      { expected_version: expectedVersion, task_id: taskId, idempotency_key: crypto.randomUUID(), commands },
    ),
  /** Undo or redo the caller's last save on the frame (compensating events on the server). */
  undoRedo: (ref: FrameRef, taskId: string, which: "undo" | "redo") =>
    request<{ frame: FrameState }>("POST", `/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}/${which}`, { task_id: taskId }),
};

/** A new task or version reaches the iterator and the annotation service by event: a 404 right after
 * creation ("not yet known") is retried for a few seconds. */
export async function whenKnown<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404) || attempt >= 40) throw e;
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
    }
  }
}

/** A readable message of any error (the API's message with its field). */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}
