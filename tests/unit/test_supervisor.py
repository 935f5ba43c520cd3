"""`annostream up`'s supervision rules without processes: backoff doubling, restarts only when due, the crash loop."""

from __future__ import annotations

import pytest

from annostream_cli.supervisor import BACKOFF_FIRST_SECONDS, CrashLoop, Supervisor


class FakeStack:
    """Components as exit codes: a name in `dead` has exited; restart() brings it back."""

    def __init__(self) -> None:
        self.dead: dict[str, int] = {}
        self.restarted: list[str] = []

    def exited(self) -> dict[str, int]:
        return dict(self.dead)

    def restart(self, component: str) -> None:
        self.restarted.append(component)
        self.dead.pop(component, None)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_dead_component_is_restarted_once_its_backoff_has_passed() -> None:
    stack, clock, said = FakeStack(), Clock(), []
    sup = Supervisor(stack, said.append, clock)
    stack.dead["annotation"] = -9
    sup.check()
    assert stack.restarted == [] and said == [f"annotation exited with -9; restarting in {BACKOFF_FIRST_SECONDS:.1f} s"]
    clock.now += BACKOFF_FIRST_SECONDS / 2
    sup.check()
    assert stack.restarted == []
    clock.now += BACKOFF_FIRST_SECONDS
    sup.check()
    assert stack.restarted == ["annotation"] and said[-1] == "annotation restarted"


def test_the_backoff_doubles_while_a_component_keeps_dying() -> None:
    stack, clock, said = FakeStack(), Clock(), []
    sup = Supervisor(stack, said.append, clock, restarts=10)
    waits = []
    for _ in range(4):
        stack.dead["iterator"] = 1
        sup.check()
        waits.append(float(said[-1].rsplit(" in ", 1)[1].split()[0]))
        clock.now += waits[-1]
        sup.check()
    assert waits == [0.5, 1.0, 2.0, 4.0] and stack.restarted == ["iterator"] * 4


def test_a_crash_loop_gives_up_naming_the_component() -> None:
    stack, clock = FakeStack(), Clock()
    sup = Supervisor(stack, lambda _: None, clock, restarts=3, window=60)
    for _ in range(3):
        stack.dead["datasets"] = 2
        sup.check()
        clock.now += 10
        sup.check()
    stack.dead["datasets"] = 2
    with pytest.raises(CrashLoop, match="datasets exited with 2 4 times within 60 s"):
        sup.check()


def test_restarts_older_than_the_window_are_forgotten_and_the_backoff_starts_over() -> None:
    stack, clock, said = FakeStack(), Clock(), []
    sup = Supervisor(stack, said.append, clock, restarts=2, window=60)
    for _ in range(2):
        stack.dead["tasks"] = 1
        sup.check()
        clock.now += 5
        sup.check()
    clock.now += 120
    stack.dead["tasks"] = 1
    sup.check()  # no crash loop: the earlier restarts are out of the window
    assert said[-1] == f"tasks exited with 1; restarting in {BACKOFF_FIRST_SECONDS:.1f} s"
