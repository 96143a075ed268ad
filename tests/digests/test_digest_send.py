"""Composing and sending digests to a real SMTP server: MIME, headers, links, exactly once."""

from __future__ import annotations

import socket
import threading
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from paperwire.digests.models import DigestMessage, Subscription

from .conftest import Inbox
from .helpers import add_papers, links, subscriber

pytestmark = pytest.mark.django_db

PERIOD = "daily:2026-01-05"


def _send(*extra: str) -> str:
    out = StringIO()
    call_command("digest", "send", "--period", PERIOD, *extra, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_digest_mime_structure_and_headers(inbox: Inbox):
    add_papers()
    subscriber("ada@example.org")
    summary = _send()
    assert "sent 1" in summary
    [mail] = inbox.messages
    assert mail.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in mail.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert mail["To"] == "ada@example.org"
    assert mail["List-Unsubscribe"].strip().startswith("<http://testserver/digests/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Message-ID"].startswith("<digest.")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Attention Is All You Need" in text and "Attention Is All You Need" in html
    # Abstract HTML is escaped in the HTML part, never live markup.
    assert "<script>" not in html and "&lt;script&gt;" in html
    # Readable with images off: no images at all; styles are inline (no <style> block).
    assert "<img" not in html and "<style" not in html


def test_every_link_in_the_digest_resolves(inbox: Inbox, client: Client):
    add_papers()
    subscriber("ada@example.org", keywords=["mixture"])
    _send()
    [mail] = inbox.messages
    urls = links(mail.get_body(("plain",)).get_content()) + links(
        mail.get_body(("html",)).get_content()
    )
    assert urls
    for url in set(urls):
        parts = urlsplit(url)
        assert parts.netloc == "testserver", url
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        assert client.get(path, HTTP_HOST="testserver").status_code == 200, url


def test_one_click_unsubscribe_post_without_cookies_or_csrf(inbox: Inbox):
    add_papers()
    subscriber("ada@example.org")
    _send()
    url = inbox.messages[0]["List-Unsubscribe"].strip().strip("<>")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        urlsplit(url).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        HTTP_HOST="testserver",
    )
    assert response.status_code == 200
    assert Subscription.objects.get().status == Subscription.UNSUBSCRIBED


def test_sending_twice_sends_nothing_twice(inbox: Inbox):
    add_papers()
    subscriber("ada@example.org")
    subscriber("bob@example.org")
    _send()
    second = _send()
    assert len(inbox.messages) == 2
    assert "already 2" in second and "sent 0" in second
    assert DigestMessage.objects.filter(status=DigestMessage.SENT).count() == 2


def test_topics_add_matching_papers(inbox: Inbox, settings):
    add_papers()
    import paperwire.digests.compose as compose

    settings.SITE_URL = "http://testserver"
    old = compose.TRENDING_COUNT
    compose.TRENDING_COUNT = 1
    try:
        subscriber("org@example.org", organizations=["tencent"])
        subscriber("plain@example.org")
        _send()
    finally:
        compose.TRENDING_COUNT = old
    org_text = inbox.to("org@example.org")[0].get_body(("plain",)).get_content()
    plain_text = inbox.to("plain@example.org")[0].get_body(("plain",)).get_content()
    assert "Matching your topics" in org_text and "Hunyuan" in org_text
    assert "Hunyuan" not in plain_text


def test_pending_and_unsubscribed_get_nothing(inbox: Inbox):
    add_papers()
    Subscription.objects.create(email="p@example.org", status=Subscription.PENDING)
    Subscription.objects.create(email="u@example.org", status=Subscription.UNSUBSCRIBED)
    _send()
    assert inbox.messages == []


def test_refused_recipient_is_a_permanent_failure(inbox: Inbox):
    add_papers()
    subscriber("gone@example.org")
    subscriber("ok@example.org")
    inbox.refuse.add("gone@example.org")
    summary = _send()
    assert "sent 1" in summary and "failed 1" in summary
    row = DigestMessage.objects.get(to_email="gone@example.org")
    assert row.status == DigestMessage.FAILED and "550" in row.last_error
    assert len(inbox.to("ok@example.org")) == 1


def test_unreachable_server_keeps_mail_queued(settings):
    add_papers()
    subscriber("ada@example.org")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    summary = _send()
    assert "will retry 1" in summary
    row = DigestMessage.objects.get()
    assert row.status == DigestMessage.QUEUED and row.last_error


def test_hanging_server_times_out_and_keeps_mail_queued(settings):
    add_papers()
    subscriber("ada@example.org")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # accepts and never says a word
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_TIMEOUT = 1
    try:
        summary = _send()
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
    assert "will retry 1" in summary
    assert DigestMessage.objects.get().status == DigestMessage.QUEUED


