// The custom-filter builder's model and what it produces: the iterator's filter language (docs/filters.md).
// Frame rules become a frame query (`meta.city:"bremen" AND meta.speed:[10 TO 50]`), source rules a source
// query (`source.id:"front" AND source.width:[640 TO *]`); the advanced mode takes both as typed.
import type { FrameFilter, RoiRule } from "./api";

export type FrameOp = "equals" | "not_equals" | "range" | "exists" | "missing" | "gt" | "gte" | "lt" | "lte";

export const FRAME_OPS: [FrameOp, string][] = [
  ["equals", "equals"],
  ["not_equals", "does not equal"],
  ["range", "in range"],
  ["exists", "exists"],
  ["missing", "is missing"],
  ["gt", ">"],
  ["gte", "≥"],
  ["lt", "<"],
  ["lte", "≤"],
];

/** One frame rule: a metadata key (dots for nested keys), an operator and its value(s). */
export interface FrameCondition {
  key: string;
  op: FrameOp;
  value: string; // the value, or the range's lower bound (blank = open)
  to: string; // the range's upper bound (blank = open)
}

/** The source rules: a frame matches when one of its sources satisfies all of them (blank = any). */
export interface SourceRules {
  id: string;
  uri: string; // glob: * matches any run of characters
  minWidth: string;
  maxWidth: string;
  minHeight: string;
  maxHeight: string;
}

/** A ROI rule as typed (numbers still text, so a bad one reaches the API and comes back naming its field). */
export interface RuleDraft {
  kind: RoiRule["kind"];
  label_expression: string;
  min_count: string;
  max_count: string;
  min_confidence: string;
  max_confidence: string;
}

export interface FilterDraft {
  roi_rules: RuleDraft[];
  join: "AND" | "OR"; // how the frame rules combine
  conditions: FrameCondition[];
  source: SourceRules;
  advanced: boolean; // the queries below are used as typed instead of the builders'
  frame_query: string;
  source_query: string;
}

export const emptyCondition = (): FrameCondition => ({ key: "", op: "equals", value: "", to: "" });
export const emptyRule = (): RuleDraft => ({ kind: "include", label_expression: "", min_count: "", max_count: "", min_confidence: "", max_confidence: "" });
export const emptyFilter = (): FilterDraft => ({
  roi_rules: [],
  join: "AND",
  conditions: [],
  source: { id: "", uri: "", minWidth: "", maxWidth: "", minHeight: "", maxHeight: "" },
  advanced: false,
  frame_query: "",
  source_query: "",
});

/** A quoted string of the language (\" and \\ escaped). */
export function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A typed value: numbers and true/false/null stay literals, "quoted" text is kept, anything else is quoted. */
export function literal(v: string): string {
  const t = v.trim();
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t) || t === "true" || t === "false" || t === "null") return t;
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t;
  return quote(t);
}

/** `camera.gain` → `meta.camera.gain`; a key part with other characters than [A-Za-z0-9_-] is quoted. */
export function metaField(key: string): string {
  return ["meta", ...key.trim().split(".").map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : quote(k)))].join(".");
}

const bound = (v: string) => (v.trim() ? literal(v) : "*");
const CMP: Partial<Record<FrameOp, string>> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };

function term(c: FrameCondition): string {
  const f = metaField(c.key);
  switch (c.op) {
    case "exists":
      return `${f}:*`;
    case "missing":
      return `NOT ${f}:*`;
    case "range":
      return `${f}:[${bound(c.value)} TO ${bound(c.to)}]`;
    case "not_equals":
      return `NOT ${f}:${literal(c.value)}`;
    case "equals":
      return `${f}:${literal(c.value)}`;
    default:
      return `${f} ${CMP[c.op]} ${literal(c.value)}`;
  }
}

/** The frame query of the frame rules (rows without a key are ignored; "" = any frame). */
export function frameQuery(conditions: FrameCondition[], join: "AND" | "OR"): string {
  return conditions.filter((c) => c.key.trim()).map(term).join(` ${join} `);
}

/** The source query of the source rules ("" = any source). */
export function sourceQuery(s: SourceRules): string {
  const out: string[] = [];
  if (s.id.trim()) out.push(`source.id:${quote(s.id.trim())}`);
  if (s.uri.trim()) out.push(`source.uri:${quote(s.uri.trim())}`);
  for (const [name, lo, hi] of [["width", s.minWidth, s.maxWidth], ["height", s.minHeight, s.maxHeight]] as const) {
    if (lo.trim() || hi.trim()) out.push(`source.${name}:[${lo.trim() || "*"} TO ${hi.trim() || "*"}]`);
  }
  return out.join(" AND ");
}

// Numbers go to the API as numbers; anything else as typed, so its validation names the field.
const num = (s: string): number | undefined => (s.trim() === "" ? undefined : Number.isFinite(Number(s)) ? Number(s) : (s as unknown as number));

/** The API's FrameFilter of a draft. */
export function toFilter(d: FilterDraft): FrameFilter {
  return {
    roi_rules: d.roi_rules.map((r) => {
      const rule: RoiRule = { kind: r.kind, label_expression: r.label_expression };
      for (const k of ["min_count", "max_count", "min_confidence", "max_confidence"] as const) {
        const v = num(r[k]);
        if (v !== undefined) rule[k] = v;
      }
      return rule;
    }),
    frame_query: d.advanced ? d.frame_query : frameQuery(d.conditions, d.join),
    source_query: d.advanced ? d.source_query : sourceQuery(d.source),
  };
}

/** An API error field such as `selection.filters[0].roi_rules[1].min_count` in dotted form
 * (`selection.filters.0.roi_rules.1.min_count`), as the form keys its messages. */
export function fieldKey(field: string): string {
  return field.replace(/\[(\d+)\]/g, ".$1");
}
