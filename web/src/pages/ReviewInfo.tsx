// Review settings (NEW ANNOTATION and task Info) and the task's quality figures with a small chart per annotator.
import { useEffect, useState } from "react";
import { errorText, type Progress } from "../api";
import { reviewApi, type QualityFigures, type ReviewQuality, type ReviewSettings } from "../review";

/** A task card's progress by stage: accepted, in review, and the rest of the done frames (widths of the bar). */
export function StageBar(p: { progress?: Progress; pct: number }) {
  const total = p.progress?.total || 0;
  const part = (n: number) => (total ? (100 * n) / total : 0);
  const accepted = part(p.progress?.accepted ?? 0);
  const review = part(p.progress?.in_review ?? 0);
  return (
    <>
      <div className="stage-accepted" style={{ width: `${accepted}%` }} />
      <div className="stage-review" style={{ width: `${review}%` }} />
      <div style={{ width: `${Math.max(p.pct - accepted - review, 0)}%` }} />
    </>
  );
}

/** "· 3 in review · 5 accepted" on a card whose task has a review stage. */
export function StageText(p: { progress?: Progress }) {
  const r = p.progress?.in_review ?? 0;
  const a = p.progress?.accepted ?? 0;
  if (!r && !a) return null;
  return <span className="task-stages">{[r && `${r} in review`, a && `${a} accepted`].filter(Boolean).join(" · ")}</span>;
}

export const REVIEW_OFF: ReviewSettings = { mode: "off", sample_percent: 0, reviewer_may_review_own: false, rework_by: "annotator" };

export function ReviewFields(p: { value: ReviewSettings; onChange: (s: ReviewSettings) => void }) {
  const v = p.value;
  const set = (patch: Partial<ReviewSettings>) => p.onChange({ ...v, ...patch });
  return (
    <div className="review-fields">
      <label htmlFor="review-mode">Review</label>
      <select
        id="review-mode"
        value={v.mode}
        onChange={(e) => {
          const mode = e.target.value as ReviewSettings["mode"];
          set({ mode, sample_percent: mode === "sample" ? v.sample_percent || 10 : 0 });
        }}
      >
        <option value="off">off</option>
        <option value="all">every frame</option>
        <option value="sample">a sample</option>
      </select>
      {v.mode === "sample" && (
        <input id="review-percent" type="number" min={1} max={100} value={v.sample_percent} onChange={(e) => set({ sample_percent: Number(e.target.value) })} />
      )}
      {v.mode !== "off" && (
        <>
          <label className="inline">
            <input id="review-own" type="checkbox" checked={v.reviewer_may_review_own} onChange={(e) => set({ reviewer_may_review_own: e.target.checked })} /> reviewers may
            review their own frames
          </label>
          <label className="inline">
            <input id="review-rework-any" type="checkbox" checked={v.rework_by === "any"} onChange={(e) => set({ rework_by: e.target.checked ? "any" : "annotator" })} /> any
            annotator fixes rejected frames
          </label>
        </>
      )}
    </div>
  );
}

function Bar(p: { f: QualityFigures }) {
  const { f } = p;
  const all = Math.max(f.done + f.rejected, 1);
  const pct = (n: number) => `${(100 * n) / all}%`;
  return (
    <span className="bar" title={`${f.accepted} accepted, ${f.in_review} in review, ${f.rejected} rejections`}>
      <span className="accepted" style={{ width: pct(f.accepted) }} />
      <span className="in-review" style={{ width: pct(f.in_review) }} />
      <span className="rejected" style={{ width: pct(f.rejected) }} />
    </span>
  );
}

const row = (f: QualityFigures, who: string) => (
  <tr key={who} data-annotator={who}>
    <td>{who}</td>
    <td className="q-done">{f.done}</td>
    <td className="q-accepted">{f.accepted}</td>
    <td className="q-rejected">{f.rejected}</td>
    <td className="q-rate">{f.accepted + f.rejected ? `${Math.round(f.acceptance_rate * 100)} %` : "—"}</td>
    <td>{f.median_seconds_per_frame ? `${f.median_seconds_per_frame.toFixed(1)} s` : "—"}</td>
    <td className="q-open">{f.open_comments}</td>
    <td>
      <Bar f={f} />
    </td>
  </tr>
);

/** Task Info's review section: the settings (editable) and the quality figures. */
export function ReviewInfo(p: { taskId: string }) {
  const [settings, setSettings] = useState<ReviewSettings | null>(null);
  const [quality, setQuality] = useState<ReviewQuality | null>(null);
  const [note, setNote] = useState("");
  useEffect(() => {
    reviewApi.quality(p.taskId).then((q) => (setQuality(q), setSettings(q.settings)), (e) => setNote(errorText(e)));
  }, [p.taskId]);
  const save = () => settings && reviewApi.setSettings(p.taskId, settings).then(() => setNote("Saved"), (e) => setNote(errorText(e)));
  return (
    <section className="review-info" id="review-info">
      <h3>Review</h3>
      {settings && <ReviewFields value={settings} onChange={setSettings} />}
      <button id="review-settings-save" onClick={() => void save()}>Save review settings</button> <span id="review-note">{note}</span>
      {quality && (
        <table className="quality-chart" id="quality">
          <thead>
            <tr>
              <th>annotator</th>
              <th>done</th>
              <th>accepted</th>
              <th>rejected</th>
              <th>rate</th>
              <th>median</th>
              <th>open comments</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {row(quality.task, "all")}
            {quality.annotators.map((a) => row(a, a.annotator ?? ""))}
          </tbody>
        </table>
      )}
    </section>
  );
}
