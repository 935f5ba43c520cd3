// The editor's side panel: default ROI labels, the objects list (copy, paste, metadata, lock, delete, labels),
// frame labels and frame metadata. Every change is a command pushed to the editor's pending batch; while the ROIs
// are hidden nothing of them can be changed, and a locked ROI only unlocks (the annotation service refuses the rest).
// The selected ROI's row is always rendered (past the first LIST_CAP too) and scrolled into view when the selection
// changes, e.g. by a click on the ROI in the frame.
import { useEffect, useRef } from "react";
import type { Command, Roi } from "../api";
import type { Working } from "../editing";
import { AddLabel, LabelChips, type JsonEdit } from "./parts";

const LIST_CAP = 100; // the list renders this many ROIs (plus the selected one) until "Show all"

export interface SidePanelProps {
  work: Working | null;
  listed: Roi[]; // the ROIs of the sources on screen
  multi: boolean; // several sources: show each ROI's source
  selected: string | null;
  select: (roiId: string) => void;
  hidden: boolean;
  setHidden: (h: boolean) => void;
  defaults: string[];
  setDefaults: (labels: string[]) => void;
  known: string[];
  push: (...cmds: Command[]) => void;
  unsavedPaste: Set<string>; // ROIs of an unsaved paste: lock / unlock once it is saved (the service names them then)
  copy: (rois: Roi[]) => void;
  paste: (() => void) | null; // null: nothing to paste
  pasteTitle: string;
  editJson: (e: JsonEdit) => void;
  pickColor: (label: string, color: string) => void;
  listAll: boolean;
  showAll: () => void;
}

/** Scroll the panel (only: unlike scrollIntoView, never the window, which would move the frame under the pointer)
 * the least that shows `row` in the part of the panel inside the window. */
function scrollIntoPanel(panel: HTMLElement, row: Element): void {
  const r = row.getBoundingClientRect();
  const b = panel.getBoundingClientRect();
  const top = Math.max(b.top, 0);
  const bottom = Math.min(b.bottom, window.innerHeight);
  if (r.top < top) panel.scrollTop -= top - r.top;
  else if (r.bottom > bottom) panel.scrollTop += Math.min(r.bottom - bottom, r.top - top);
}

export function SidePanel(p: SidePanelProps) {
  const { listed, selected, hidden, push, pickColor } = p;
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    const row = selected && panel.current?.querySelector(`.roi-item[data-roi-id="${CSS.escape(selected)}"]`);
    if (row) scrollIntoPanel(panel.current!, row);
  }, [selected]);
  const rows = p.listAll || listed.length <= LIST_CAP ? listed : listed.filter((r, i) => i < LIST_CAP || r.roi_id === selected);
  return (
    <aside className="side" ref={panel}>
      <datalist id="known-labels">{p.known.map((l) => <option key={l} value={l} />)}</datalist>
      <h4>Default ROI label(s)</h4>
      <LabelChips cls="default-label" labels={p.defaults} onRemove={(l) => p.setDefaults(p.defaults.filter((x) => x !== l))} onPickColor={pickColor} />
      <AddLabel cls="default-label-input" placeholder="label for new ROIs + Enter" onAdd={(l) => p.setDefaults([...new Set([...p.defaults, l])])} />
      <h4>
        Objects ({listed.length})
        <span>
          <button id="copy-all" title="Copy all" onClick={() => p.copy(listed)}>COPY ALL</button>{" "}
          <button id="paste" title={p.pasteTitle} disabled={!p.paste} onClick={() => p.paste?.()}>PASTE</button>{" "}
          <button id="lock-all" disabled={hidden} onClick={() => push({ lock_all_rois: {} })}>Lock all</button>{" "}
          <button id="unlock-all" disabled={hidden} onClick={() => push({ unlock_all_rois: {} })}>Unlock all</button>{" "}
          <button id="hide-all" aria-pressed={hidden} onClick={() => p.setHidden(!hidden)}>{hidden ? "Show" : "Hide"}</button>
        </span>
      </h4>
      <ul className="roi-list" id="roi-list">
        {rows.map((r) => (
          <li key={r.roi_id} className={`roi-item ${r.roi_id === selected ? "selected" : ""} ${r.locked ? "locked" : ""}`} data-roi-id={r.roi_id} onClick={() => p.select(r.roi_id)}>
            <div className="head">
              <span className="kind">
                {r.type}
                {p.multi && <span className="roi-source"> · {r.source_id || "—"}</span>}
              </span>
              <button className="roi-copy" title="Copy" onClick={() => p.copy([r])}>copy</button>
              <button className="roi-metadata" title="Edit metadata" disabled={hidden || r.locked} onClick={() => p.editJson({ title: "ROI metadata", value: r.metadata, onSave: (m) => push({ set_roi_metadata: { roi_id: r.roi_id, metadata: m } }) })}>{"{}"}</button>
              <button className="roi-lock" title={p.unsavedPaste.has(r.roi_id) ? "Save the paste first" : r.locked ? "Unlock" : "Lock"} disabled={hidden || p.unsavedPaste.has(r.roi_id)} onClick={() => push(r.locked ? { unlock_roi: { roi_id: r.roi_id } } : { lock_roi: { roi_id: r.roi_id } })}>{r.locked ? "unlock" : "lock"}</button>
              <button className="roi-delete" title="Delete" disabled={hidden || r.locked} onClick={() => push({ delete_roi: { roi_id: r.roi_id } })}>delete</button>
            </div>
            <LabelChips cls="roi-label" labels={r.labels} onRemove={hidden || r.locked ? undefined : (l) => push({ remove_roi_label: { roi_id: r.roi_id, label: l } })} onPickColor={pickColor} />
            {!hidden && !r.locked && <AddLabel cls="roi-label-input" placeholder="label + Enter" onAdd={(l) => push({ add_roi_label: { roi_id: r.roi_id, label: l } })} />}
          </li>
        ))}
      </ul>
      {!p.listAll && listed.length > LIST_CAP && (
        <button id="roi-list-more" onClick={p.showAll}>
          Show all {listed.length} objects
        </button>
      )}
      {selected && listed.some((r) => r.roi_id === selected) && <div className="hint">Selected: {selected}</div>}
      <h4>Frame labels</h4>
      <LabelChips cls="frame-label" labels={p.work?.frame_labels ?? []} onRemove={(l) => push({ remove_frame_label: { label: l } })} onPickColor={pickColor} />
      <AddLabel cls="frame-label-input" placeholder="+ Add new (Enter)" onAdd={(l) => push({ add_frame_label: { label: l } })} />
      <h4>
        Frame metadata
        <button id="frame-metadata-edit" onClick={() => p.work && p.editJson({ title: "Frame metadata", value: p.work.metadata, onSave: (m) => push({ set_frame_metadata: { metadata: m } }) })}>{"{}"}</button>
      </h4>
      <pre id="frame-metadata" className="hint">{JSON.stringify(p.work?.metadata ?? {}, null, 1)}</pre>
    </aside>
  );
}
