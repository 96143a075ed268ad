"""The real Hugging Face client (huggingface_hub, pinned in pyproject.toml) against a real
`paperwire serve`: HfApi(endpoint=…) and the `hf papers` CLI with HF_ENDPOINT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import huggingface_hub
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from paperwire.papers.ids import short_id

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DEMO_ROWS = [
    json.loads(line)
    for line in (REPO / "src" / "paperwire" / "data" / "demo_papers.jsonl").open(encoding="utf-8")
]
TITLES_BY_DATE: dict[str, set[str]] = defaultdict(set)
for _row in DEMO_ROWS:
    TITLES_BY_DATE[_row["feed_date"]].add(_row["title"])

CLUE = "CLUE: Non-parametric Verification from Experience via Hidden-State Clustering"


def test_the_pinned_client_version_is_installed() -> None:
    assert huggingface_hub.__version__ == "2.4.0"


@pytest.fixture(scope="module")
def hf(live_paperwire) -> HfApi:
    return HfApi(endpoint=live_paperwire.url, token=False)


def test_list_daily_papers_by_date(hf: HfApi) -> None:
    for date, titles in TITLES_BY_DATE.items():
        papers = list(hf.list_daily_papers(date=date, limit=100))
        assert {p.title for p in papers} == titles, date
        assert len(papers) == len(titles)


def test_list_daily_papers_by_week_and_month(hf: HfApi) -> None:
    january = TITLES_BY_DATE["2026-01-05"] | TITLES_BY_DATE["2026-01-07"]
    assert {p.title for p in hf.list_daily_papers(week="2026-W02")} == january
    assert {p.title for p in hf.list_daily_papers(month="2026-01")} == january
    february = {p.title for p in hf.list_daily_papers(month="2026-02", limit=100)}
    assert february == TITLES_BY_DATE["2026-02-03"]
    assert list(hf.list_daily_papers(week="2026-W03")) == []


def test_list_daily_papers_sorted_and_paged(hf: HfApi) -> None:
    trending = list(hf.list_daily_papers(date="2026-06-11", sort="trending", limit=100))
    assert {p.title for p in trending} == TITLES_BY_DATE["2026-06-11"]
    # One feed day, one submission time: trending is upvote order.
    upvotes = [p.upvotes or 0 for p in trending]  # the client reads 0 upvotes as None
    assert upvotes == sorted(upvotes, reverse=True)

    first = list(hf.list_daily_papers(date="2026-02-03", p=0, limit=30))
    second = list(hf.list_daily_papers(date="2026-02-03", p=1, limit=30))
    assert (len(first), len(second)) == (30, 23)
    assert {p.title for p in first + second} == TITLES_BY_DATE["2026-02-03"]


def test_items_parse_into_paper_info(hf: HfApi) -> None:
    (clue,) = [p for p in hf.list_daily_papers(date="2026-01-05") if p.title == CLUE]

    assert clue.id == short_id(CLUE)
    assert clue.published_at is not None and clue.published_at.isoformat() == (
        "2025-10-01T00:00:00+00:00"
    )
    assert clue.submitted_at is not None and clue.submitted_at.date().isoformat() == "2026-01-05"
    assert clue.organization is not None and clue.organization.name == "tencent"
    assert clue.upvotes == 1


def test_paper_info_and_read_paper(hf: HfApi) -> None:
    info = hf.paper_info(short_id(CLUE))
    assert info.title == CLUE
    assert info.id == short_id(CLUE)

    markdown = hf.read_paper(short_id(CLUE))
    assert markdown.startswith(f"# {CLUE}\n")
    assert "## Abstract" in markdown


def test_unknown_paper_is_a_404_for_the_client(hf: HfApi) -> None:
    with pytest.raises(HfHubHTTPError) as failure:
        hf.paper_info("2401.99999")
    assert failure.value.response.status_code == 404


def test_a_bad_date_is_a_clear_client_error(hf: HfApi) -> None:
    with pytest.raises(HfHubHTTPError) as failure:
        list(hf.list_daily_papers(date="2023-02-30"))
    assert failure.value.response.status_code == 400
    assert "does not exist" in failure.value.response.json()["error"]


def hf_cli(live_paperwire, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=live_paperwire.url,
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_UPDATE_CHECK="1",
        NO_COLOR="1",
    )
    return subprocess.run(
        [str(Path(sys.executable).parent / "hf"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hf_papers_ls(live_paperwire, tmp_path: Path) -> None:
    done = hf_cli(
        live_paperwire, tmp_path, "papers", "ls", "--date", "2026-01-07", "--format", "json"
    )

    assert done.returncode == 0, done.stderr
    papers = json.loads(done.stdout)
    assert {p["title"] for p in papers} == TITLES_BY_DATE["2026-01-07"]


def test_hf_papers_ls_by_week(live_paperwire, tmp_path: Path) -> None:
    done = hf_cli(live_paperwire, tmp_path, "papers", "ls", "--week", "2026-W02", "--json")

    assert done.returncode == 0, done.stderr
    titles = {p["title"] for p in json.loads(done.stdout)}
    assert titles == TITLES_BY_DATE["2026-01-05"] | TITLES_BY_DATE["2026-01-07"]


def test_hf_papers_info(live_paperwire, tmp_path: Path) -> None:
    done = hf_cli(live_paperwire, tmp_path, "papers", "info", short_id(CLUE), "--format", "json")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["title"] == CLUE
    plain = hf_cli(live_paperwire, tmp_path, "papers", "info", short_id(CLUE))
    assert plain.returncode == 0 and CLUE in plain.stdout


# --- every HfApi papers method and `hf papers` command, errors included ----------------


def test_paper_info_has_the_hubs_keys(hf: HfApi) -> None:
    info = hf.paper_info(short_id(CLUE))
    assert info.linked_models == [] and info.num_total_models == 0
    assert info.linked_datasets == [] and info.num_total_datasets == 0
    assert info.linked_spaces == []
    assert info.discussion_id is not None and len(info.discussion_id) == 24
    assert info.organization is not None and info.organization.avatar == ""
    assert info.organization.name == "tencent"
    assert info.submitted_by is not None and info.submitted_by.username == "paperwire"


def test_list_papers_searches(hf: HfApi) -> None:
    found = list(hf.list_papers(query="verification hidden states", limit=5))
    assert 0 < len(found) <= 5
    assert CLUE in {p.title for p in found}
    assert len(list(hf.list_papers(query="model", limit=120))) <= 120


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda api: list(api.list_papers(query="x", limit=121)), 400),
        (lambda api: list(api.list_papers(query="x" * 251)), 400),
        (lambda api: list(api.list_daily_papers(week="2026-W53")), 400),
        (lambda api: list(api.list_daily_papers(limit=101)), 400),
        (lambda api: api.paper_info("pwaaaaaaaaaa"), 404),
        (lambda api: api.read_paper("2401.99999"), 404),
    ],
)
def test_client_errors_are_the_hubs_exceptions(hf: HfApi, call, status: int) -> None:
    with pytest.raises(HfHubHTTPError) as failure:
        call(hf)
    assert failure.value.response.status_code == status
    if "/api/" in str(failure.value.response.url):
        assert "error" in failure.value.response.json()


def test_list_daily_papers_every_argument(hf: HfApi) -> None:
    january = TITLES_BY_DATE["2026-01-05"]
    by_all = list(
        hf.list_daily_papers(
            date="2026-01-05", week="2026-W02", month="2026-01", submitter="paperwire",
            sort="publishedAt", p=0, limit=100,
        )
    )  # fmt: skip
    assert {p.title for p in by_all} == january
    assert list(hf.list_daily_papers(date="2026-01-05", submitter="nobody")) == []


def test_hf_papers_search(live_paperwire, tmp_path: Path) -> None:
    done = hf_cli(
        live_paperwire, tmp_path, "papers", "search", "hidden state verification", "--limit",
        "120", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert CLUE in {p["title"] for p in json.loads(done.stdout)}


def test_hf_papers_read(live_paperwire, tmp_path: Path) -> None:
    done = hf_cli(live_paperwire, tmp_path, "papers", "read", short_id(CLUE))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"# {CLUE}")
    assert "metadata and abstract only" in done.stdout


@pytest.mark.parametrize("command", ["info", "read"])
def test_hf_papers_unknown_id_is_not_found(live_paperwire, tmp_path: Path, command: str) -> None:
    done = hf_cli(live_paperwire, tmp_path, "papers", command, "2401.99999")
    assert done.returncode != 0
    assert "not found" in (done.stdout + done.stderr)


def test_hf_papers_ls_bad_date_fails_with_the_message(live_paperwire, tmp_path: Path) -> None:
    done = hf_cli(live_paperwire, tmp_path, "papers", "ls", "--date", "2023-02-30")
    assert done.returncode != 0
    assert "does not exist" in done.stdout + done.stderr


def test_markdown_by_accept_header(live_paperwire) -> None:
    status, body = live_paperwire.get(
        f"/papers/{short_id(CLUE)}", headers={"Accept": "text/markdown"}
    )
    assert status == 200 and body.decode().startswith(f"# {CLUE}")
    status, body = live_paperwire.get(f"/papers/{short_id(CLUE)}", headers={"Accept": "text/html"})
    assert status == 200 and body.lstrip().startswith(b"<!")
