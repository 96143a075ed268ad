"""Progress for a log or a pipe, where a rich bar cannot redraw.

Off a terminal, rich draws a bar's last frame only, once, at the end: its time column
then reads 0:00:00 however long the run took. These are plain lines instead, each with
the real time since the start.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def format_elapsed(seconds: float) -> str:
    """H:MM:SS, as rich's time columns write it (but 25:00:00, not "1 day, 1:00:00")."""
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}"


class ProgressLines:
    """One line per step of each task, at most one every `every` seconds (a 1M-paper run
    must not write 15,000 lines), but always a task's first and last step: the last by
    its total, or, for a task without one, by finish()."""

    def __init__(
        self,
        write: Callable[[str], None],
        *,
        every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._every = every
        self._clock = clock
        self._start = clock()
        self._last: dict[str, float] = {}
        self._held: dict[str, str] = {}  # a task's latest count not yet written

    def update(self, task: str, done: int, total: int | None) -> None:
        now = self._clock()
        finished = total is not None and done >= total
        last = self._last.get(task)
        count = f"{done}/{total}" if total is not None else str(done)
        if last is not None and not finished and now - last < self._every:
            self._held[task] = count
            return
        self._last[task] = now
        self._held.pop(task, None)
        self._line(task, count, now)

    def finish(self) -> None:
        """Write each task's latest step that was held back, so the log ends with the
        counts reached and the time they took."""
        now = self._clock()
        for task, count in self._held.items():
            self._line(task, count, now)
        self._held.clear()

    def _line(self, task: str, count: str, now: float) -> None:
        self._write(f"{task}: {count}, elapsed {format_elapsed(now - self._start)}")


def lines_to(stream: Any) -> ProgressLines:
    """Progress lines for a command's stdout or stderr, each written and flushed at once,
    at most one every PAPERWIRE_PROGRESS_SECONDS (embed, ingest arxiv, db copy)."""
    from django.conf import settings

    def say(line: str) -> None:
        stream.write(line)
        stream.flush()

    return ProgressLines(say, every=settings.PAPERWIRE_PROGRESS_SECONDS)
