// One custom filter of the + NEW ANNOTATION modal: ROI rules (label expression, count and confidence ranges),
// frame rules (metadata key, operator, value) and source rules (id, uri glob, size ranges) built into the
// iterator's queries, or both queries typed in the advanced mode. API errors show next to their field.
import {
  FRAME_OPS,
  emptyCondition,
  emptyRule,
  frameQuery,
  sourceQuery,
  type FilterDraft,
  type FrameCondition,
  type RuleDraft,
  type SourceRules,
} from "../filters";

export interface FilterEditorProps {
  index: number;
  draft: FilterDraft;
  onChange: (d: FilterDraft) => void;
  onRemove: (() => void) | null;
  errors: Record<string, string>; // keyed like `selection.filters.0.roi_rules.1.min_count`
}

const NUMERIC_RULE_FIELDS: [keyof RuleDraft, string, string][] = [
  ["min_count", "count ≥", "at least this many matching ROIs"],
  ["max_count", "count ≤", "at most this many matching ROIs"],
  ["min_confidence", "conf ≥", "only ROIs with confidence ≥ this (0..1)"],
  ["max_confidence", "conf ≤", "only ROIs with confidence ≤ this (0..1)"],
];

export function FilterEditor(p: FilterEditorProps) {
  const { draft: d, index: i } = p;
  const base = `selection.filters.${i}`;
  const set = (patch: Partial<FilterDraft>) => p.onChange({ ...d, ...patch });
  const setRule = (k: number, r: Partial<RuleDraft>) => set({ roi_rules: d.roi_rules.map((x, j) => (j === k ? { ...x, ...r } : x)) });
  const setCond = (k: number, c: Partial<FrameCondition>) => set({ conditions: d.conditions.map((x, j) => (j === k ? { ...x, ...c } : x)) });
  const setSource = (s: Partial<SourceRules>) => set({ source: { ...d.source, ...s } });
  const built = { frame: frameQuery(d.conditions, d.join), source: sourceQuery(d.source) };
  // errors under a prefix (a rule's row shows those of its fields); the exact field's input is marked invalid
  const under = (prefix: string) => Object.entries(p.errors).filter(([k]) => k === prefix || k.startsWith(prefix + "."));
  const msgs = (prefix: string) =>
    under(prefix).map(([k, m]) => (
      <div className="field-error" data-field={k} key={k}>
        {m}
      </div>
    ));
  const invalid = (field: string) => (p.errors[field] ? { "aria-invalid": true as const } : {});
  const toggleAdvanced = (advanced: boolean) =>
    set(advanced ? { advanced, frame_query: d.frame_query || built.frame, source_query: d.source_query || built.source } : { advanced });

  return (
    <div className="filter-box custom-filter" data-filter-index={i}>
      {under(base)
        .filter(([k]) => !/\.(roi_rules\.\d+|frame_query|source_query)(\.|$)/.test(k))
        .map(([k, m]) => (
          <div className="field-error" data-field={k} key={k}>
            {m}
          </div>
        ))}
      <label>ROI rules</label>
      {d.roi_rules.map((r, k) => {
        const rf = `${base}.roi_rules.${k}`;
        return (
          <div className="roi-rule-box" key={k}>
            <div className="rule roi-rule">
              <select className="rule-kind" value={r.kind} onChange={(e) => setRule(k, { kind: e.target.value as RuleDraft["kind"] })} {...invalid(`${rf}.kind`)}>
                <option value="include">Include</option>
                <option value="exclude">Exclude</option>
              </select>
              <input type="text" className="rule-labels" placeholder="label (e.g. car OR bus)" value={r.label_expression} onChange={(e) => setRule(k, { label_expression: e.target.value })} {...invalid(`${rf}.label_expression`)} />
              {NUMERIC_RULE_FIELDS.map(([f, placeholder, title]) => (
                <input key={f} className={`rule-${f.replace("_", "-")}`} placeholder={placeholder} title={title} inputMode="decimal" value={r[f]} onChange={(e) => setRule(k, { [f]: e.target.value })} {...invalid(`${rf}.${f}`)} />
              ))}
              <button type="button" aria-label="Remove rule" onClick={() => set({ roi_rules: d.roi_rules.filter((_, j) => j !== k) })}>×</button>
            </div>
            {msgs(rf)}
          </div>
        );
      })}
      <button type="button" className="add-roi-rule" onClick={() => set({ roi_rules: [...d.roi_rules, emptyRule()] })}>+ ROI rule</button>

      <label className="inline advanced-toggle">
        <input type="checkbox" className="filter-advanced" checked={d.advanced} onChange={(e) => toggleAdvanced(e.target.checked)} />
        Advanced: type the frame and source queries (docs/filters.md)
      </label>
      {d.advanced ? (
        <>
          <label>Frame query (e.g. meta.weather:"rain" AND meta.speed:[10 TO 50])</label>
          <input type="text" className="filter-frame-query" value={d.frame_query} onChange={(e) => set({ frame_query: e.target.value })} {...invalid(`${base}.frame_query`)} />
          {msgs(`${base}.frame_query`)}
          <label>Source query (e.g. source.id:"front" AND source.width &gt;= 1280)</label>
          <input type="text" className="filter-source-query" value={d.source_query} onChange={(e) => set({ source_query: e.target.value })} {...invalid(`${base}.source_query`)} />
          {msgs(`${base}.source_query`)}
        </>
      ) : (
        <>
          <label>
            Frame rules{" "}
            {d.conditions.length > 1 && (
              <select className="frame-join" value={d.join} onChange={(e) => set({ join: e.target.value as "AND" | "OR" })}>
                <option value="AND">all must match</option>
                <option value="OR">any may match</option>
              </select>
            )}
          </label>
          {d.conditions.map((c, k) => (
            <div className="rule frame-rule" key={k}>
              <input type="text" className="frame-key" placeholder="metadata key (e.g. camera.gain)" value={c.key} onChange={(e) => setCond(k, { key: e.target.value })} />
              <select className="frame-op" value={c.op} onChange={(e) => setCond(k, { op: e.target.value as FrameCondition["op"] })}>
                {FRAME_OPS.map(([op, label]) => (
                  <option key={op} value={op}>{label}</option>
                ))}
              </select>
              {c.op !== "exists" && c.op !== "missing" && (
                <input type="text" className="frame-value" placeholder={c.op === "range" ? "from" : "value"} title={c.op === "range" ? "lower bound, inclusive (blank = open)" : 'numbers and true/false/null are typed values, "30" (quoted) is text'} value={c.value} onChange={(e) => setCond(k, { value: e.target.value })} />
              )}
              {c.op === "range" && <input type="text" className="frame-to" placeholder="to" title="upper bound, inclusive (blank = open)" value={c.to} onChange={(e) => setCond(k, { to: e.target.value })} />}
              <button type="button" aria-label="Remove frame rule" onClick={() => set({ conditions: d.conditions.filter((_, j) => j !== k) })}>×</button>
            </div>
          ))}
          <button type="button" className="add-frame-rule" onClick={() => set({ conditions: [...d.conditions, emptyCondition()] })}>+ Frame rule</button>
          {built.frame && <code className="query-preview frame-query-preview">{built.frame}</code>}
          {msgs(`${base}.frame_query`)}
          <label>Source rules (one of the frame's sources must match all)</label>
          <div className="source-rules">
            <input type="text" className="source-id" placeholder="source id (e.g. front)" value={d.source.id} onChange={(e) => setSource({ id: e.target.value })} />
            <input type="text" className="source-uri" placeholder="uri glob (e.g. s3://bucket/*.jpg)" value={d.source.uri} onChange={(e) => setSource({ uri: e.target.value })} />
            <span className="size-range">
              <span className="hint">width</span>
              <input className="source-min-width" placeholder="min" inputMode="numeric" value={d.source.minWidth} onChange={(e) => setSource({ minWidth: e.target.value })} />
              <input className="source-max-width" placeholder="max" inputMode="numeric" value={d.source.maxWidth} onChange={(e) => setSource({ maxWidth: e.target.value })} />
            </span>
            <span className="size-range">
              <span className="hint">height</span>
              <input className="source-min-height" placeholder="min" inputMode="numeric" value={d.source.minHeight} onChange={(e) => setSource({ minHeight: e.target.value })} />
              <input className="source-max-height" placeholder="max" inputMode="numeric" value={d.source.maxHeight} onChange={(e) => setSource({ maxHeight: e.target.value })} />
            </span>
          </div>
          {built.source && <code className="query-preview source-query-preview">{built.source}</code>}
          {msgs(`${base}.source_query`)}
        </>
      )}
      {p.onRemove && (
        <button type="button" className="remove-filter" onClick={p.onRemove}>
          Remove filter
        </button>
      )}
    </div>
  );
}
