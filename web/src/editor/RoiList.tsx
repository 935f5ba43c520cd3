// The side panel's objects list: one row per ROI (labels, copy, metadata, lock, delete). Rows are memoised: a change
// re-renders only the rows whose ROI (or selection, hidden state) changed. The first LIST_CAP rows (plus the
// selected one) are rendered until "Show all"; then the list is virtualised (only the rows in view and a few around
// them exist, measured as they render), so thousands of ROIs cost what a screenful does. The selected ROI's row is
// scrolled into view when the selection changes, e.g. by a click on the ROI in the frame.
import { useVirtualizer, type Virtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type MutableRefObject, type ReactNode, type RefObject } from "react";
import type { Command, Roi } from "../api";
import { onLabelColors } from "../labels";
import { AddLabel, LabelChips, type JsonEdit } from "./parts";

export const LIST_CAP = 100; // the list renders this many ROIs (plus the selected one) until "Show all"
const ROW_ESTIMATE_PX = 96; // a row with one label chip and the label input, before it is measured
const ROW_GAP_PX = 6;

/** What a row can do (stable: rows are memoised on their ROI and flags only). */
export interface RowActions {
  select: (roiId: string) => void;
  push: (...cmds: Command[]) => void;
  copy: (rois: Roi[]) => void;
  editJson: (e: JsonEdit) => void;
  pickColor: (label: string, color: string) => void;
}

