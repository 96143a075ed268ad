"""Import and export of papers as files (JSONL, or a JSON array as /api/daily_papers returns)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from paperwire.papers.models import FeedEntry, Paper
from paperwire.papers.records import (
    RecordError,
    format_when,
    iso_z,
    record_from_json,
)
from paperwire.papers.store import bump_data_version, upsert_paper

# A line longer than this is rejected without being parsed (a 10 MB abstract, say).
MAX_LINE_BYTES = 1_000_000
MAX_ARRAY_FILE_BYTES = 200_000_000


@dataclass
class ImportProblem:
    line: int
    message: str
    # A duplicate row is stored (the later line wins) but still reported.
    stored: bool = False

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return self.created + self.updated + self.unchanged


Progress = Callable[[int], None]


def _jsonl_objects(fh: IO[bytes]) -> Iterator[tuple[int, Any, str | None, int]]:
    """(line number, parsed object or None, error or None, bytes consumed) per non-blank line."""
    for number, raw in enumerate(fh, start=1):
        size = len(raw)
        if not raw.strip():
            yield number, None, None, size
            continue
        if size > MAX_LINE_BYTES:
            yield (
                number,
                None,
                f"line is too long ({size:,} bytes; at most {MAX_LINE_BYTES:,})",
                size,
            )
            continue
        try:
            # A byte-order mark (files saved by some Windows editors) is not part of the JSON.
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield number, None, f"not UTF-8 (byte {exc.start + 1}): re-save the file as UTF-8", size
            continue
        try:
            yield number, json.loads(text), None, size
        except json.JSONDecodeError as exc:
            hint = " (the file may be truncated)" if not raw.endswith(b"\n") else ""
            yield number, None, f"not valid JSON: {exc.msg} at column {exc.colno}{hint}", size
        except RecursionError:
            yield number, None, "not valid JSON: nested too deeply", size


def _is_jsonl(data: bytes) -> bool:
    """Whether the first line is a whole JSON value with more lines after it."""
    first, _, rest = data.partition(b"\n")
    if not rest.strip():
        return False
    try:
        json.loads(first.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return True


def _array_problem(exc: Exception, size: int) -> tuple[int, None, str, int]:
    if isinstance(exc, UnicodeDecodeError):
        return 1, None, f"not UTF-8 (byte {exc.start + 1}): re-save the file as UTF-8", size
    if isinstance(exc, json.JSONDecodeError):
        return exc.lineno, None, f"not valid JSON: {exc.msg} (the file may be truncated)", size
    return 1, None, "not valid JSON: nested too deeply", size


def _array_objects(fh: IO[bytes]) -> Iterator[tuple[int, Any, str | None, int]]:
    data = fh.read(MAX_ARRAY_FILE_BYTES + 1)
    if len(data) > MAX_ARRAY_FILE_BYTES:
        yield 1, None, f"JSON array file is over {MAX_ARRAY_FILE_BYTES:,} bytes: use JSONL", 0
        return
    try:
        items = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        if _is_jsonl(data):
            # One JSON value per line that happens to start with '[': read it line by line,
            # so one bad line does not cost the whole file.
            fh.seek(0)
            yield from _jsonl_objects(fh)
        else:
            yield _array_problem(exc, len(data))
        return
    if not isinstance(items, list):
        yield 1, None, "expected a JSON array of papers or one JSON object per line", len(data)
        return
    for index, item in enumerate(items, start=1):
        yield index, item, None, len(data) if index == len(items) else 0


def import_file(path: Path, *, progress: Progress | None = None) -> ImportResult:
    """Import papers from a file; bad records are reported, the rest stored.

    Records are matched to stored papers (arXiv id, then id, then title), so
    importing a file twice stores each paper once.
    """
    result = ImportResult()
    with path.open("rb") as fh:
        head = fh.read(1024).removeprefix(b"\xef\xbb\xbf").lstrip()
        fh.seek(0)
        reader = _array_objects if head.startswith(b"[") else _jsonl_objects
        seen: dict[str, int] = {}
        for number, obj, error, size in reader(fh):
            if progress:
                progress(size)
            if error is not None:
                result.problems.append(ImportProblem(number, error))
                continue
            if obj is None:
                continue
            _import_one(number, obj, result, seen)
    if result.created or result.updated:
        bump_data_version()
    return result


def _import_one(number: int, obj: Any, result: ImportResult, seen: dict[str, int]) -> None:
    try:
        record = record_from_json(obj)
    except RecordError as exc:
        result.problems.append(ImportProblem(number, str(exc)))
        return
    paper, created, changed = upsert_paper(record)
    if paper.public_id in seen:
        result.problems.append(
            ImportProblem(
                number, f"same paper as line {seen[paper.public_id]}; later line kept", True
            )
        )
    seen[paper.public_id] = number
    if created:
        result.created += 1
    elif changed:
        result.updated += 1
    else:
        result.unchanged += 1


def paper_to_json(paper: Paper) -> dict[str, Any]:
    """The export form: shared/data's fields plus everything else we know."""
    out: dict[str, Any] = {"id": paper.public_id}
    if paper.arxiv_id:
        out["arxiv_id"] = paper.arxiv_id
    out["title"] = paper.title
    out["summary"] = paper.abstract
    if paper.published_at:
        out["published_at"] = format_when(paper.published_at)
    if paper.updated_at:
        out["updated_at"] = format_when(paper.updated_at)
    authors = [
        {"name": pa.author.name, **({"affiliation": pa.affiliation} if pa.affiliation else {})}
        for pa in paper.paper_authors.all()
    ]
    if authors:
        out["authors"] = authors
    elif paper.num_authors is not None:
        out["num_authors"] = paper.num_authors
    if paper.organization:
        org = paper.organization
        out["organization"] = {"name": org.name, "fullname": org.fullname}
        if org.avatar:
            out["organization"]["avatar"] = org.avatar
    for name in ("primary_category", "comments", "journal_ref", "doi", "license"):
        if getattr(paper, name):
            out[name] = getattr(paper, name)
    for name in ("categories", "versions"):
        if getattr(paper, name):
            out[name] = getattr(paper, name)
    for name in ("code_url", "project_url", "thumbnail", "ai_summary", "ai_summary_model"):
        if getattr(paper, name):
            out[name] = getattr(paper, name)
    if paper.hub_discussion_id:
        out["discussion_id"] = paper.hub_discussion_id
    if paper.github_stars is not None:
        out["github_stars"] = paper.github_stars
    for name in ("media_urls", "ai_keywords"):
        if getattr(paper, name):
            out[name] = getattr(paper, name)
    if paper.withdrawn_at:
        out["withdrawn_at"] = iso_z(paper.withdrawn_at)
    entry: FeedEntry | None = getattr(paper, "feed_entry", None)
    if entry is not None:
        out["feed_date"] = entry.feed_date.isoformat()
        out["submitted_at"] = iso_z(entry.submitted_at)
        if entry.listed_at:
            out["listed_at"] = iso_z(entry.listed_at)
        if entry.submitter_name:
            out["submitted_by"] = entry.submitter_name
        if entry.submitter_fullname:
            out["submitted_by_fullname"] = entry.submitter_fullname
        if entry.submitter_avatar:
            out["submitted_by_avatar"] = entry.submitter_avatar
        out["upvotes"] = entry.upvotes
        out["num_comments"] = entry.num_comments
    return out


def export_papers(out: IO[str], *, batch: int = 2000) -> int:
    """Write every paper as one JSON line, oldest first. Returns how many."""
    count = 0
    last = 0
    base = (
        Paper.objects.select_related("organization", "feed_entry")
        .prefetch_related("paper_authors__author")
        .order_by("pk")
    )
    while True:
        chunk = list(base.filter(pk__gt=last)[:batch])
        if not chunk:
            return count
        for paper in chunk:
            out.write(json.dumps(paper_to_json(paper), ensure_ascii=False) + "\n")
        count += len(chunk)
        last = chunk[-1].pk
