"""`paperwire ingest arxiv|status` in process: output and clear errors on bad input."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from arxiv_fake import FakeArxiv, Reply, fixture, oai_router
from django.core.management import CommandError, call_command

from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db


def ingest(*args: str) -> str:
    out = StringIO()
    call_command("ingest", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def oai_args(arxiv: FakeArxiv, *extra: str) -> list[str]:
    return [
        *("arxiv", "--source", "oai", "--base-url", arxiv.url + "/oai", "--delay", "0"),
        *("--categories", "cs.CL", "--since", "2024-01-01", "--until", "2024-01-04", *extra),
    ]


def test_ingest_then_status(arxiv: FakeArxiv) -> None:
    arxiv.handler = oai_router(
        fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("oai_raw_page2.xml")}
    )
    out = ingest(*oai_args(arxiv))
    assert out == (
        "ingest oai: 2 pages, 4 records: 2 new, 0 updated, 0 unchanged, 2 added to the feed; "
        "1 deleted records, 1 in other categories skipped\n"
    )
    status = ingest("status")
    assert "papers: 2 (2 from arXiv)" in status
    assert "newest arXiv paper: 2401.00006 (2024-01-03)" in status
    assert "oai|arXivRaw|cs|2024-01-01|2024-01-04: complete, 2 pages, 4/4 records" in status
    again = ingest(*oai_args(arxiv))
    assert "1 span(s) were already complete" in again


def test_progress_off_a_terminal_is_lines_with_the_elapsed_time(arxiv: FakeArxiv) -> None:
    # call_command's stderr is not a terminal: plain lines, not rich's last frame.
    arxiv.handler = oai_router(
        fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("oai_raw_page2.xml")}
    )
    err = StringIO()
    call_command("ingest", *oai_args(arxiv), stdout=StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    scope = "oai|arXivRaw|cs|2024-01-01|2024-01-04"
    assert lines[0].startswith(f"{scope}: ") and lines[-1].startswith(f"{scope}: 4/4, elapsed ")
    assert all(re.fullmatch(rf"{re.escape(scope)}: \d/4, elapsed 0:00:\d\d", x) for x in lines)
    assert "━" not in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-02-01", "--until", "2024-01-01"],
         "--since 2024-02-01 is after --until 2024-01-01"),
        (["--categories", "cs.CL,cs.XY"], "unknown arXiv category: cs.XY"),
        (["--categories", "cs.lg"], "unknown arXiv category: cs.lg (did you mean cs.LG?)"),
        (["--page-size", "0"], "--page-size must be between 1 and 2000"),
        (["--timeout", "0"], "--timeout must be positive"),
        (["--base-url", "localhost:8712/oai"],
         "--base-url 'localhost:8712/oai' is not an http:// or https:// URL: "
         "use e.g. https://oaipmh.arxiv.org/oai"),
        (["--base-url", "ftp://mirror/oai"], "--base-url 'ftp://mirror/oai' is not an http://"),
        (["--base-url", "http://[::1/oai"], "--base-url 'http://[::1/oai' is not an http://"),
        (["--base-url", "http://mirror:8o/oai"], "--base-url 'http://mirror:8o/oai' is not"),
        (["--base-url", "http:///oai"], "--base-url 'http:///oai' is not an http://"),
        (["--base-url", "junk"], "--base-url 'junk' is not an http://"),
    ],
)  # fmt: skip
def test_bad_arguments(arxiv: FakeArxiv, args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as err:
        ingest(*oai_args(arxiv), *args)
    assert message in str(err.value)
    assert arxiv.requests == []


def test_since_is_required_for_harvests(arxiv: FakeArxiv) -> None:
    with pytest.raises(CommandError, match="--since is required with --source api"):
        ingest("arxiv", "--source", "api", "--categories", "cs.CL", "--base-url", arxiv.url)


def test_hostile_page_is_a_clear_error_and_progress_is_kept(arxiv: FakeArxiv) -> None:
    arxiv.handler = oai_router(fixture("oai_raw_page1.xml"), {"6960524|1001": fixture("bomb.xml")})
    with pytest.raises(CommandError) as err:
        ingest(*oai_args(arxiv))
    assert str(err.value) == (
        "OAI-PMH resumptionToken: XML with a DTD or entity declarations is refused "
        "(stored progress is kept; run again to resume)"
    )
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2401.00001"]
    assert "last error: OAI-PMH resumptionToken: XML with a DTD" in ingest("status")


def test_unreachable_server(arxiv: FakeArxiv) -> None:
    arxiv.handler = lambda path, params: Reply(500, b"oops")
    with pytest.raises(CommandError, match=r"HTTP 500; gave up after 1 attempts"):
        ingest(*oai_args(arxiv, "--retries", "0"))


def test_hanging_server_is_a_timeout_not_a_hang(arxiv: FakeArxiv) -> None:
    arxiv.handler = lambda path, params: Reply(body=fixture("oai_raw_page1.xml"), hang=10)
    took = r"timed out after \d+\.\d s \(at most 0.2 s a request\); gave up after 1 attempts"
    with pytest.raises(CommandError, match=took):
        ingest(*oai_args(arxiv, "--timeout", "0.2", "--retries", "0"))
    assert Paper.objects.count() == 0


def test_truncated_response_is_reported(arxiv: FakeArxiv) -> None:
    arxiv.handler = lambda path, params: Reply(body=fixture("oai_raw_page1.xml"), truncate=True)
    with pytest.raises(CommandError, match="RemoteProtocolError"):
        ingest(*oai_args(arxiv, "--retries", "0"))


def test_a_bad_parse_ahead_setting_is_a_clear_error(arxiv: FakeArxiv, settings: Any) -> None:
    settings.PAPERWIRE_INGEST_PARSE_AHEAD = "twice"
    with pytest.raises(CommandError, match="PAPERWIRE_INGEST_PARSE_AHEAD is 'twice': use auto"):
        ingest(*oai_args(arxiv))
    assert arxiv.requests == []
