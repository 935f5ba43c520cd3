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
