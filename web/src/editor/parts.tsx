// Small pieces of the editor's side panel: label chips (with the team's colors), label inputs, the JSON
// metadata dialog and the shortcuts overlay.
import { useState } from "react";
import { useDismiss } from "../dismiss";
import { labelColor } from "../labels";

export function LabelChips(p: { labels: string[]; cls: string; onRemove?: (l: string) => void; onPickColor?: (l: string, color: string) => void }) {
  return (
    <div className="chips">
      {p.labels.map((l) => (
        <span className={`chip ${p.cls}`} key={l} data-label={l}>
          <label className="dot" style={{ background: labelColor(l) }} title="Pick a color (for everyone on this task)">
            <input type="color" className="label-color" value={labelColor(l)} disabled={!p.onPickColor} onChange={(e) => p.onPickColor?.(l, e.target.value)} />
          </label>
          {l}
          {p.onRemove && (
            <button className="label-remove" aria-label={`Remove ${l}`} onClick={() => p.onRemove!(l)}>
              ×
            </button>
          )}
        </span>
      ))}
    </div>
  );
}

export function AddLabel(p: { cls: string; placeholder: string; onAdd: (l: string) => void }) {
  return (
    <input
      className={p.cls}
      list="known-labels"
      placeholder={p.placeholder}
      onKeyDown={(e) => {
        const v = e.currentTarget.value.trim();
        if (e.key === "Enter" && v) {
          p.onAdd(v);
          e.currentTarget.value = "";
        }
        e.stopPropagation();
      }}
    />
  );
}

export interface JsonEdit {
  title: string;
  value: Record<string, unknown>;
  onSave: (v: Record<string, unknown>) => void;
}

export function JsonModal(p: JsonEdit & { onClose: () => void }) {
  const [text, setText] = useState(JSON.stringify(p.value, null, 2));
  const [error, setError] = useState("");
  useDismiss(p.onClose);
  const save = () => {
    try {
      const v = JSON.parse(text);
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("metadata must be a JSON object");
      p.onSave(v);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="backdrop">
      <div className="modal" id="json-modal" role="dialog" onKeyDown={(e) => e.stopPropagation()}>
        <h2>{p.title}</h2>
        <textarea id="json-text" rows={12} value={text} onChange={(e) => setText(e.target.value)} aria-invalid={!!error} />
        {error && <div className="field-error" data-field="metadata">{error}</div>}
        <div className="actions">
          <button id="json-cancel" onClick={p.onClose}>Cancel</button>
          <button id="json-save" className="primary" onClick={save}>Apply</button>
        </div>
      </div>
    </div>
  );
}

export function HelpOverlay(p: { modes: [string, string, string, ...string[]][]; onClose: () => void }) {
  useDismiss(p.onClose);
  return (
    <div className="backdrop" onClick={p.onClose}>
      <div className="modal" id="help-overlay" aria-label="Keyboard shortcuts">
        <h2>Keyboard shortcuts</h2>
        <dl className="info">
          {p.modes.map(([m, t, k]) => [<dt key={m}>{k}</dt>, <dd key={m + "d"}>{t} mode</dd>])}
          <dt>Enter / Esc</dt><dd>finish / cancel a polygon or key points</dd>
          <dt>← / →</dt><dd>previous / next frame (autosaves)</dd>
          <dt>Ctrl+← / Ctrl+→</dt><dd>jump 10 frames</dd>
          <dt>Ctrl+Z / Ctrl+Y</dt><dd>undo / redo</dd>
          <dt>Ctrl+S</dt><dd>save</dd>
          <dt>Delete</dt><dd>delete the selected ROI</dd>
          <dt>Ctrl+C / Ctrl+V</dt><dd>copy the selected ROI / paste the copied ROIs (also on another frame)</dd>
          <dt>◀ / ▶</dt><dd>previous / next frame: after a jump, the frame before / after this one</dd>
          <dt>◀ Annotated / Annotated ▶</dt><dd>the previous / next frame that has annotations</dd>
          <dt>Esc</dt><dd>close this help, a dialog or a menu</dd>
          <dt>?</dt><dd>this help</dd>
        </dl>
      </div>
    </div>
  );
}
