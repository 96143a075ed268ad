"""A daily list in the Hub's shape, with every key its description lists, imported with
`paperwire import` and read back through the real huggingface_hub client from a real
`paperwire serve`, field by field; then exported and imported again unchanged."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from hubspec import HUB_DAILY_FILE
from support import copy_database, run_cli, serving

pytestmark = pytest.mark.slow

HUB = json.loads(HUB_DAILY_FILE.read_text("utf-8"))
FIRST, SECOND = HUB


def utc(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def hub_site(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    data_dir = copy_database(migrated_template, tmp_path_factory.mktemp("hub-site"))
    done = run_cli("import", str(HUB_DAILY_FILE), data_dir=data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    with serving(data_dir) as server:
        yield server.url, data_dir


@pytest.fixture(scope="module")
def hf(hub_site: tuple[str, Path]) -> HfApi:
    return HfApi(endpoint=hub_site[0], token=False)


def test_the_site_holds_only_the_hub_papers(hf: HfApi) -> None:
    assert {p.id for p in hf.list_daily_papers()} == {FIRST["paper"]["id"], SECOND["paper"]["id"]}


def test_daily_papers_field_by_field(hf: HfApi) -> None:
    papers = {p.id: p for p in hf.list_daily_papers(date="2026-03-06")}
    # The feed day is the day it was submitted, not the outer publishedAt (Feb 26).
    assert set(papers) == {"2602.23456", "2603.01234"}
    assert list(hf.list_daily_papers(date="2026-02-26")) == []
    info = papers["2602.23456"]
    paper = FIRST["paper"]
    assert info.title == FIRST["title"]
    assert info.summary == paper["summary"]
    assert info.published_at == utc(paper["publishedAt"])
    assert info.upvotes == paper["upvotes"]
    assert info.discussion_id == paper["discussionId"]
    assert info.comments == FIRST["numComments"]
    # The client reads the outer publishedAt as the submission time, on the Hub too.
    assert info.submitted_at == utc(FIRST["publishedAt"])
    by = FIRST["submittedBy"]
    assert info.submitted_by is not None
    assert info.submitted_by.username == by["user"]
    assert info.submitted_by.fullname == by["fullname"] == "Marco Garosi"
    assert info.submitted_by.avatar_url == by["avatarUrl"]
    assert info.organization is not None
    assert info.organization.name == FIRST["organization"]["name"]
    assert info.organization.fullname == FIRST["organization"]["fullname"]
    assert info.organization.avatar == FIRST["organization"]["avatar"]
    assert [a.name for a in info.authors or []] == [a["name"] for a in paper["authors"]]
    assert info.thumbnail == FIRST["thumbnail"]  # type: ignore[attr-defined]
    assert info.mediaUrls == FIRST["mediaUrls"]  # type: ignore[attr-defined]
    second = papers["2603.01234"]
    assert second.submitted_by is not None and second.submitted_by.fullname == "AK"
    assert second.submitted_at == utc(SECOND["publishedAt"])


def test_paper_info_field_by_field(hf: HfApi) -> None:
    info = hf.paper_info("2602.23456")
    paper = FIRST["paper"]
    assert info.submitted_at == utc(paper["submittedOnDailyAt"])
    assert info.project_page == paper["projectPage"]
    assert info.github_repo == paper["githubRepo"]
    assert info.github_stars == paper["githubStars"]
    assert info.ai_summary == paper["ai_summary"]
    assert info.ai_keywords == paper["ai_keywords"]
    assert info.discussion_id == paper["discussionId"]
    assert info.organization is not None
    assert info.organization.avatar == paper["organization"]["avatar"]
    assert info.submitted_by is not None and info.submitted_by.fullname == "Marco Garosi"
    extra: Any = info
    assert extra.mediaUrls == paper["mediaUrls"]
    assert extra.withdrawnAt == paper["withdrawnAt"]
    assert extra.ai_summary_model == paper["ai_summary_model"]
    assert info.linked_models == [] and info.num_total_models == 0
    assert hf.paper_info("2602.23456v2").id == "2602.23456"
    assert "Sparse linear probes" in hf.read_paper("2602.23456v1")


def test_export_then_import_is_the_identity(
    hub_site: tuple[str, Path], migrated_template: Path, tmp_path: Path
) -> None:
    _, data_dir = hub_site
    first = tmp_path / "first.jsonl"
    done = run_cli("export", str(first), data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    exported = [json.loads(line) for line in first.read_text("utf-8").splitlines()]
    hub = next(row for row in exported if row["id"] == "2602.23456")
    assert hub["feed_date"] == "2026-03-06"
    assert hub["submitted_by_fullname"] == "Marco Garosi"
    assert hub["discussion_id"] == FIRST["paper"]["discussionId"]
    assert hub["media_urls"] == FIRST["mediaUrls"] and hub["thumbnail"] == FIRST["thumbnail"]
    assert hub["github_stars"] == 311 and hub["ai_keywords"] == FIRST["paper"]["ai_keywords"]

    other = copy_database(migrated_template, tmp_path / "other-site")
    for args in (("import", str(first)), ("export", str(tmp_path / "again.jsonl"))):
        done = run_cli(*args, data_dir=other)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "again.jsonl").read_text("utf-8") == first.read_text("utf-8")
