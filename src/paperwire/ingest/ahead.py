"""Parsing the next OAI-PMH page in a second process while this one stores the last.

A harvest spends about a third of its CPU time parsing and normalizing pages and the
rest storing them; a machine with two cores can do both at once. The worker process is
started only when a list has a second page (a harvest of one page never starts it), and
parses nothing but the bytes it is given: it never touches the database or the network.

What the caller sees does not change: pages come in order, and an error of a page
(its fetch or its parse) is raised only after every page before it was handed over, so a
page's checkpoint is still stored with its records and nothing is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import marshal
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

from paperwire.ingest.normalize import ArxivEntry
from paperwire.ingest.oai import OaiPage, parse_oai_page
from paperwire.ingest.options import parse_ahead_choice
from paperwire.ingest.sqltext import Prepared, prepare
from paperwire.papers.ids import title_key
from paperwire.papers.records import AuthorRecord
from paperwire.papers.tex import search_text

try:
    import fcntl
except ImportError:  # not on Unix
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# Fetch the page after `token` (None: the list's first): its bytes and what to call it
# in an error message.
Fetch = Callable[[str | None], tuple[bytes, str]]
_SIZE = struct.Struct("!Q")


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def parse_ahead_wanted(value: str) -> bool:
    """The setting PAPERWIRE_INGEST_PARSE_AHEAD: auto (on with two or more CPUs), on, off."""
    choice = parse_ahead_choice(value)
    return usable_cpus() >= 2 if choice is None else choice


# A parsed page crosses the pipe as builtins (tuples, lists, dicts, strings, numbers) in
# marshal's format: loading it and building the entries again takes about half the time
# unpickling the dataclasses does, and that time is spent in the storing process.
_FIELDS = [f.name for f in dataclasses.fields(ArxivEntry) if f.init]
_AUTHOR_FIELDS = [f.name for f in dataclasses.fields(AuthorRecord)]
_AUTHORS = _FIELDS.index("authors")
_TIMES = (_FIELDS.index("published"), _FIELDS.index("updated"))
_DAY = _FIELDS.index("feed_date")


def flatten(page: OaiPage) -> bytes | None:
    """The page in marshal's format, or None when an entry holds a value that would not
    come back the same (a datetime in a zone other than UTC, say): then pickle it. Each
    entry also carries its values in stored form (sqltext.prepare), which this process
    has the time to make and the storing one has not."""
    rows = []
    for entry in page.entries:
        row = [getattr(entry, name) for name in _FIELDS]
        search = (search_text(entry.title), search_text(entry.abstract))
        row.append(
            tuple(prepare(title_key(entry.title), entry.categories, entry.versions,
                          entry.published, entry.updated, search))
        )  # fmt: skip
        row[_AUTHORS] = [tuple(getattr(a, n) for n in _AUTHOR_FIELDS) for a in entry.authors]
        for i in _TIMES:
            when = row[i]
            if when is not None:
                if type(when) is not dt.datetime or when.tzinfo not in (None, dt.UTC):
                    return None
                row[i] = when.isoformat()
        day = row[_DAY]
        if day is not None:
            if type(day) is not dt.date:
                return None
            row[_DAY] = day.toordinal()
        rows.append(tuple(row))
    try:
        return marshal.dumps((rows, page.deleted, page.token, page.complete_size, page.records))
    except ValueError:  # an object marshal does not know
        return None


def _flattened(page: OaiPage) -> bytes | OaiPage:
    try:
        return flatten(page) or page
    except Exception:  # a page that parsed must still arrive: then as it is
        log.exception("could not flatten a parsed page; sending it pickled")
        return page


def unflatten(data: bytes) -> OaiPage:
    rows, deleted, token, complete_size, records = marshal.loads(data)  # noqa: S302 - our worker's
    when, day, entries = dt.datetime.fromisoformat, dt.date.fromordinal, []
    published, updated = _TIMES
    for values in rows:
        row = list(values[:-1])
        row[_AUTHORS] = [AuthorRecord(*a) for a in row[_AUTHORS]]
        if row[published] is not None:
            row[published] = when(row[published])
        if row[updated] is not None:
            row[updated] = when(row[updated])
        if row[_DAY] is not None:
            row[_DAY] = day(row[_DAY])
        entry = ArxivEntry(*row)
        entry.prepared = Prepared(*values[-1])
        entries.append(entry)
    return OaiPage(entries, deleted, token, complete_size, records)


_PIPE_BYTES = 1 << 20


def _widen(stream: IO[bytes] | None) -> None:
    """Let the pipe hold 1 MB (Linux), not 64 KB: a page (about 1.3 MB) then crosses in
    two writes instead of twenty, each of which waited for the other process to read."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if stream is None or setsize is None:
        return
    try:
        fcntl.fcntl(stream.fileno(), setsize, _PIPE_BYTES)
    except OSError:  # above /proc/sys/fs/pipe-max-size: the default size still works
        pass


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_SIZE.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_SIZE.size)
    if len(head) < _SIZE.size:
        raise EOFError("the other side closed the pipe")
    (size,) = _SIZE.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe")
    # Both ends are this module, started by each other: never bytes from outside.
    return pickle.loads(data)  # noqa: S301


