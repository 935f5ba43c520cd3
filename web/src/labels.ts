// Label colors: picked by anyone annotating the task and stored by the tasks service (shared by the team);
// a label nobody picked a color for gets one derived from its name. The editor paints ROIs with them.
import { api } from "./api";

const COLORS = ["#ffcc00", "#4dd0e1", "#ff7043", "#9ccc65", "#ba68c8", "#f06292", "#64b5f6", "#ffd54f"];
const CHANGED = "annostream:label-colors";

let picked: Record<string, string> = {}; // the open task's colors (label -> #rrggbb)
const PICK_DELAY_MS = 300; // a color picker reports every step of a drag: store only where it settles
const pending = new Map<string, { timer: number; before: string | undefined }>(); // picks not sent yet

/** A label's color: the one the team picked for the task, else one derived from the label. */
export function labelColor(label: string): string {
  if (picked[label]) return picked[label];
  let h = 0;
  for (const c of label) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length];
}

function changed(): void {
  window.dispatchEvent(new CustomEvent(CHANGED));
}

/** Use the task's colors (when the editor opens a task, or its list of colors changed elsewhere). */
export function setTaskColors(colors: Record<string, string>): void {
  picked = { ...colors };
  changed();
}

/** One color set by someone else (a live update from the task's LabelColorSet event). */
export function colorSetElsewhere(label: string, color: string): void {
  if (picked[label] === color || pending.has(label)) return; // my own pick is about to be stored: it wins
  picked = { ...picked, [label]: color };
  changed();
}

/** Pick a label's color for the whole task: shown at once, stored by the server once the picker settles
 * (reverted, and `onError` called, when the server refuses it). */
export function pickLabelColor(taskId: string, label: string, color: string, onError: (e: unknown) => void): void {
  const was = pending.get(label);
  if (was) window.clearTimeout(was.timer);
  const before = was ? was.before : picked[label];
  picked = { ...picked, [label]: color };
  changed();
  const timer = window.setTimeout(() => {
    pending.delete(label);
    api.setLabelColor(taskId, label, color).catch((e) => {
      const { [label]: _, ...rest } = picked;
      picked = before === undefined ? rest : { ...rest, [label]: before };
      changed();
      onError(e);
    });
  }, PICK_DELAY_MS);
  pending.set(label, { timer, before });
}

/** Call `f` whenever a label color changes; returns the unsubscribe function. */
export function onLabelColors(f: () => void): () => void {
  window.addEventListener(CHANGED, f);
  return () => window.removeEventListener(CHANGED, f);
}
