import { describe, expect, it } from "vitest";
import { emptyFilter, fieldKey, frameQuery, literal, metaField, quote, sourceQuery, toFilter } from "../src/filters";

describe("filters", () => {
  it("quotes text and keeps numbers and booleans literal", () => {
    expect(quote('a "b" \\')).toBe('"a \\"b\\" \\\\"');
    expect(literal("42")).toBe("42");
    expect(literal("-1.5e3")).toBe("-1.5e3");
    expect(literal("true")).toBe("true");
    expect(literal("fog")).toBe('"fog"');
    expect(literal('"kept"')).toBe('"kept"');
  });

  it("prefixes metadata keys and quotes odd key parts", () => {
    expect(metaField("camera.gain")).toBe("meta.camera.gain");
    expect(metaField("a b.c")).toBe('meta."a b".c');
  });

  it("builds a frame query of every operator, skipping rows without a key", () => {
    const q = frameQuery(
      [
        { key: "weather", op: "equals", value: "fog", to: "" },
        { key: "lane", op: "range", value: "1", to: "" },
        { key: "speed", op: "gte", value: "30", to: "" },
        { key: "night", op: "missing", value: "", to: "" },
        { key: " ", op: "equals", value: "x", to: "" },
      ],
      "AND",
    );
    expect(q).toBe('meta.weather:"fog" AND meta.lane:[1 TO *] AND meta.speed >= 30 AND NOT meta.night:*');
  });

  it("builds a source query of id, uri and size ranges", () => {
    const s = { id: "cam", uri: "", minWidth: "640", maxWidth: "", minHeight: "", maxHeight: "1080" };
    expect(sourceQuery(s)).toBe('source.id:"cam" AND source.width:[640 TO *] AND source.height:[* TO 1080]');
  });

  it("sends numbers as numbers and anything else as typed (so the API names the field)", () => {
    const d = { ...emptyFilter(), roi_rules: [{ kind: "include" as const, label_expression: "car", min_count: "2", max_count: "x", min_confidence: "", max_confidence: "" }] };
    expect(toFilter(d).roi_rules).toEqual([{ kind: "include", label_expression: "car", min_count: 2, max_count: "x" }]);
  });

  it("turns an API field into the form's dotted key", () => {
    expect(fieldKey("selection.filters[0].roi_rules[1].min_count")).toBe("selection.filters.0.roi_rules.1.min_count");
  });
});
