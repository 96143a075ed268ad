"""A local stand-in for arXiv's services: real HTTP on 127.0.0.1, replies chosen per test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering (a server that hangs)
    truncate: bool = False  # promise more bytes than are sent, then close


Handler = Callable[[str, dict[str, str]], Reply]


class FakeArxiv:
    def __init__(self) -> None:
        self.handler: Handler = lambda path, params: Reply(404, b"not found")
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()
        app = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                app.requests.append((parts.path, params))
                reply = app.handler(parts.path, params)
                if reply.hang:
                    app.release.wait(reply.hang)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/xml; charset=utf-8")
                    length = len(reply.body) + (5000 if reply.truncate else 0)
                    self.send_header("Content-Length", str(length))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                    self.wfile.flush()
                    if reply.truncate:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeArxiv:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def oai_router(first: bytes, by_token: dict[str, bytes]) -> Handler:
    """ListRecords with arguments -> `first`; with a resumptionToken -> by_token[token]."""

    def handle(path: str, params: dict[str, str]) -> Reply:
        token = params.get("resumptionToken")
        if token is None:
            return Reply(body=first)
        if token in by_token:
            return Reply(body=by_token[token])
        return Reply(body=fixture("oai_bad_token.xml"))

    return handle


# Generated arXivRaw pages, for volume (the fixture files cover the protocol's cases).
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2024-02-01T00:00:00Z</responseDate>"
    '<request verb="ListRecords">http://export.arxiv.org/oai2</request><ListRecords>'
)


def raw_record(n: int) -> str:
    pid = f"2402.{n:05d}"
    return (
        f"<record><header><identifier>oai:arXiv.org:{pid}</identifier>"
        f"<datestamp>2024-02-02</datestamp><setSpec>cs</setSpec></header><metadata>"
        f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>{pid}</id><submitter>A</submitter>'
        f'<version version="v1"><date>Thu, 1 Feb 2024 10:00:00 GMT</date><size>1kb</size>'
        f"</version><title>Generated paper number {n}</title>"
        f"<authors>Author {n % 997} (Lab {n % 13}) and Coauthor {n % 89}</authors>"
        f"<categories>cs.CL cs.LG</categories><comments>{n % 30} pages</comments>"
        f"<license>http://creativecommons.org/licenses/by/4.0/</license>"
        f"<abstract>  Abstract of paper {n}, with $x^{{{n % 7}}}$ and\n  a second line.\n"
        f"</abstract></arXivRaw></metadata></record>"
    )


def raw_page(numbers: range, token: str | None, size: int) -> bytes:
    records = "".join(raw_record(n) for n in numbers)
    tok = (
        f'<resumptionToken cursor="{numbers.start}" completeListSize="{size}">{token or ""}'
        "</resumptionToken>"
    )
    return (_HEAD + records + tok + "</ListRecords></OAI-PMH>").encode()


class FakeClock:
    """monotonic() and sleep() for PoliteClient: sleeping only moves the hands."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.starts: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def stored(arxiv_id: str) -> dict[str, object]:
    """Everything stored about one paper, for exact comparisons."""
    from paperwire.papers.models import FeedEntry, Paper

    paper = Paper.objects.get(arxiv_id=arxiv_id)
    entry = FeedEntry.objects.filter(paper=paper).first()
    return {
        "public_id": paper.public_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "published_at": paper.published_at.isoformat() if paper.published_at else None,
        "updated_at": paper.updated_at.isoformat() if paper.updated_at else None,
        "primary_category": paper.primary_category,
        "categories": paper.categories,
        "versions": paper.versions,
        "comments": paper.comments,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "license": paper.license,
        "num_authors": paper.num_authors,
        "authors": [
            (pa.position, pa.author.name, pa.affiliation)
            for pa in paper.paper_authors.select_related("author")
        ],
        "feed_date": entry.feed_date.isoformat() if entry else None,
    }
