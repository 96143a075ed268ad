"""Progress written as plain lines off a terminal: the real elapsed time, not rich's 0:00:00."""

from __future__ import annotations

from paperwire.progresslines import ProgressLines, format_elapsed


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_carry_the_time_since_the_start_and_are_spaced_out() -> None:
    clock, written = Clock(), []
    lines = ProgressLines(written.append, every=5.0, clock=clock)
    for done, at in [(64, 101.2), (128, 103.0), (192, 107.9), (256, 108.0), (300, 3790.5)]:
        clock.now = at
        lines.update("embedding papers", done, 300)

    assert written == [
        "embedding papers: 64/300, elapsed 0:00:01",  # a task's first step: always
        "embedding papers: 192/300, elapsed 0:00:07",  # 128 came too soon after 64
        "embedding papers: 300/300, elapsed 1:01:30",  # its last step: always
    ]


def test_each_task_has_its_own_spacing_and_may_have_no_total() -> None:
    clock, written = Clock(), []
    lines = ProgressLines(written.append, every=5.0, clock=clock)
    lines.update("embedding papers", 10, 20)
    clock.now += 1
    lines.update("vector snapshot: reading vectors", 3, None)

    assert written == [
        "embedding papers: 10/20, elapsed 0:00:00",
        "vector snapshot: reading vectors: 3, elapsed 0:00:01",
    ]


def test_format_elapsed() -> None:
    assert [format_elapsed(s) for s in (0, 59.9, 61, 3600 * 25)] == [
        "0:00:00",
        "0:00:59",
        "0:01:01",
        "25:00:00",
    ]


def test_finish_writes_the_steps_held_back() -> None:
    # A task without a total (an OAI-PMH list of unknown size) never knows its last step.
    clock, written = Clock(), []
    lines = ProgressLines(written.append, every=5.0, clock=clock)
    for done in (200, 400, 600):
        lines.update("oai|cs", done, None)
        clock.now += 1
    lines.update("papers_paper", 5, 5)
    lines.finish()
    lines.finish()  # nothing more

    assert written == [
        "oai|cs: 200, elapsed 0:00:00",
        "papers_paper: 5/5, elapsed 0:00:03",
        "oai|cs: 600, elapsed 0:00:03",
    ]


def test_every_step_when_every_is_zero() -> None:
    clock, written = Clock(), []
    lines = ProgressLines(written.append, every=0, clock=clock)
    for done in (1, 2, 3):
        lines.update("t", done, 10)
    lines.finish()

    assert written == [f"t: {n}/10, elapsed 0:00:00" for n in (1, 2, 3)]
