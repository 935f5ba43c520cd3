// Label colors: picked by anyone annotating the task and stored by the tasks service (shared by the team);
// a label nobody picked a color for gets one derived from its name. The editor paints ROIs with them.
import { api } from "./api";

/** Automatic colors, neighbours far apart in hue (and readable on the dark stage). */
export const PALETTE = [
  "#ff4d4d", // red
  "#4dd0e1", // cyan
  "#ffd54f", // yellow
  "#7e57ff", // violet
  "#66bb6a", // green
  "#ff8a3d", // orange
  "#42a5f5", // blue
  "#f06292", // pink
  "#c6ff00", // lime
  "#ce93d8", // lilac
  "#26a69a", // teal
  "#ffab91", // peach
  "#a1887f", // brown
  "#b0bec5", // grey blue
];
/** Labels that often meet on one frame get colors of their own, none shared (car and vehicle, person and sign). */
const COMMON: Record<string, number> = {
  person: 0, pedestrian: 7, rider: 11, bicycle: 1, "traffic-sign": 2, "traffic_sign": 2, sign: 2, vehicle: 5,
  truck: 8, car: 6, "traffic-light": 4, "traffic_light": 4, motorcycle: 9, bus: 10, animal: 12, dog: 12, tree: 13, van: 3,
};
const CHANGED = "annostream:label-colors";

let picked: Record<string, string> = {}; // the open task's colors (label -> #rrggbb)
const PICK_DELAY_MS = 300; // a color picker reports every step of a drag: store only where it settles
const pending = new Map<string, { timer: number; before: string | undefined }>(); // picks not sent yet

/** A label's color: the one the team picked for the task, else one derived from the label. */
export function labelColor(label: string): string {
  return picked[label] ?? autoColor(label);
}

/** The automatic color of a label: its own for a common label, else one derived from its name (stable). */
export function autoColor(label: string): string {
  const common = COMMON[label.trim().toLowerCase()];
  if (common !== undefined) return PALETTE[common];
  let h = 0;
  for (const c of label) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
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
