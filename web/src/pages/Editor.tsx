import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, type Command, type FrameRef, type FrameState, type Roi, type TaskInfo } from "../api";
import { Stage, type Mode, type StageEvents } from "../drawing/stage";
import { fold, labelColor, newRoiId, setLabelColor } from "../editing";
import { go } from "../main";

interface Cursor {
  ref: FrameRef;
  leaseId: string;
  position: number;
  total: number;
  trailIndex: number; // trail index of the frame on screen
  leaseTrailIndex: number; // trail index of the leased frame (the end of the trail)
}

// Copied ROIs survive frame changes so they can be pasted onto any frame, repeatedly.
let clipboard: { rois: Roi[]; from: FrameRef } | null = null;

const LIST_CAP = 100; // the list renders this many ROIs (plus the selected one) until "Show all"

const MODES: [Mode, string, string][] = [
  ["select", "Select / move", "V"],
  ["rectangle", "Rectangle", "R"],
  ["ellipse", "Ellipse", "E"],
  ["polygon", "Polygon", "P"],
  ["keypoints", "Key points", "K"],
];

function cursorToUrl(taskId: string, c: Cursor): string {
  const q = new URLSearchParams({
    version: c.ref.version_id,
    frame: c.ref.frame_id,
    lease: c.leaseId,
    position: String(c.position),
    total: String(c.total),
    trail: String(c.trailIndex),
    leaseTrail: String(c.leaseTrailIndex),
  });
  return `/tasks/${encodeURIComponent(taskId)}/annotate?${q}`;
}

function cursorFromUrl(): Cursor | null {
  const q = new URLSearchParams(location.search);
  const version = q.get("version");
  const frame = q.get("frame");
  if (!version || !frame) return null;
  const n = (k: string) => Number(q.get(k) || 0);
  return {
    ref: { version_id: version, frame_id: frame },
    leaseId: q.get("lease") || "",
    position: n("position"),
    total: n("total"),
    trailIndex: n("trail"),
    leaseTrailIndex: n("leaseTrail"),
  };
}

