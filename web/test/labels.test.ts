import { describe, expect, it } from "vitest";
import { autoColor, PALETTE } from "../src/labels";

describe("automatic label colours", () => {
  it("gives common labels that meet on one frame colours of their own", () => {
    const common = ["car", "vehicle", "truck", "bus", "person", "pedestrian", "rider", "bicycle", "motorcycle", "traffic-sign", "traffic-light"];
    expect(new Set(common.map(autoColor)).size).toBe(common.length);
  });

  it("is stable per label and always a #rrggbb of the palette", () => {
    for (const label of ["car", "Car ", "forklift", "x", "ünïcode"]) {
      expect(autoColor(label)).toBe(autoColor(label));
      expect(autoColor(label)).toMatch(/^#[0-9a-f]{6}$/);
      expect(PALETTE).toContain(autoColor(label));
    }
  });
});

describe("ROIs per frame histogram", () => {
  it("buckets frames by their number of ROIs up to the fullest frame", async () => {
    const { histogram } = await import("../src/pages/StatsChart");
    expect(histogram({ "0": 4, "1": 2, "4": 1, "5": 3, "12": 1 })).toEqual([
      ["0 ROIs", 4],
      ["1 ROI", 2],
      ["2 ROIs", 0],
      ["3–5 ROIs", 4],
      ["6–10 ROIs", 0],
      ["11–20 ROIs", 1],
    ]);
    expect(histogram({ "0": 3 })).toEqual([["0 ROIs", 3]]);
  });
});