def test_dry_run_writes_and_sends_nothing(inbox: Inbox):
    add_papers()
    subscriber("ada@example.org")
    out = _send("--dry-run")
    assert "1 of 1 subscriber(s) would get a digest" in out
    assert DigestMessage.objects.count() == 0 and inbox.messages == []


def test_bad_period_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="does not exist"):
        call_command("digest", "send", "--period", "daily:2026-02-30")


def test_staff_preview(inbox: Inbox, admin_client: Client):
    add_papers()
    subscriber("ada@example.org")
    page = admin_client.get(
        f"/digests/preview?email=ada@example.org&period={PERIOD}", HTTP_HOST="testserver"
    )
    assert page.status_code == 200 and b"Attention Is All You Need" in page.content
    anonymous = Client().get("/digests/preview?email=ada@example.org", HTTP_HOST="testserver")
    assert anonymous.status_code == 302


def test_staff_see_digests_in_the_admin_but_cannot_add_one(admin_client: Client):
    assert admin_client.get("/admin/digests/digestmessage/").status_code == 200
    # Every field is read-only: a POST once stored a row without its next attempt (500).
    assert admin_client.get("/admin/digests/digestmessage/add/").status_code == 403
    assert admin_client.post("/admin/digests/digestmessage/add/", {"q": "x"}).status_code == 403


def test_worker_job_composes_and_sends_the_latest_day(inbox: Inbox):
    from paperwire import jobs

    add_papers()
    subscriber("ada@example.org")
    subscriber("weekly@example.org", frequency="weekly")
    first = jobs.send_digests()
    assert "sent 1" in first  # the daily digest; last week holds no papers
    assert [str(m["To"]) for m in inbox.messages] == ["ada@example.org"]
    assert DigestMessage.objects.get(to_email="ada@example.org").period == PERIOD
    # Run again (a second worker, a restart): nothing more is sent.
    assert "sent 0" in jobs.send_digests()
    assert len(inbox.messages) == 1


def test_worker_poll_retries_due_mail(inbox: Inbox, settings):
    from paperwire import jobs

    add_papers()
    subscriber("ada@example.org")
    settings.EMAIL_PORT = 9  # down for the first attempt
    assert "will retry 1" in _send()
    assert jobs.retry_due_mail() is None  # not due yet: backoff
    DigestMessage.objects.update(next_attempt_at=timezone.now())
    settings.EMAIL_PORT = inbox.port
    assert "sent 1" in (jobs.retry_due_mail() or "")
    assert len(inbox.messages) == 1


def test_keyword_topics_are_saved_searches(inbox: Inbox, monkeypatch: pytest.MonkeyPatch):
    import paperwire.digests.compose as compose

    add_papers()
    monkeypatch.setattr(compose, "TRENDING_COUNT", 1)  # trending: the attention paper only
    subscriber("stem@example.org", keywords=["expert"])  # stemmed: matches "experts"
    subscriber("excluded@example.org", keywords=["experts -mixture"])
    subscriber("phrase@example.org", keywords=['"large mixture"'])
    _send()

    def text(address: str) -> str:
        return str(inbox.to(address)[0].get_body(("plain",)).get_content())

    assert "Hunyuan" in text("stem@example.org")
    assert "Hunyuan" in text("phrase@example.org")
    assert "Hunyuan" not in text("excluded@example.org")


def test_abstracts_in_mail_read_as_text(inbox: Inbox):
    from paperwire.papers.models import Paper

    add_papers()
    Paper.objects.filter(arxiv_id="1706.03762").update(
        abstract=r"A na\"ive \textbf{2$\times$} speed-up at 91\% accuracy."
    )
    subscriber("ada@example.org")
    _send()
    [mail] = inbox.messages
    for part in ("plain", "html"):
        body = mail.get_body((part,)).get_content()
        assert "A naïve 2\u00d7 speed-up at 91% accuracy." in body, part
        assert r"\textbf" not in body, part


def test_titles_in_mail_read_as_text(inbox: Inbox):
    from paperwire.papers.models import Paper

    add_papers()
    paper = Paper.objects.get(arxiv_id="1706.03762")
    paper.title = r"Schr\"odinger bridges are na\"ive at 90\% $\times$ 2 <b>"
    paper.save(update_fields=["title"])
    subscriber("ada@example.org")
    _send()
    [mail] = inbox.messages
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "1. Schrödinger bridges are naïve at 90% \u00d7 2 <b>\r\n" in plain
    assert ">Schrödinger bridges are naïve at 90% \u00d7 2 &lt;b&gt;</a>" in html
    assert r"na\"ive" not in plain + html and "na\\&quot;ive" not in html
