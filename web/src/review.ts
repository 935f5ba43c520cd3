// The review stage's API (reviewer leases, decisions, comments, quality) with the generated types.
import type { components } from "./generated/openapi";
import { request } from "./api";

type Schemas = components["schemas"];
export type ReviewSettings = Schemas["ReviewSettings"];
export type ReviewLease = Schemas["ReviewLease"];
export type FrameReviewDetail = Schemas["FrameReviewDetail"];
export type Comment = Schemas["Comment"];
export type ReviewQuality = Schemas["ReviewQuality"];
export type QualityFigures = Schemas["QualityFigures"];
export type NewComment = Schemas["CommentBody"];

const t = (taskId: string) => `/tasks/${encodeURIComponent(taskId)}`;

export const reviewApi = {
  settings: (taskId: string) => request<ReviewSettings>("GET", `${t(taskId)}/review-settings`),
  setSettings: (taskId: string, s: Schemas["ReviewSettingsBody"]) => request<ReviewSettings>("PUT", `${t(taskId)}/review-settings`, s),
  next: (taskId: string, filters: { annotator: string; label: string }) => request<ReviewLease>("POST", `${t(taskId)}/next-review`, filters),
  accept: (taskId: string, leaseId: string) => request<FrameReviewDetail>("POST", `${t(taskId)}/review-leases/${encodeURIComponent(leaseId)}/accept`),
  reject: (taskId: string, leaseId: string, reason: string) =>
    request<FrameReviewDetail>("POST", `${t(taskId)}/review-leases/${encodeURIComponent(leaseId)}/reject`, { reason }),
  release: (taskId: string, leaseId: string) => request<ReviewLease>("POST", `${t(taskId)}/review-leases/${encodeURIComponent(leaseId)}/release`),
  undo: (taskId: string, frameId: string) => request<ReviewLease>("POST", `${t(taskId)}/frames/${encodeURIComponent(frameId)}/undo-decision`),
  frame: (taskId: string, frameId: string) => request<FrameReviewDetail>("GET", `${t(taskId)}/frames/${encodeURIComponent(frameId)}/review`),
  comment: (taskId: string, frameId: string, c: NewComment) => request<Comment>("POST", `${t(taskId)}/frames/${encodeURIComponent(frameId)}/comments`, c),
  resolve: (taskId: string, commentId: string, resolved: boolean) =>
    request<Comment>("POST", `${t(taskId)}/comments/${encodeURIComponent(commentId)}/${resolved ? "resolve" : "reopen"}`),
  quality: (taskId: string) => request<ReviewQuality>("GET", `${t(taskId)}/quality`),
};

/** "all", "off", or "sample 10 %" */
export const describeSettings = (s: ReviewSettings) => (s.mode === "sample" ? `sample ${s.sample_percent} %` : s.mode);

export type FrameTaskHistory = Schemas["FrameHistoryWithReview"];
export type HistoryEntry = Schemas["HistoryEntry"];

/** A frame's history in a task: edits and review events interleaved by time (oldest first). */
export const frameHistory = (taskId: string, frameId: string) =>
  request<FrameTaskHistory>("GET", `${t(taskId)}/frames/${encodeURIComponent(frameId)}/history`);
