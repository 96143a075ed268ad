"""`paperwire embed` in a log or a pipe: progress lines with the real elapsed time."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import DEMO_FILE

pytestmark = pytest.mark.slow

# 64 of the demo papers: with one thread that takes seconds even on a fast machine.
SHOWN = 64
LINE = re.compile(rf"^embedding papers: (\d+)/{SHOWN}, elapsed (\d+):(\d\d):(\d\d)$")


def test_embed_off_a_terminal_writes_lines_with_the_time_it_took(
    cli: Callable[..., Any], new_data_dir: Callable[[], Path], tmp_path: Path
) -> None:
    data = new_data_dir()
    rows = tmp_path / "some.jsonl"
    rows.write_text("".join(DEMO_FILE.read_text().splitlines(keepends=True)[:SHOWN]))
    assert cli("import", str(rows), data_dir=data).returncode == 0
    started = time.monotonic()
    # Captured output is a pipe, as in a log or under cron. One thread: the run takes
    # seconds, so an elapsed time stuck at 0:00:00 shows.
    done = cli("embed", "--batch-size", "16", "--processes", "1", "--threads", "1", data_dir=data)
    took = time.monotonic() - started

    assert done.returncode == 0, done.stderr
    steps = [LINE.match(line) for line in done.stdout.splitlines() if "embedding" in line]
    assert steps and all(steps), done.stdout
    counts = [int(m[1]) for m in steps if m]
    elapsed = [int(m[2]) * 3600 + int(m[3]) * 60 + int(m[4]) for m in steps if m]
    assert counts[0] == 16 and counts[-1] == SHOWN, "the first and the last batch"
    assert elapsed == sorted(elapsed)
    assert 1 <= elapsed[-1] <= took, (elapsed, took)
    assert f"Embedded {SHOWN} paper(s)" in done.stdout.splitlines()[-1]
    assert "\x1b[" not in done.stdout, "no terminal codes in a log"
