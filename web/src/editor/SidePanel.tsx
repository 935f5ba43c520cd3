// The editor's side panel: default ROI labels, the objects list (copy, paste, metadata, lock, delete, labels),
// frame labels and frame metadata. Every change is a command pushed to the editor's pending batch; while the ROIs
// are hidden nothing of them can be changed, and a locked ROI only unlocks (the annotation service refuses the rest).
// The objects list is RoiList (memoised rows, virtualised after "Show all").
import { useMemo, useRef } from "react";
import type { Command, Roi } from "../api";
import type { Working } from "../editing";
import { roiName } from "../errors";
import { AddLabel, LabelChips, type JsonEdit } from "./parts";
import { RoiList, type RowActions } from "./RoiList";

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
  footer?: React.ReactNode; // below the frame's metadata (the frame's history)
}

export function SidePanel(p: SidePanelProps) {
  const { listed, selected, hidden, push, pickColor } = p;
  const panel = useRef<HTMLElement>(null);
  const selectedRoi = selected ? listed.find((r) => r.roi_id === selected) : undefined;
  // the rows' actions are stable (memoised rows), calling whatever the editor passes now
  const latest = useRef(p);
  latest.current = p;
  const actions = useMemo<RowActions>(
    () => ({
      select: (id) => latest.current.select(id),
      push: (...cmds) => latest.current.push(...cmds),
      copy: (rois) => latest.current.copy(rois),
      editJson: (e) => latest.current.editJson(e),
      pickColor: (l, c) => latest.current.pickColor(l, c),
    }),
    [],
  );
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
      <RoiList panel={panel} listed={listed} multi={p.multi} selected={selected} hidden={hidden} unsavedPaste={p.unsavedPaste} actions={actions} listAll={p.listAll} showAll={p.showAll} />
      {selectedRoi && <div className="hint" id="selected-roi" data-roi-id={selectedRoi.roi_id}>Selected: {roiName(selectedRoi)}</div>}
      <h4>Frame labels</h4>
      <LabelChips cls="frame-label" labels={p.work?.frame_labels ?? []} onRemove={(l) => push({ remove_frame_label: { label: l } })} onPickColor={pickColor} />
      <AddLabel cls="frame-label-input" placeholder="+ Add new (Enter)" onAdd={(l) => push({ add_frame_label: { label: l } })} />
      <h4>
        Frame metadata
        <button id="frame-metadata-edit" onClick={() => p.work && p.editJson({ title: "Frame metadata", value: p.work.metadata, onSave: (m) => push({ set_frame_metadata: { metadata: m } }) })}>{"{}"}</button>
      </h4>
      <pre id="frame-metadata" className="hint">{JSON.stringify(p.work?.metadata ?? {}, null, 1)}</pre>
      {p.footer}
    </aside>
  );
}
