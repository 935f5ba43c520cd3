import { useEffect, useState } from "react";
import { REVIEW_OFF, ReviewFields } from "./ReviewInfo";
import { ApiError, api, type Dataset, type VersionNode } from "../api";
import { useDismiss } from "../dismiss";
import { friendlyFieldError } from "../errors";
import { emptyFilter, fieldKey, toFilter, type FilterDraft } from "../filters";
import { FilterEditor } from "./FilterEditor";
import { StatsCharts } from "./StatsChart";

function flatten(nodes: VersionNode[], depth = 0): [VersionNode, number][] {
  return nodes.flatMap((n) => [[n, depth] as [VersionNode, number], ...flatten(n.children, depth + 1)]);
}

// Integers stay numbers; anything else goes to the API as typed, so its validation names the field.
const intOrRaw = (s: string): number | string => (/^-?\d+$/.test(s.trim()) ? Number(s) : s);

/** The + NEW ANNOTATION form; errors from the API's 4xx `field` show next to the matching input. */
export function NewTaskModal(p: { datasets: Dataset[]; onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [datasetId, setDatasetId] = useState(p.datasets[0]?.dataset_id ?? "");
  const [versions, setVersions] = useState<[VersionNode, number][]>([]);
  const [versionId, setVersionId] = useState("");
  const [mode, setMode] = useState<"all" | "empty" | "custom">("all");
  const [filters, setFilters] = useState<FilterDraft[]>([emptyFilter()]);
  const [order, setOrder] = useState<"sequential" | "random">("sequential");
  const [repetition, setRepetition] = useState<"once" | "limit">("once");
  const [limit, setLimit] = useState("");
  const [seed, setSeed] = useState("");
  const [clip, setClip] = useState("");
  const [labels, setLabels] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useDismiss(p.onClose);
  const [review, setReview] = useState(REVIEW_OFF);

  useEffect(() => {
    if (!datasetId) return setVersions([]);
    let current = true; // an answer for a dataset no longer chosen (it came late) is dropped, never shown
    api.listVersions(datasetId).then(
      (r) => {
        if (!current) return;
        const flat = flatten(r.versions);
        setVersions(flat);
        // the newest Published version is the source a lead means; a Draft child (another task's, maybe a deleted
        // one's) is annotated in place, so it is only chosen on purpose
        const published = flat.filter(([v]) => v.status === "published");
        const pick = published.length ? published[published.length - 1] : flat[flat.length - 1];
        setVersionId(pick ? pick[0].version_id : "");
      },
      () => current && setVersions([]),
    );
    return () => {
      current = false;
    };
  }, [datasetId]);
  const version = versions.find(([v]) => v.version_id === versionId)?.[0];

  const err = (field: string) =>
    errors[field] ? (
      <div className="field-error" data-field={field}>
        {errors[field]}
      </div>
    ) : null;
  const invalid = (field: string) => (errors[field] ? { "aria-invalid": true as const } : {});

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (!name.trim()) local.name = "Give the task a name.";
    if (!versionId) local.dataset_version_id = "Choose the dataset version to annotate.";
    if (repetition === "limit" && !/^\s*\d+\s*$/.test(limit)) local["iteration.limit"] = "Type how many frames as a whole number (at least 1).";
    else if (repetition === "limit" && !(Number(limit) >= 1)) local["iteration.limit"] = "Type how many frames (at least 1).";
    if (order === "random" && seed.trim() && !/^-?\d+$/.test(seed.trim())) local["iteration.random_seed"] = "The seed is a whole number (for example 42), or leave it empty for a random one.";
    if (clip.trim() && !/^\d+$/.test(clip.trim())) local["iteration.clip_length"] = "The clip length is a whole number of frames (or leave it empty).";
    if (Object.keys(local).length) return setErrors(local);
    setBusy(true);
    try {
      await api.createTask({
        name: name.trim(),
        dataset_version_id: versionId,
        iteration: {
          order,
          random_seed: order === "random" && seed.trim() ? (intOrRaw(seed) as number) : null,
          limit: repetition === "limit" ? (intOrRaw(limit) as number) : 0,
          clip_length: clip.trim() ? (intOrRaw(clip) as number) : 0,
        },
        selection: { mode, filters: mode === "custom" ? filters.map(toFilter) : [] },
        default_labels: labels.split(",").map((s) => s.trim()).filter(Boolean),
        // with the task itself: the settings hold from its first frame (no second call a frame could outrun)
        ...(review.mode === "off" ? {} : { review }),
      });
      p.onCreated();
    } catch (ex) {
      if (ex instanceof ApiError) {
        const f = fieldKey(ex.field ?? "");
        const known = ["name", "dataset_version_id", "iteration.limit", "iteration.random_seed", "iteration.clip_length", "default_labels", "review"];
        // a custom filter's field (selection.filters.N…) shows inside that filter; other selection errors below it
        const key = known.find((k) => f === k || f.startsWith(k + ".")) ?? (/^selection\.filters\.\d/.test(f) ? f : f.startsWith("selection") ? "selection" : "form");
        setErrors({ [key]: friendlyFieldError(ex) });
      } else setErrors({ form: String(ex) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="backdrop">
      <form className="modal" id="new-task-modal" role="dialog" onSubmit={submit} noValidate>
        <h2>New annotation task</h2>
        <label htmlFor="task-name">Name</label>
        <input id="task-name" type="text" value={name} onChange={(e) => setName(e.target.value)} {...invalid("name")} autoFocus />
        {err("name")}

        <div className="grid2">
          <div>
            <label htmlFor="task-dataset">Dataset</label>
            <select id="task-dataset" value={datasetId} onChange={(e) => setDatasetId(e.target.value)}>
              {p.datasets.length === 0 && <option value="">No datasets</option>}
              {p.datasets.map((d) => (
                <option key={d.dataset_id} value={d.dataset_id}>{d.name}</option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="task-version">Version</label>
            <select id="task-version" value={versionId} onChange={(e) => setVersionId(e.target.value)} {...invalid("dataset_version_id")}>
              {versions.length === 0 && <option value="">No versions</option>}
              {versions.map(([v, depth]) => (
                <option key={v.version_id} value={v.version_id}>
                  {"\u00a0\u00a0".repeat(depth)}
                  {v.name} — {v.status === "published" ? "Published" : "Draft"}
                </option>
              ))}
            </select>
          </div>
        </div>
        {version && (
          <div className="hint" id="version-hint" data-status={version.status}>
            {version.status === "published"
              ? `Published: a child version (Draft) named “${name || "the task name"}” will be created and annotated.`
              : "Draft: this version is annotated in place."}
          </div>
        )}
        {err("dataset_version_id")}
        {version && (
          <details className="version-stats-box">
            <summary id="version-stats-toggle">Label statistics of this version</summary>
            <StatsCharts versionId={version.version_id} />
          </details>
        )}

        <label>Set filters</label>
        <div id="task-filter-mode">
          {(["all", "empty", "custom"] as const).map((m) => (
            <label className="inline" key={m}>
              <input type="radio" name="filter-mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
              {{ all: "All Frames", empty: "Empty Frames", custom: "Custom Filters" }[m]}
            </label>
          ))}
        </div>
        {mode === "custom" && (
          <div id="custom-filters">
            {filters.map((f, i) => (
              <FilterEditor
                key={i}
                index={i}
                draft={f}
                errors={errors}
                onChange={(d) => setFilters(filters.map((x, j) => (j === i ? d : x)))}
                onRemove={filters.length > 1 ? () => setFilters(filters.filter((_, j) => j !== i)) : null}
              />
            ))}
            <button type="button" id="add-filter" style={{ marginTop: 6 }} onClick={() => setFilters([...filters, emptyFilter()])}>+ OR filter</button>
          </div>
        )}
        {err("selection")}

        <div className="grid2">
          <div>
            <label htmlFor="task-order">Order</label>
            <select id="task-order" value={order} onChange={(e) => setOrder(e.target.value as "sequential" | "random")}>
              <option value="sequential">Sequential</option>
              <option value="random">Random</option>
            </select>
          </div>
          <div>
            <label htmlFor="task-seed">Random seed</label>
            <input id="task-seed" type="text" value={seed} disabled={order !== "random"} placeholder="blank = generated" onChange={(e) => setSeed(e.target.value)} {...invalid("iteration.random_seed")} />
            {err("iteration.random_seed")}
          </div>
        </div>
        <label>Repetition</label>
        <div id="task-repetition">
          <label className="inline">
            <input type="radio" name="repetition" value="once" checked={repetition === "once"} onChange={() => setRepetition("once")} />
            Use Each Frame Once
          </label>
          <label className="inline">
            <input type="radio" name="repetition" value="limit" checked={repetition === "limit"} onChange={() => setRepetition("limit")} />
            Limit Frames
          </label>
          {repetition === "limit" && (
            <input id="task-limit" type="text" size={8} placeholder="max frames" value={limit} onChange={(e) => setLimit(e.target.value)} {...invalid("iteration.limit")} />
          )}
        </div>
        {err("iteration.limit")}
        <div className="grid2">
          <div>
            <label htmlFor="task-clip-length">Clip length (for video)</label>
            <input id="task-clip-length" type="text" value={clip} placeholder="frames per iteration" onChange={(e) => setClip(e.target.value)} {...invalid("iteration.clip_length")} />
            {err("iteration.clip_length")}
          </div>
          <div>
            <label htmlFor="task-default-labels">Default ROI labels</label>
            <input id="task-default-labels" type="text" value={labels} placeholder="car, person" onChange={(e) => setLabels(e.target.value)} />
            {err("default_labels")}
          </div>
        </div>
        <ReviewFields value={review} onChange={setReview} />
        {err("review")}
        {err("form")}
        <div className="actions">
          <button type="button" id="new-task-cancel" onClick={p.onClose}>Cancel</button>
          <button type="submit" id="new-task-create" className="primary" disabled={busy}>Create</button>
        </div>
      </form>
    </div>
  );
}