export interface RoiListProps {
  panel: RefObject<HTMLElement | null>; // the scrolling panel the list is in
  listed: Roi[];
  multi: boolean;
  selected: string | null;
  hidden: boolean;
  unsavedPaste: Set<string>;
  actions: RowActions;
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

interface RowProps {
  r: Roi;
  colors: number; // bumped when label colors change: the chips show them
  hidden: boolean;
  multi: boolean;
  pasteUnsaved: boolean;
  actions: RowActions;
}

const RoiRow = memo(function RoiRow({ r, hidden, multi, pasteUnsaved, actions }: RowProps) {
  const { push } = actions;
  return (
    <>
      <div className="head">
        <span className="kind">
          {r.type}
          {multi && <span className="roi-source"> · {r.source_id || "—"}</span>}
        </span>
        <button className="roi-copy" title="Copy" onClick={() => actions.copy([r])}>copy</button>
        <button className="roi-metadata" title="Edit metadata" disabled={hidden || r.locked} onClick={() => actions.editJson({ title: "ROI metadata", value: r.metadata, onSave: (m) => push({ set_roi_metadata: { roi_id: r.roi_id, metadata: m } }) })}>{"{}"}</button>
        <button className="roi-lock" title={pasteUnsaved ? "Save the paste first" : r.locked ? "Unlock" : "Lock"} disabled={hidden || pasteUnsaved} onClick={() => push(r.locked ? { unlock_roi: { roi_id: r.roi_id } } : { lock_roi: { roi_id: r.roi_id } })}>{r.locked ? "unlock" : "lock"}</button>
        <button className="roi-delete" title="Delete" disabled={hidden || r.locked} onClick={() => push({ delete_roi: { roi_id: r.roi_id } })}>delete</button>
      </div>
      <LabelChips cls="roi-label" labels={r.labels} onRemove={hidden || r.locked ? undefined : (l) => push({ remove_roi_label: { roi_id: r.roi_id, label: l } })} onPickColor={actions.pickColor} />
      {!hidden && !r.locked && <AddLabel cls="roi-label-input" placeholder="label + Enter" onAdd={(l) => push({ add_roi_label: { roi_id: r.roi_id, label: l } })} />}
    </>
  );
});

function rowClass(r: Roi, selected: string | null): string {
  return `roi-item ${r.roi_id === selected ? "selected" : ""} ${r.locked ? "locked" : ""}`;
}

export function RoiList(p: RoiListProps) {
  const { listed, selected, panel } = p;
  const virtual = p.listAll && listed.length > LIST_CAP;
  const rows = virtual || listed.length <= LIST_CAP ? listed : listed.filter((r, i) => i < LIST_CAP || r.roi_id === selected);
  const [colors, setColors] = useState(0);
  useEffect(() => onLabelColors(() => setColors((c) => c + 1)), []);
  const row = (r: Roi) => <RoiRow r={r} colors={colors} hidden={p.hidden} multi={p.multi} pasteUnsaved={p.unsavedPaste.has(r.roi_id)} actions={p.actions} />;
  const list = useRef<HTMLUListElement>(null);
  const scroller = useRef<Virtualizer<HTMLElement, HTMLLIElement> | null>(null);
  useEffect(() => {
    if (!selected || !panel.current) return;
    const el = panel.current.querySelector(`.roi-item[data-roi-id="${CSS.escape(selected)}"]`);
    if (el) return scrollIntoPanel(panel.current, el);
    const i = virtual ? listed.findIndex((r) => r.roi_id === selected) : -1;
    if (i >= 0) scroller.current?.scrollToIndex(i, { align: "auto" });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selected]);
  return (
    <>
      {virtual ? (
        <VirtualRows panel={panel} list={list} listed={listed} selected={selected} row={row} select={p.actions.select} scroller={scroller} />
      ) : (
        <ul className="roi-list" id="roi-list" ref={list}>
          {rows.map((r) => (
            <li key={r.roi_id} className={rowClass(r, selected)} data-roi-id={r.roi_id} onClick={() => p.actions.select(r.roi_id)}>
              {row(r)}
            </li>
          ))}
        </ul>
      )}
      {!p.listAll && listed.length > LIST_CAP && (
        <button id="roi-list-more" onClick={p.showAll}>
          Show all {listed.length} objects
        </button>
      )}
    </>
  );
}

interface VirtualRowsProps {
  panel: RefObject<HTMLElement | null>;
  list: RefObject<HTMLUListElement | null>;
  listed: Roi[];
  selected: string | null;
  row: (r: Roi) => ReactNode;
  select: (roiId: string) => void;
  scroller: MutableRefObject<Virtualizer<HTMLElement, HTMLLIElement> | null>;
}

/** All rows, of which only those near the panel's visible part exist (`ul.roi-list.virtual`, rows positioned). */
function VirtualRows({ panel, list, listed, selected, row, select, scroller }: VirtualRowsProps) {
  const [margin, setMargin] = useState(0); // where the list starts in the panel's scrolled content
  const keys = useMemo(() => listed.map((r) => r.roi_id), [listed]);
  const v = useVirtualizer<HTMLElement, HTMLLIElement>({
    count: listed.length,
    getScrollElement: () => panel.current,
    estimateSize: () => ROW_ESTIMATE_PX,
    getItemKey: (i) => keys[i],
    gap: ROW_GAP_PX,
    overscan: 6,
    scrollMargin: margin,
  });
  scroller.current = v;
  // measured after every render on purpose (anything above the list may move it); set only when it changed
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useLayoutEffect(() => {
    const [l, s] = [list.current, panel.current];
    if (!l || !s) return;
    const m = l.getBoundingClientRect().top - s.getBoundingClientRect().top + s.scrollTop;
    if (Math.abs(m - margin) > 0.5) setMargin(m);
  });
  return (
    <ul className="roi-list virtual" id="roi-list" ref={list} style={{ height: v.getTotalSize() }}>
      {v.getVirtualItems().map((item) => {
        const r = listed[item.index];
        return (
          <li
            key={item.key}
            ref={v.measureElement}
            data-index={item.index}
            className={rowClass(r, selected)}
            data-roi-id={r.roi_id}
            style={{ transform: `translateY(${item.start - v.options.scrollMargin}px)` }}
            onClick={() => select(r.roi_id)}
          >
            {row(r)}
          </li>
        );
      })}
    </ul>
  );
}
