import { describe, expect, it } from "vitest";
import type { Command, FrameState, Roi } from "../src/api";
import { apply, applyCompact, fold, forSave, pastedIds, type Working } from "../src/editing";

const roi = (roi_id: string, x = 0, labels: string[] = []): Roi =>
  ({ roi_id, type: "rectangle", points: [[x, 0], [x + 10, 10]], labels, metadata: {}, locked: false, confidence: null, source_id: "" }) as unknown as Roi;

const frame = (rois: Roi[], metadata: Record<string, unknown> = {}, base: Record<string, unknown> = {}): FrameState =>
  ({ version_id: "v", frame_id: "f", version: 3, rois, frame_labels: [], metadata, base: { frame_id: "f", context_id: "c", timestamp: 0, sources: [], metadata: base } }) as unknown as FrameState;

describe("apply", () => {
  it("moves a ROI's points by dx, dy and leaves the others alone", () => {
    const w = apply({ rois: [roi("a"), roi("b", 50)], frame_labels: [], metadata: {} }, { move_roi: { roi_id: "a", dx: 5, dy: -2 } } as Command);
    expect(w.rois[0].points).toEqual([[5, -2], [15, 8]]);
    expect(w.rois[1].points).toEqual([[50, 0], [60, 10]]);
  });

  it("adds a label once and removes it", () => {
    let w: Working = { rois: [roi("a")], frame_labels: [], metadata: {} };
    w = apply(w, { add_roi_label: { roi_id: "a", label: "car" } } as Command);
    w = apply(w, { add_roi_label: { roi_id: "a", label: "car" } } as Command);
    expect(w.rois[0].labels).toEqual(["car"]);
    w = apply(w, { remove_roi_label: { roi_id: "a", label: "car" } } as Command);
    expect(w.rois[0].labels).toEqual([]);
  });

  it("locks all ROIs and deletes one", () => {
    let w: Working = { rois: [roi("a"), roi("b")], frame_labels: [], metadata: {} };
    w = apply(w, { lock_all_rois: {} } as Command);
    expect(w.rois.every((r) => r.locked)).toBe(true);
    w = apply(w, { delete_roi: { roi_id: "a" } } as Command);
    expect(w.rois.map((r) => r.roi_id)).toEqual(["b"]);
  });
});

describe("fold", () => {
  it("shows the imported metadata while the effective one is empty, and an edited one after a pending edit", () => {
    const f = frame([], {}, { weather: "fog", lane: 3 });
    expect(fold(f, []).metadata).toEqual({ weather: "fog", lane: 3 });
    expect(fold(f, [{ set_frame_metadata: { metadata: { weather: "sun" } } } as Command]).metadata).toEqual({ weather: "sun" });
  });

  it("folds a longer pending list from the last steps with the same result as from scratch", () => {
    const f = frame([roi("a")]);
    const one = [{ move_roi: { roi_id: "a", dx: 1, dy: 1 } } as Command];
    const two = [...one, { move_roi: { roi_id: "a", dx: 2, dy: 2 } } as Command];
    fold(f, one);
    expect(fold(f, two).rois[0].points).toEqual([[3, 3], [13, 13]]);
    expect(fold(f, one).rois[0].points).toEqual([[1, 1], [11, 11]]); // an undo
  });
});

describe("forSave", () => {
  it("folds edits of a ROI pasted in the same batch into the paste", () => {
    const paste = { paste_rois: { rois: [roi("p1"), roi("p2", 40)], origins: [{ roi_id: "x" }, { roi_id: "y" }] } } as unknown as Command;
    const batch = forSave([paste, { move_roi: { roi_id: "p1", dx: 1, dy: 0 } } as Command, { delete_roi: { roi_id: "p2" } } as Command, { add_frame_label: { label: "n" } } as Command]);
    expect(batch).toHaveLength(2);
    const saved = (batch[0].paste_rois as unknown as { rois: Roi[]; origins: { roi_id: string }[] });
    expect(saved.rois.map((r) => r.points)).toEqual([[[1, 0], [11, 10]]]);
    expect(saved.origins).toEqual([{ roi_id: "x" }]);
    expect(batch[1]).toEqual({ add_frame_label: { label: "n" } });
  });

  it("drops a paste whose ROIs were all deleted again", () => {
    const paste = { paste_rois: { rois: [roi("p1")], origins: [] } } as unknown as Command;
    expect(forSave([paste, { delete_roi: { roi_id: "p1" } } as Command])).toEqual([]);
  });

  it("names the ROIs of unsaved pastes", () => {
    const paste = { paste_rois: { rois: [roi("p1"), roi("p2")], origins: [] } } as unknown as Command;
    expect([...pastedIds([paste])]).toEqual(["p1", "p2"]);
  });
});

describe("applyCompact", () => {
  it("folds the sent commands and takes the server's copy of every ROI the save named", () => {
    const f = frame([roi("a"), roi("b", 20), roi("c", 40)]);
    const sent = [
      { move_roi: { roi_id: "a", dx: 1, dy: 1 } },
      { delete_roi: { roi_id: "b" } },
      { create_roi: { roi: roi("d", 60) } },
      { add_frame_label: { label: "night" } },
    ] as Command[];
    const stored = { ...roi("d", 60), confidence: 0.5 } as Roi;
    const r = { frame: null, event_ids: ["e1"], version: 7, frame_omitted: false, rebased: false, compact: true,
      rois: [{ ...roi("a", 1), points: [[1, 1], [11, 11]] } as Roi, stored], removed_roi_ids: ["b"], frame_labels: ["night"], metadata: { lane: 3 } };
    const after = applyCompact(f, sent, r as never);
    expect(after.version).toBe(7);
    expect(after.rois.map((x) => x.roi_id)).toEqual(["a", "c", "d"]);
    expect(after.rois[0].points).toEqual([[1, 1], [11, 11]]);
    expect(after.rois[2]).toBe(stored);
    expect(after.rois[1]).toBe(f.rois[2]); // untouched ROIs stay the client's objects
    expect(after.frame_labels).toEqual(["night"]);
    expect(after.metadata).toEqual({ lane: 3 });
  });
});
