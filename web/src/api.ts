// Typed client of the gateway's HTTP API (/api/v1). Errors carry the API's `field` so forms can show them in place.

// The API's types are generated from the gateway's /openapi.json (`make web`: scripts/gen_web_types.py runs
// openapi-typescript into ./generated/openapi.ts); the names below are the UI's names for them.
import type { components } from "./generated/openapi";

type Schemas = components["schemas"];

export type VersionStatus = Schemas["Version"]["status"];
/** Frames done / total of a task; `known` is false while the iterator cannot tell. */
export type Progress = Schemas["Progress"];
export type Task = Schemas["Task"];
/** A task of the task list: with its progress and version names (one call per page). */
export type TaskListItem = Schemas["TaskListItem"];
export type TaskPage = Schemas["TaskPage"];
export type VersionSummary = Schemas["VersionSummary"];
export type TaskInfo = Schemas["TaskInfo"];
export type Dataset = Schemas["Dataset"];
export type VersionNode = Schemas["VersionNode"];
export type VersionStats = Schemas["VersionStats"];
export type TaskProgress = Schemas["TaskProgress"];
export type RoiRule = Schemas["RoiRuleBody"];
export type FrameFilter = Schemas["FrameFilterBody"];
export type Selection = Schemas["SelectionBody"];
export type CreateTask = Schemas["CreateTaskBody"];
export type Roi = Schemas["Roi"];
export type Point = Roi["points"][number];
export type RoiType = Schemas["RoiBody"]["type"];
export type Mask = Schemas["Mask"];
export type Source = Schemas["Source"];
export type FrameState = Schemas["FrameState"];
/** A frame as the editor names it (the API's FrameRef also carries the dataset). */
export type FrameRef = Pick<Schemas["FrameRef"], "version_id" | "frame_id">;
/** A ROI of a type this UI can draw (the API says "unknown" for a type it does not know). */
export const drawable = <R extends Pick<Roi, "type">>(r: R): r is R & { type: RoiType } => r.type !== "unknown";
export type Lease = Schemas["Lease"];
export type Navigation = Schemas["Navigation"];
/** One editor action of a save (exactly one key set). */
export type Command = Schemas["CommandBody"];
export type SaveResult = Schemas["SaveResult"];
export type EditResult = Schemas["EditResult"];
/** Who the gateway takes the caller to be; `dev_auth` false means a proxy signed the user in. */
export type Me = Schemas["Me"];
/** A team the caller belongs to, with its roles and what they allow there. */
export type Membership = Schemas["Membership"];
export type ErrorBody = Schemas["ErrorBody"];

/** An error answer of the API (every 4xx / 5xx has the ErrorBody shape) with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorBody["error"],
    message: string,
    readonly field: ErrorBody["field"],
    readonly details: ErrorBody["details"],
  ) {
    super(message);
  }
}

const USER_KEY = "annostream.user";
const TEAM_KEY = "annostream.team";
const ROLE_KEY = "annostream.role";
/** The dev-mode roles when the gateway cannot list the policy's (`Me.known_roles`). */
export const DEV_ROLES = ["annotator", "reviewer", "admin"];

/** The dev-mode role (X-Annostream-Role); "" lets the gateway choose (annotator). */
export function currentRole(): string {
  return localStorage.getItem(ROLE_KEY) || "";
}

export function setCurrentRole(role: string): void {
  if (role.trim()) localStorage.setItem(ROLE_KEY, role.trim());
  else localStorage.removeItem(ROLE_KEY);
}

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

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { "X-Annostream-User": currentUser() };
  const team = currentTeam();
  if (team) headers["X-Annostream-Team"] = team;
  const role = currentRole(); // dev mode: annotator (default), reviewer or admin — the role picker
  if (role) headers["X-Annostream-Role"] = role;
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
    const err = data as Partial<ErrorBody>;
    throw new ApiError(resp.status, err.error ?? "ERROR", err.message ?? resp.statusText, err.field ?? null, err.details ?? {});
  }
  return data as T;
}

const q = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

export const api = {
  me: () => request<Me>("GET", "/me"),
  listTasks: (p: { status: string; scope: string; sort: string; dataset_id: string; page_size: number; page_token: string; my_reviews?: boolean }) => {
    const { my_reviews, ...rest } = p;
    return request<TaskPage>("GET", `/tasks?${q(my_reviews ? { ...rest, my_reviews: "true" } : rest)}`);
  },
  getTask: (id: string) => request<TaskInfo>("GET", `/tasks/${id}`),
  createTask: (body: CreateTask) => request<Task>("POST", "/tasks", body),
  completeTask: (id: string) => request<Task>("POST", `/tasks/${id}/complete`),
  reopenTask: (id: string) => request<Task>("POST", `/tasks/${id}/reopen`),
  deleteTask: (id: string) => request<void>("DELETE", `/tasks/${id}`),
  setLabelColor: (id: string, label: string, color: string) => request<Task>("PUT", `/tasks/${id}/label-colors`, { label, color }),
  progress: (id: string) => request<TaskProgress>("GET", `/tasks/${id}/progress`),
  listDatasets: () => request<Schemas["DatasetPage"]>("GET", "/datasets?page_size=500"),
  listVersions: (datasetId: string) => request<Schemas["VersionTree"]>("GET", `/datasets/${datasetId}/versions`),
  /** A version's statistics; `perFrame` adds frames per number of ROIs (costs a read per annotated frame). */
  versionStats: (versionId: string, perFrame = false) => request<VersionStats>("GET", `/versions/${versionId}/stats${perFrame ? "?rois_per_frame=true" : ""}`),
  nextFrame: (taskId: string, completeLeaseId: string | null) =>
    request<Lease>("POST", `/tasks/${taskId}/next-frame`, { complete_lease_id: completeLeaseId ?? "" }),
  heartbeat: (taskId: string, leaseId: string) => request<Schemas["Heartbeat"]>("POST", `/tasks/${taskId}/leases/${leaseId}/heartbeat`),
  navigate: (taskId: string, action: string, fromTrailIndex: number, fromPosition: number, steps = 0) =>
    request<Navigation>(
      "GET",
      `/tasks/${taskId}/navigate?${q({ action, from_trail_index: fromTrailIndex, from_position: fromPosition, steps })}`,
    ),
  /** Where a frame stands in the task's plan (a frame opened from a link carries no position). */
  locate: (taskId: string, frameId: string) =>
    request<Navigation>("GET", `/tasks/${taskId}/navigate?${q({ action: "locate", frame_id: frameId })}`),
  getFrame: (ref: FrameRef) => request<FrameState>("GET", `/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}`),
  saveFrame: (ref: FrameRef, expectedVersion: number, taskId: string, commands: Command[]) =>
    request<SaveResult>(
      "POST",
      `/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}/save?answer=compact`, // only what changed
      { expected_version: expectedVersion, task_id: taskId, idempotency_key: crypto.randomUUID(), commands },
    ),
  /** Undo or redo the caller's last save on the frame (compensating events on the server). */
  undoRedo: (ref: FrameRef, taskId: string, which: "undo" | "redo") =>
    request<EditResult>("POST", `/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}/${which}`, { task_id: taskId }),
};

/** A new task's plan can still be pending right after creation (404 with plan_pending while the iterator waits
 * for edits made before the task): retried for a few seconds. (A task or version just created is never "not yet
 * known": the services catch up on a miss.) */
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