class PageParser:
    """Parses pages in one worker process (started on first use: `python -m` this module,
    talking over its stdin and stdout) or, when `enabled` is false or the worker cannot
    run, in this process when the page is asked for."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._worker: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PageParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id while it runs (benchmarks count its CPU time)."""
        return self._worker.pid if self._worker is not None else None

    def submit(self, data: bytes, where: str) -> Callable[[], OaiPage]:
        """Start parsing `data`; the returned call gives the page (or raises its error).
        One page at a time: call the result before submitting the next."""
        if self.enabled:
            try:
                worker = self._worker or self._start()
                assert worker.stdin is not None
                _send(worker.stdin, (data, where))
            except OSError as exc:
                self._give_up(exc)
            else:
                return lambda: self._result(data, where)
        return lambda: parse_oai_page(data, where=where)

    def _start(self) -> subprocess.Popen[bytes]:
        # A new interpreter, not a fork: the caller may have threads (the web server's,
        # the job worker's heartbeat) whose locks a forked child would inherit.
        path = os.pathsep.join(p for p in sys.path if p)
        self._worker = subprocess.Popen(  # our interpreter, our module
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        for stream in (self._worker.stdin, self._worker.stdout):
            _widen(stream)
        return self._worker

    def _result(self, data: bytes, where: str) -> OaiPage:
        assert self._worker is not None and self._worker.stdout is not None
        try:
            ok, value = _receive(self._worker.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            # The worker died (killed, out of memory): parse here from now on.
            self._give_up(exc)
            return parse_oai_page(data, where=where)
        if not ok:
            raise value
        page: OaiPage = unflatten(value) if isinstance(value, bytes) else value
        return page

    def _give_up(self, exc: BaseException) -> None:
        log.warning("parse-ahead worker unavailable (%s); parsing in this process", exc)
        self.enabled = False
        self._stop()

    def _stop(self) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        for stream in (worker.stdin, worker.stdout):
            if stream is None:
                continue
            try:
                stream.close()  # the worker ends when its input does
            except OSError:
                # A dead worker's pipe: closing flushes what is still buffered for it
                # (BrokenPipeError). Nobody will read it; the pipe is closed all the same.
                pass
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """The worker's loop: (bytes, where) in, (True, page) or (False, error) out, until
    the parent closes the pipe or is gone."""
    while True:
        try:
            data, where = _receive(source)
        except EOFError:
            return
        try:
            page = parse_oai_page(data, where=where)
            answer: tuple[bool, object] = (True, _flattened(page))
        except Exception as exc:  # handed to the parent, which raises it
            answer = (False, exc)
        try:
            _send(sink, answer)
        except BrokenPipeError:  # the parent was killed
            return


def harvest(fetch: Fetch, token: str | None, *, parse_ahead: bool) -> Iterator[OaiPage]:
    """The pages of one OAI-PMH list, from the page after `token` (None: from its start)
    to its last. With parse_ahead, while the caller works on a page the next one is
    already fetched and being parsed in the worker process."""
    with PageParser(enabled=parse_ahead) as parser:
        data, where = fetch(token)
        page = parse_oai_page(data, where=where)  # nothing to store yet: parse it here
        while page.token:
            try:
                data, where = fetch(page.token)
            except Exception:
                yield page  # the pages before a failed fetch are stored first
                raise
            parsed = parser.submit(data, where)
            yield page
            page = parsed()
        yield page


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