function LabelChips(p: { labels: string[]; onRemove?: (l: string) => void; cls: string }) {
  const [, bump] = useState(0);
  return (
    <div className="chips">
      {p.labels.map((l) => (
        <span className={`chip ${p.cls}`} key={l} data-label={l}>
          <label className="dot" style={{ background: labelColor(l), margin: 0, cursor: "pointer", position: "relative" }} title="Pick a color">
            <input type="color" className="label-color" style={{ opacity: 0, position: "absolute", inset: 0, width: 10, height: 10, padding: 0, border: 0 }} value={labelColor(l)} onChange={(e) => (setLabelColor(l, e.target.value), bump((x) => x + 1))} />
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

function AddLabel(p: { cls: string; placeholder: string; onAdd: (l: string) => void }) {
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

function JsonModal(p: { title: string; value: Record<string, unknown>; onSave: (v: Record<string, unknown>) => void; onClose: () => void }) {
  const [text, setText] = useState(JSON.stringify(p.value, null, 2));
  const [error, setError] = useState("");
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

export function EditorPage(p: { taskId: string }) {
  const { taskId } = p;
  const host = useRef<HTMLDivElement>(null);
  const stage = useRef<Stage | null>(null);
  const [task, setTask] = useState<TaskInfo | null>(null);
  const [cursor, setCursor] = useState<Cursor | null>(null);
  const [frame, setFrame] = useState<FrameState | null>(null);
  const [pending, setPending] = useState<Command[]>([]);
  const [redo, setRedo] = useState<Command[]>([]);
  const [mode, setModeState] = useState<Mode>("select");
  const [selected, setSelected] = useState<string | null>(null);
  const [hidden, setHidden] = useState(false);
  const [defaults, setDefaults] = useState<string[]>([]);
  const [status, setStatus] = useState<{ text: string; error?: boolean }>({ text: "" });
  const [conflict, setConflict] = useState<ApiError | null>(null);
  const [exhausted, setExhausted] = useState(false);
  const [json, setJson] = useState<{ title: string; value: Record<string, unknown>; onSave: (v: Record<string, unknown>) => void } | null>(null);
  const [help, setHelp] = useState(false);
  const [sourceIdx, setSourceIdx] = useState(0);
  const [listAll, setListAll] = useState(false);
  const [datasetLabels, setDatasetLabels] = useState<string[]>([]);
  const [colors, setColors] = useState(0); // bumped when a label color is picked
  useEffect(() => {
    const on = () => setColors((c) => c + 1);
    window.addEventListener("annostream:label-colors", on);
    return () => window.removeEventListener("annostream:label-colors", on);
  }, []);
  const [live, setLive] = useState<"off" | "connecting" | "connected">("off");
  const [remote, setRemote] = useState<string | null>(null);
  const work = frame ? fold(frame, pending) : null;
  const latest = useRef({ version: 0, pending: 0 });
  latest.current = { version: frame?.version ?? 0, pending: pending.length };

  const push = useCallback((...cmds: Command[]) => {
    setPending((p) => [...p, ...cmds]);
    setRedo([]);
    setStatus((s) => (s.error ? { text: "" } : s));
  }, []);

  // --- loading frames -------------------------------------------------------------------------------------
  const show = useCallback(
    async (c: Cursor) => {
      const f = await whenKnown(() => api.getFrame(c.ref));
      setCursor(c);
      setFrame(f);
      setPending([]);
      setRedo([]);
      setSelected(null);
      setExhausted(false);
      history.replaceState(null, "", cursorToUrl(taskId, c));
    },
    [taskId],
  );

  const lease = useCallback(
    async (complete: string | null) => {
      const l = await whenKnown(() =>
        api.nextFrame(taskId, complete).catch((e) => {
          // The lease ended meanwhile (expired, or finished elsewhere): just ask for the next frame.
          if (complete && e instanceof ApiError && e.field === "complete_lease_id") return api.nextFrame(taskId, null);
          throw e;
        }),
      );
      if (!l.frame) {
        setExhausted(true);
        setFrame(null);
        setCursor(null);
        setStatus({ text: l.exhausted ? "Every frame of this task is done." : "No free frame right now (others hold them)." });
        return;
      }
      await show({ ref: l.frame, leaseId: l.lease_id ?? "", position: l.position, total: l.total, trailIndex: l.trail_index, leaseTrailIndex: l.trail_index });
    },
    [taskId, show],
  );

  useEffect(() => {
    api.getTask(taskId).then(
      (t) => {
        setTask(t);
        setDefaults(t.default_labels);
        // autocomplete: the labels already used in the dataset version (ROI and frame labels)
        api.versionStats(t.annotated_version_id).then(
          (st) => setDatasetLabels([...Object.keys(st.roi_labels), ...Object.keys(st.frame_labels)]),
          () => undefined,
        );
      },
      (e) => setStatus({ text: String(e.message ?? e), error: true }),
    );
    const c = cursorFromUrl();
    (c ? show(c) : lease(null)).catch((e) => setStatus({ text: e instanceof ApiError ? e.message : String(e), error: true }));
  }, [taskId, show, lease]);

  // --- live: another annotator's save on this frame shows up at once (WebSocket fed by NATS) ----------------
  const refKey = cursor ? `${cursor.ref.version_id}/${cursor.ref.frame_id}` : "";
  useEffect(() => {
    if (!cursor) return;
    const ref = cursor.ref;
    let closed = false;
    let socket: WebSocket | null = null;
    let timer: number | undefined;
    const connect = () => {
      setLive("connecting");
      const proto = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${proto}://${location.host}/api/v1/live/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}`);
      socket.onmessage = (m) => {
        const msg = JSON.parse(m.data);
        if (msg.type === "subscribed") return setLive("connected");
        if (msg.type === "overflow" || (msg.type === "event" && (msg.stream_version ?? Infinity) > latest.current.version)) {
          void api.getFrame(ref).then((fresh) => {
            if (closed || fresh.version <= latest.current.version) return;
            if (latest.current.pending === 0) setFrame(fresh);
            else setRemote(msg.actor ?? "someone"); // keep the base: Save merges, or names the conflict
          });
        }
      };
      socket.onclose = () => {
        setLive("off");
        if (!closed) timer = window.setTimeout(connect, 1000);
      };
    };
    connect();
    return () => {
      closed = true;
      window.clearTimeout(timer);
      socket?.close();
      setRemote(null);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refKey]);

  // --- keep the lease while the editor is open (the iterator hands an expired lease to someone else) -------
  const leaseId = cursor?.leaseId ?? "";
  useEffect(() => {
    if (!leaseId) return;
    const timer = window.setInterval(() => void api.heartbeat(taskId, leaseId).catch(() => undefined), 60_000);
    return () => window.clearInterval(timer);
  }, [taskId, leaseId]);

  // --- saving ---------------------------------------------------------------------------------------------
  const save = useCallback(async (): Promise<boolean> => {
    if (!frame || !cursor || pending.length === 0) return true;
    setStatus({ text: "Saving…" });
    try {
      const r = await api.saveFrame(cursor.ref, frame.version, taskId, pending);
      setFrame(r.frame);
      setPending([]);
      setConflict(null);
      setRemote(null);
      setStatus({ text: r.rebased ? "Saved (merged with others' edits)" : "Saved" });
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.code === "ABORTED") setConflict(e);
      setStatus({ text: e instanceof ApiError ? `Not saved: ${e.message}${e.field ? ` (${e.field})` : ""}` : String(e), error: true });
      return false;
    }
  }, [frame, cursor, pending, taskId]);

  const resolveConflict = async (keepMine: boolean) => {
    if (!cursor) return;
    const fresh = await api.getFrame(cursor.ref);
    setConflict(null);
    setRemote(null);
    setFrame(fresh);
    if (!keepMine) {
      setPending([]);
      setStatus({ text: "Took their version" });
    } else setStatus({ text: "Rebased on their version: Save to keep yours" });
  };

  // --- navigation (autosaves first) ----------------------------------------------------------------------
  const navigate = useCallback(
    async (kind: "next" | "prev" | "annotated_next" | "annotated_previous" | "jump", steps = 0) => {
      if (!cursor || !(await save())) return;
      try {
        if (kind === "next" && cursor.trailIndex >= cursor.leaseTrailIndex) return await lease(cursor.leaseId || null);
        const action = kind === "next" ? "trail_next" : kind === "prev" ? "trail_previous" : kind;
        const n = await api.navigate(taskId, action, cursor.trailIndex, cursor.position, steps);
        if (!n.frame) {
          if (kind === "next") return await lease(cursor.leaseId || null);
          return setStatus({ text: "No frame there" });
        }
        // a frame reached by a jump is not in the trail: "next" then asks the iterator for a new frame
        const trail = n.trail_index || cursor.leaseTrailIndex;
        await show({ ...cursor, ref: n.frame, position: n.position, total: n.total || cursor.total, trailIndex: trail, leaseTrailIndex: Math.max(cursor.leaseTrailIndex, trail) });
      } catch (e) {
        setStatus({ text: e instanceof ApiError ? e.message : String(e), error: true });
      }
    },
    [cursor, save, lease, show, taskId],
  );

  // --- undo / redo: pending commands first, then the server's history of my saves ----------------------------
  const undo = useCallback(async () => {
    if (pending.length) {
      setRedo((r) => [pending[pending.length - 1], ...r]);
      setPending(pending.slice(0, -1));
    } else if (cursor) {
      try {
        const r = await fetchUndo(cursor.ref, taskId, "undo");
        setFrame(r);
        setStatus({ text: "Undid your last save" });
      } catch (e) {
        setStatus({ text: e instanceof ApiError ? e.message : String(e), error: true });
      }
    }
  }, [pending, cursor, taskId]);
  const redoOne = useCallback(async () => {
    if (redo.length) {
      setPending([...pending, redo[0]]);
      setRedo(redo.slice(1));
    } else if (cursor) {
      try {
        setFrame(await fetchUndo(cursor.ref, taskId, "redo"));
      } catch (e) {
        setStatus({ text: e instanceof ApiError ? e.message : String(e), error: true });
      }
    }
  }, [redo, pending, cursor, taskId]);

  // --- the drawing layer ----------------------------------------------------------------------------------
  useEffect(() => {
    if (!host.current) return;
    const s = new Stage(host.current);
    stage.current = s;
    return () => s.destroy();
  }, []);
  const sources = frame?.base.sources ?? [];
  const source = sources[Math.min(sourceIdx, Math.max(sources.length - 1, 0))];
  const multi = sources.length > 1;
  const onSource = (r: Roi) => !multi || r.source_id === source?.id || (!r.source_id && source?.id === sources[0].id);
  const shown = (work?.rois ?? []).filter(onSource);
  useEffect(() => setSourceIdx(0), [frame?.version_id, frame?.frame_id]);
  useEffect(() => {
    if (source) stage.current?.setFrame(imageUrl(source.preview_uri || source.uri), source.width, source.height);
  }, [frame?.version_id, frame?.frame_id, source?.id, source?.uri]);
  useEffect(() => {
    stage.current?.setRois(shown.map((r) => ({ ...r, color: labelColor(r.labels[0] ?? "") })));
  }, [work?.rois, source?.id, colors]);
  useEffect(() => stage.current?.select(selected), [selected]);
  useEffect(() => stage.current?.setHidden(hidden), [hidden]);
  const setMode = (m: Mode) => {
    setModeState(m);
    stage.current?.setMode(m);
  };
  useEffect(() => {
    const h = host.current;
    if (!h) return;
    const on = <K extends keyof StageEvents>(name: K, f: (d: StageEvents[K]) => void) => {
      const l = (e: Event) => f((e as CustomEvent<StageEvents[K]>).detail);
      h.addEventListener(name, l);
      return () => h.removeEventListener(name, l);
    };
    const offs = [
      on("stage:create", (d) => {
        const roi_id = newRoiId();
        const src = multi && source ? { source_id: source.id } : {};
        push({ create_roi: { roi: { roi_id, type: d.type, points: d.points, labels: defaults, ...src } } });
        setSelected(roi_id);
      }),
      on("stage:move", (d) => push({ move_roi: d })),
      on("stage:reshape", (d) => push({ reshape_roi: d })),
      on("stage:select", (d) => setSelected(d.roi_id)),
      on("stage:refused", (d) => setStatus({ text: `ROI ${d.roi_id} is ${d.reason}: unlock it to edit`, error: true })),
    ];
    return () => offs.forEach((off) => off());
  }, [push, defaults, multi, source?.id]);

  // --- keyboard and leaving ------------------------------------------------------------------------------
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as Element).closest("input, textarea, select")) return;
      const ctrl = e.ctrlKey || e.metaKey;
      if (ctrl && e.key.toLowerCase() === "z") return e.preventDefault(), void undo();
      if (ctrl && e.key.toLowerCase() === "y") return e.preventDefault(), void redoOne();
      if (ctrl && e.key.toLowerCase() === "s") return e.preventDefault(), void save();
      if (e.key === "ArrowRight") return void navigate(ctrl ? "jump" : "next", ctrl ? 10 : 0);
      if (e.key === "ArrowLeft") return void navigate(ctrl ? "jump" : "prev", ctrl ? -10 : 0);
      if (e.key === "?") return setHelp((h) => !h);
      if ((e.key === "Delete" || e.key === "Backspace") && selected) return push({ delete_roi: { roi_id: selected } });
      const m = MODES.find(([, , k]) => k.toLowerCase() === e.key.toLowerCase());
      if (m && !ctrl) setMode(m[0]);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redoOne, save, navigate, selected, push]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (pending.length) e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [pending.length]);
  const close = async () => {
    if (pending.length && !window.confirm("You have unsaved changes. Save them before closing?")) {
      if (!window.confirm("Discard your unsaved changes?")) return;
    } else if (pending.length && !(await save())) return;
    go("/");
  };

  const known = [...new Set([...(task?.label_set ?? []), ...(task?.default_labels ?? []), ...datasetLabels, ...(work?.rois.flatMap((r) => r.labels) ?? [])])];
  const sel = work?.rois.find((r) => r.roi_id === selected);
  const paste = () => {
    if (!clipboard || !cursor) return;
    const src = multi && source ? { source_id: source.id } : {};
    const rois = clipboard.rois.map((r) => ({ roi_id: newRoiId(), type: r.type, points: r.points, labels: r.labels, metadata: r.metadata, ...src }));
    const { version_id, frame_id } = clipboard.from;
    const origins = clipboard.rois.map((r) => ({ version_id, frame_id, roi_id: r.roi_id }));
    push({ paste_rois: { rois, origins } });
  };

  return (
    <>
      <header className="top">
        <button id="close-editor" onClick={close}>← Annotations</button>
        <h1 id="editor-title">{task?.name ?? "…"}</h1>
        <span id="frame-id">{cursor?.ref.frame_id}</span>
        <span id="live-status" data-state={live} title="Live updates from other annotators">
          {live === "connected" ? "● live" : "○ offline"}
        </span>
        <span id="frame-position">{cursor ? `${cursor.position}/${cursor.total}` : ""}</span>
        <button id="help" onClick={() => setHelp(true)}>?</button>
      </header>
      {remote && !conflict && (
        <div className="banner" id="live-notice">
          {remote} changed this frame while you edit it: Save merges your edits (a same-ROI change asks you first).
        </div>
      )}
      {conflict && (
        <div className="banner" id="conflict">
          {String(conflict.details.actor ?? "Someone")} changed ROI {String(conflict.details.roi_id ?? "")} meanwhile.{" "}
          <button id="conflict-keep-mine" onClick={() => resolveConflict(true)}>Keep mine</button>{" "}
          <button id="conflict-take-theirs" onClick={() => resolveConflict(false)}>Take theirs</button>
        </div>
      )}
      <div className="editor">
        <div className="canvas-wrap">
          <div className="tools">
            {MODES.map(([m, title, key]) => (
              <button key={m} id={`mode-${m}`} className={mode === m ? "active" : ""} title={`${title} (${key})`} onClick={() => setMode(m)}>
                {title}
              </button>
            ))}
            {(mode === "keypoints" || mode === "polygon") && <button id="commit-shape" title="Finish (Enter)" onClick={() => stage.current?.commit()}>✓</button>}
            <span style={{ width: 12 }} />
            <button id="prev-frame" title="Previous (←)" onClick={() => navigate("prev")} disabled={!cursor}>◀</button>
            <button id="prev-annotated" title="Previous annotated frame" onClick={() => navigate("annotated_previous")} disabled={!cursor}>◀ ann.</button>
            <button id="jump-back" title="Back 10 (Ctrl+←)" onClick={() => navigate("jump", -10)} disabled={!cursor}>−10</button>
            <button id="jump-forward" title="Forward 10 (Ctrl+→)" onClick={() => navigate("jump", 10)} disabled={!cursor}>+10</button>
            <button id="next-annotated" title="Next annotated frame" onClick={() => navigate("annotated_next")} disabled={!cursor}>ann. ▶</button>
            <button id="next-frame" title="Next (→)" onClick={() => navigate("next")} disabled={!cursor}>▶</button>
            <span style={{ width: 12 }} />
            <button id="undo" title="Undo (Ctrl+Z)" onClick={undo}>Undo</button>
            <button id="redo" title="Redo (Ctrl+Y)" onClick={redoOne}>Redo</button>
            <button id="save" className="primary" onClick={() => save()} disabled={!pending.length}>Save</button>
            <span id="save-status" className={`statusline ${status.error ? "error" : ""}`} data-dirty={pending.length > 0}>
              {status.error ? status.text : pending.length ? `${pending.length} unsaved change(s)` : status.text}
            </span>
          </div>
          <div className="tools">
            <button id="zoom-in" title="Zoom in (wheel)" onClick={() => stage.current?.zoomBy(1.5)}>+</button>
            <button id="zoom-out" title="Zoom out (wheel)" onClick={() => stage.current?.zoomBy(1 / 1.5)}>−</button>
            <button id="zoom-reset" title="Fit (drag the background to pan when zoomed)" onClick={() => stage.current?.resetView()}>Fit</button>
            {multi && (
              <span id="source-tabs" className="seg">
                {sources.map((s, i) => (
                  <button key={s.id} className="source-tab" data-source-id={s.id} aria-pressed={s.id === source?.id} onClick={() => setSourceIdx(i)}>
                    {s.id}
                  </button>
                ))}
              </span>
            )}
            <span className="statusline" id="source-info">{source ? `${source.id} · ${source.width}×${source.height}` : ""}</span>
          </div>
          {exhausted && <p className="empty" id="editor-empty">{status.text}</p>}
          <div className="stage-host" ref={host} id="stage-host" />
        </div>
        <aside className="side">
          <datalist id="known-labels">{known.map((l) => <option key={l} value={l} />)}</datalist>
          <h4>Default ROI label(s)</h4>
          <LabelChips cls="default-label" labels={defaults} onRemove={(l) => setDefaults(defaults.filter((x) => x !== l))} />
          <AddLabel cls="default-label-input" placeholder="label for new ROIs + Enter" onAdd={(l) => setDefaults([...new Set([...defaults, l])])} />
          <h4>
            Objects ({shown.length})
            <span>
              <button id="copy-all" title="Copy all" onClick={() => cursor && (clipboard = { rois: shown, from: cursor.ref })}>COPY ALL</button>{" "}
              <button id="paste" title="Paste" onClick={paste}>PASTE</button>{" "}
              <button id="lock-all" onClick={() => push({ lock_all_rois: {} })}>Lock all</button>{" "}
              <button id="unlock-all" onClick={() => push({ unlock_all_rois: {} })}>Unlock all</button>{" "}
              <button id="hide-all" aria-pressed={hidden} onClick={() => setHidden(!hidden)}>{hidden ? "Show" : "Hide"}</button>
            </span>
          </h4>
          <ul className="roi-list" id="roi-list">
            {(listAll || shown.length <= LIST_CAP ? shown : shown.filter((r, i) => i < LIST_CAP || r.roi_id === selected)).map((r) => (
              <li key={r.roi_id} className={`roi-item ${r.roi_id === selected ? "selected" : ""} ${r.locked ? "locked" : ""}`} data-roi-id={r.roi_id} onClick={() => setSelected(r.roi_id)}>
                <div className="head">
                  <span className="kind">{r.type}</span>
                  <button className="roi-copy" title="Copy" onClick={() => cursor && (clipboard = { rois: [r], from: cursor.ref })}>copy</button>
                  <button className="roi-metadata" title="Edit metadata" onClick={() => setJson({ title: "ROI metadata", value: r.metadata, onSave: (m) => (push({ set_roi_metadata: { roi_id: r.roi_id, metadata: m } }), setJson(null)) })}>{"{}"}</button>
                  <button className="roi-lock" title={r.locked ? "Unlock" : "Lock"} disabled={hidden} onClick={() => push(r.locked ? { unlock_roi: { roi_id: r.roi_id } } : { lock_roi: { roi_id: r.roi_id } })}>{r.locked ? "unlock" : "lock"}</button>
                  <button className="roi-delete" title="Delete" disabled={hidden || r.locked} onClick={() => push({ delete_roi: { roi_id: r.roi_id } })}>delete</button>
                </div>
                <LabelChips cls="roi-label" labels={r.labels} onRemove={hidden || r.locked ? undefined : (l) => push({ remove_roi_label: { roi_id: r.roi_id, label: l } })} />
                {!hidden && !r.locked && <AddLabel cls="roi-label-input" placeholder="label + Enter" onAdd={(l) => push({ add_roi_label: { roi_id: r.roi_id, label: l } })} />}
              </li>
            ))}
          </ul>
          {!listAll && shown.length > LIST_CAP && (
            <button id="roi-list-more" onClick={() => setListAll(true)}>
              Show all {shown.length} objects
            </button>
          )}
          {sel && <div className="hint">Selected: {sel.roi_id}</div>}
          <h4>Frame labels</h4>
          <LabelChips cls="frame-label" labels={work?.frame_labels ?? []} onRemove={(l) => push({ remove_frame_label: { label: l } })} />
          <AddLabel cls="frame-label-input" placeholder="+ Add new (Enter)" onAdd={(l) => push({ add_frame_label: { label: l } })} />
          <h4>
            Frame metadata
            <button id="frame-metadata-edit" onClick={() => work && setJson({ title: "Frame metadata", value: work.metadata, onSave: (m) => (push({ set_frame_metadata: { metadata: m } }), setJson(null)) })}>{"{}"}</button>
          </h4>
          <pre id="frame-metadata" className="hint">{JSON.stringify(work?.metadata ?? {}, null, 1)}</pre>
        </aside>
      </div>
      {json && <JsonModal {...json} onClose={() => setJson(null)} />}
      {help && (
        <div className="backdrop" onClick={() => setHelp(false)}>
          <div className="modal" id="help-overlay">
            <h2>Keyboard shortcuts</h2>
            <dl className="info">
              {MODES.map(([m, t, k]) => [<dt key={m}>{k}</dt>, <dd key={m + "d"}>{t} mode</dd>])}
              <dt>Enter / Esc</dt><dd>finish / cancel a polygon or key points</dd>
              <dt>← / →</dt><dd>previous / next frame (autosaves)</dd>
              <dt>Ctrl+← / Ctrl+→</dt><dd>jump 10 frames</dd>
              <dt>Ctrl+Z / Ctrl+Y</dt><dd>undo / redo</dd>
              <dt>Ctrl+S</dt><dd>save</dd>
              <dt>Delete</dt><dd>delete the selected ROI</dd>
              <dt>?</dt><dd>this help</dd>
            </dl>
          </div>
        </div>
      )}
    </>
  );
}

async function fetchUndo(ref: FrameRef, taskId: string, which: "undo" | "redo"): Promise<FrameState> {
  const resp = await fetch(`/api/v1/versions/${ref.version_id}/frames/${encodeURIComponent(ref.frame_id)}/${which}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Annostream-User": localStorage.getItem("annostream.user") || "anonymous" },
    body: JSON.stringify({ task_id: taskId }),
  });
  const data = await resp.json();
  if (!resp.ok) throw new ApiError(resp.status, data.error, data.message, data.field, data.details ?? {});
  return data.frame;
}

/** A new task or version reaches the iterator and the annotation service by event: a 404 right after
 * creation ("not yet known") is retried for a few seconds. */
async function whenKnown<T>(f: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404) || attempt >= 40) throw e;
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
    }
  }
}

/** http(s) sources load directly; local `file://` media come through the gateway (only from its media roots;
 * anything else fails to load and the stage shows a blank canvas of the source's size). */
function imageUrl(uri: string): string {
  return uri.startsWith("file:") ? `/api/v1/media?uri=${encodeURIComponent(uri)}` : uri;
}
