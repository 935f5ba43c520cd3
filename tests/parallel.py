"""How `make test` runs the suite in two pytest-xdist workers: whole test files go to the workers (`--dist loadfile`:
module and package fixtures start once), and the files that measure or depend on the machine's load run last and
alone, on one worker, once every other worker has finished (docs/contributing.md "Tests")."""

from __future__ import annotations

from typing import Any

from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

# Files (or directories) whose tests must not share the machine with the other worker: the consistency tier's CPU
# burners and lagging consumers, the topology tier's steady load and the recovery times it measures, and the bound
# on how long `annostream up` takes to stop on Ctrl+C.
RUN_ALONE = ("tests/consistency/", "tests/topology/", "tests/e2e/test_up_lifecycle.py")
# Files that take minutes start first, so that no worker is left alone with one at the end (the schemathesis run:
# ≈ 5 of the suite's 21 minutes when it ran serially).
RUN_FIRST = ("tests/e2e/test_http_contract.py",)


class RunAloneLast(LoadFileScheduling):
    """loadfile scheduling that starts the RUN_FIRST files first and holds the RUN_ALONE files back until every
    other file has run, then sends them all to the worker that finished last and stops the others.

    The held files stay in the work queue (so xdist neither stops the workers nor ends the run early); only the
    choice of the next unit skips them."""

    def __init__(
        self, config: Any, log: Any, alone: tuple[str, ...] = RUN_ALONE, first: tuple[str, ...] = RUN_FIRST
    ) -> None:
        super().__init__(config, log)
        self.alone, self.first = alone, first
        self.alone_node: WorkerController | None = None

    def _is_alone(self, scope: str) -> bool:
        return any(scope == p or scope.startswith(p) for p in self.alone)

    def _assign_work_unit(self, node: WorkerController) -> None:
        """The next file that may run beside others; when none is left, the held files once the others finished."""
        scope = next((s for s in self.workqueue if s in self.first), None)
        scope = scope or next((s for s in self.workqueue if not self._is_alone(s)), None)
        if scope is not None:
            self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)
            return
        if self._pending_of(self.assigned_work[node]) > 1:
            return  # still running its files (a worker holds its last test until it knows what comes next)
        if self.alone_node is None:
            others = [n for n in self.assigned_work if n is not node and not n.shutting_down]
            if any(self._pending_of(self.assigned_work[n]) > 1 for n in others):
                node.shutdown()  # another worker is still busy: it runs the held files when it is done
                return
            self.alone_node = node
            for other in others:
                other.shutdown()
        if node is not self.alone_node:
            node.shutdown()
        elif len(self.assigned_work) == 1:  # every other worker has finished (its fixtures torn down)
            for scope in sorted(self.workqueue):  # in path order: a package's files one after the other (fixtures)
                self.workqueue.move_to_end(scope)
            while self.workqueue:
                super()._assign_work_unit(node)

    def remove_node(self, node: WorkerController) -> str | None:
        """A finished (or crashed) worker: the held files may start now, or need another worker."""
        crashitem = super().remove_node(node)
        if node is self.alone_node:
            self.alone_node = None
        for other in list(self.assigned_work):
            self._reschedule(other)
        return crashitem


# Lines a tier prints at the end of the run, by section title: kept by the process that ran the tests, sent by a
# worker to the controller when it finishes (workeroutput), printed once in the run's summary.
AT_END: dict[str, list[str]] = {}


def at_end(title: str, line: str) -> None:
    """Print `line` under `title` in the summary at the end of the run."""
    AT_END.setdefault(title, []).append(line)
