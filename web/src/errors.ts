// Errors in sentences a person understands: the API's validator text and internal ids (ROI ids, event types) are
// mapped to what happened and what to do. The API's `field` still says where (forms show the sentence next to it).
import { ApiError } from "./api";

/** What a ROI is called for a person: its labels, or its kind when it has none. */
export interface RoiName {
  roi_id: string;
  labels: string[];
  type?: string;
}

/** “the ROI “car, red”” (or “an unlabelled rectangle”), never its internal id. */
export function roiName(roi: RoiName | undefined): string {
  if (!roi) return "a ROI";
  if (roi.labels.length) return `the ROI “${roi.labels.join(", ")}”`;
  return `an unlabelled ${roi.type && roi.type !== "unknown" ? roi.type : "ROI"}`;
}

const FIELD_RULES: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/string should have at least 1 character/i, () => "This cannot be empty."],
  [/string should have at least (\d+) characters/i, (m) => `Type at least ${m[1]} characters.`],
  [/string should have at most (\d+) characters?/i, (m) => `Too long: at most ${m[1]} characters.`],
  [/input should be a valid integer/i, () => "Type a whole number (for example 42)."],
  [/input should be a valid number/i, () => "Type a number."],
  [/input should be greater than or equal to (-?[\d.]+)/i, (m) => `Type a number of at least ${m[1]}.`],
  [/input should be greater than (-?[\d.]+)/i, (m) => `Type a number greater than ${m[1]}.`],
  [/input should be less than or equal to (-?[\d.]+)/i, (m) => `Type a number of at most ${m[1]}.`],
  [/field required/i, () => "This is required."],
  [/input should be (.+)/i, (m) => `Choose ${m[1].replace(/'/g, "")}.`],
];

/** A sentence for a field's validation error: the validator's wording replaced, the field prefix dropped. */
export function friendlyMessage(message: string, field?: string | null): string {
  let text = message;
  if (field && text.startsWith(`${field}: `)) text = text.slice(field.length + 2);
  else text = text.replace(/^[\w.[\]]+: /, "");
  for (const [re, say] of FIELD_RULES) {
    const m = text.match(re);
    if (m) return say(m);
  }
  text = text.replace(/\s*\(type=[^)]*\)/, "");
  return text ? text[0].toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".") : "Something is wrong here.";
}

/** The sentence for an API error shown next to its form field. */
export function friendlyFieldError(e: ApiError): string {
  return friendlyMessage(e.message, e.field);
}

const quoted = /'([^']*)'/g;
const REOPEN_REFUSED = /Published \(read-only\): the task cannot be reopened/;
const REOPEN_PUBLISHED =
  "This task's version was published (it is read-only now), so the task cannot be reopened: start a new task on that version to annotate it further.";

/** A task card action's error (complete / reopen / delete): a reopen refused because the task's version was published
 * says what to do instead; any other refusal is the API's own sentence. */
export function taskActionError(e: unknown): string {
  if (!(e instanceof ApiError)) return friendlyError(e);
  if (e.status === 409 && e.field === "task_id" && REOPEN_REFUSED.test(e.message)) return REOPEN_PUBLISHED;
  return e.message;
}

/** A save / undo / navigation error as a sentence: the ROI by its label, the other annotator by name, what to do. */
export function friendlyError(e: unknown, rois: RoiName[] = []): string {
  if (!(e instanceof ApiError)) {
    const s = String(e);
    return /failed to fetch|networkerror/i.test(s) ? "The server cannot be reached: check your connection and try again." : s;
  }
  const d = e.details ?? {};
  const byId = (id: unknown) => rois.find((r) => r.roi_id === id);
  const roiId = typeof d.roi_id === "string" ? d.roi_id : (e.message.match(/ROI '([^']*)'/)?.[1] ?? null);
  const what = (): string =>
    d.item === "frame_metadata" ? "the frame's metadata" : d.item === "frame_label" ? "a frame label" : roiName(byId(roiId) ?? (roiId ? { roi_id: roiId, labels: [] } : undefined));
  if (e.status === 409 && e.code === "ABORTED") {
    if (/cannot (undo|redo)/.test(e.message)) {
      const action = e.message.match(/cannot (undo|redo)/)?.[1] ?? "undo";
      return `Cannot ${action}: ${what()} was changed by someone else since. Edit it by hand instead.`;
    }
    const who = typeof d.actor === "string" && d.actor ? d.actor : "Another annotator";
    return `${who} changed ${what()} while you were editing it. Keep yours or take theirs.`;
  }
  if (e.status === 409 || e.code === "FAILED_PRECONDITION") {
    if (/is locked/.test(e.message)) return `${cap(what())} is locked: unlock it to edit it.`;
    if (/already exists/.test(e.message)) return `${cap(what())} already exists on this frame: reload the frame and paste again.`;
    // A closed task's or Published version's refusal first: their messages mention leases too.
    if (/the task is completed/.test(e.message)) return "This task is completed: reopen it to annotate.";
    if (REOPEN_REFUSED.test(e.message) && e.field === "task_id") return REOPEN_PUBLISHED;
    if (/is Published \(read-only/.test(e.message) && e.field === "task_id")
      return "This task's version was published (it is read-only now): nothing more can be annotated in this task.";
    if (e.field === "lease_id" || /lease/.test(e.message)) return "Your hold on this frame ended (it timed out or was finished elsewhere): open the next frame.";
    if (/completed/.test(e.message)) return "This task is completed: reopen it to annotate.";
  }
  if (e.status === 404) {
    if (/ROI/.test(e.message)) return `${cap(what())} was deleted meanwhile: reload the frame.`;
    return "Not found: it may have been deleted. Go back to Annotations and reopen it.";
  }
  if (e.status === 403) return "You are not allowed to do this in this team: ask a team lead for access.";
  if (e.status === 413) return "Too much at once: save fewer changes at a time.";
  if (e.status === 422 || e.status === 400) {
    const msg = friendlyMessage(e.message.replace(quoted, "“$1”"), e.field);
    return roiId ? `${cap(what())}: ${msg[0].toLowerCase()}${msg.slice(1)}` : msg;
  }
  if (e.status >= 500) return "The server had a problem: try again in a moment.";
  return friendlyMessage(e.message, e.field);
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
