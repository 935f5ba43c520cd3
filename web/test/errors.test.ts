import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api";
import { friendlyError, friendlyMessage, taskActionError } from "../src/errors";

const err = (status: number, code: string, message: string, field: string | null = null, details: Record<string, unknown> = {}) =>
  new ApiError(status, code as never, message, field, details);

describe("friendly errors", () => {
  it("replaces validator wording and drops the field prefix", () => {
    expect(friendlyMessage("name: String should have at least 1 character", "name")).toBe("This cannot be empty.");
    expect(friendlyMessage("iteration.random_seed: Input should be a valid integer, got a number with a fractional part", "iteration.random_seed")).toBe("Type a whole number (for example 42).");
  });

  it("names a conflict's ROI by its label and the other annotator, never its id or event type", () => {
    const e = err(409, "ABORTED", "ROI 'r-9' was changed by alice (RoiMoved, version 4) after version 3; reload", "expected_version", { roi_id: "r-9", actor: "alice", event_type: "RoiMoved", item: "roi" });
    const text = friendlyError(e, [{ roi_id: "r-9", labels: ["car"] }]);
    expect(text).toBe("alice changed the ROI “car” while you were editing it. Keep yours or take theirs.");
  });

  it("says a locked ROI must be unlocked, by its label", () => {
    const e = err(409, "FAILED_PRECONDITION", "ROI 'r-1' is locked: unlock it first", "commands[0].roi_id", { roi_id: "r-1" });
    expect(friendlyError(e, [{ roi_id: "r-1", labels: ["bus"] }])).toBe("The ROI “bus” is locked: unlock it to edit it.");
  });

  it("says a closed task or a published version ends the work, not that the hold timed out", () => {
    const done = err(409, "FAILED_PRECONDITION", "the task is completed: no new leases", "task_id");
    expect(friendlyError(done)).toBe("This task is completed: reopen it to annotate.");
    const published = err(409, "FAILED_PRECONDITION", "the task annotates version ver_1, which is Published (read-only: its frames cannot be saved any more): nothing is handed out", "task_id", { version_id: "ver_1" });
    expect(friendlyError(published)).toMatch(/version was published/);
  });

  it("says a task whose version was published cannot be reopened and to start a new task instead", () => {
    const refused = err(409, "FAILED_PRECONDITION", "task task_1 annotates version ver_1, which is Published (read-only): the task cannot be reopened; start a new task on that version instead (it annotates a new Draft child)", "task_id", { version_id: "ver_1" });
    for (const text of [taskActionError(refused), friendlyError(refused)]) {
      expect(text).toMatch(/cannot be reopened: start a new task on that version/);
      expect(text).not.toMatch(/task_1|ver_1/);
    }
    const other = err(409, "FAILED_PRECONDITION", "task task_1 is active: cannot reopen it", "task_id");
    expect(taskActionError(other)).toBe("task task_1 is active: cannot reopen it");
    expect(taskActionError(new TypeError("Failed to fetch"))).toMatch(/cannot be reached/);
  });

  it("turns a network failure into what to do", () => {
    expect(friendlyError(new TypeError("Failed to fetch"))).toMatch(/cannot be reached/);
  });
});
