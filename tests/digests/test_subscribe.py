"""Double opt-in: subscribe, confirm by e-mail, manage and unsubscribe with signed links."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from paperwire.digests.models import Subscription
from paperwire.digests.tokens import make_token
from paperwire.mail.models import Mail
from paperwire.mail.outbox import send_due_mail

from .conftest import Inbox

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "testserver"}


def _link(inbox: Inbox, address: str, index: int = -1) -> str:
    body = inbox.to(address)[index].get_body(("plain",)).get_content()
    match = re.search(r"http://testserver(/digests/\S+)", body)
    assert match, body
    return match.group(1)


def _subscribe(client: Client, email: str, **extra: str) -> int:
    data = {"email": email, "frequency": "daily", **extra}
    return client.post("/subscribe", data, **HOST).status_code


def test_every_page_has_the_email_field(client: Client):
    page = client.get("/about", **HOST).content.decode()
    assert 'action="/subscribe"' in page and 'type="email"' in page
    form = client.get("/subscribe?email=ada%40example.org", **HOST).content.decode()
    assert 'value="ada@example.org"' in form


def test_double_opt_in(client: Client, inbox: Inbox):
    assert _subscribe(client, "Ada@Example.org", keywords="attention, diffusion") == 200
    sub = Subscription.objects.get(email="ada@example.org")
    assert sub.status == Subscription.PENDING
    assert sub.topics == {"keywords": ["attention", "diffusion"]}
    path = _link(inbox, "ada@example.org")
    assert client.get(path, **HOST).status_code == 200  # a page with a button, not a GET action
    sub.refresh_from_db()
    assert sub.status == Subscription.PENDING
    confirmed = client.post(path, **HOST)
    sub.refresh_from_db()
    assert sub.status == Subscription.ACTIVE and sub.confirmed_at is not None
    # POST/redirect/GET: reloading the page that says so does not post the form again.
    assert confirmed.status_code == 302
    manage = urlsplit(confirmed["Location"])
    assert manage.path.startswith("/digests/manage/") and manage.query == "confirmed=1"
    page = client.get(confirmed["Location"], **HOST)
    assert page.status_code == 200 and b"your subscription is confirmed" in page.content
    assert b"daily digests" in page.content
    # Only an active subscription is said to be confirmed.
    assert b"is confirmed" not in client.get(manage.path, **HOST).content
    Subscription.objects.filter(pk=sub.pk).update(status=Subscription.UNSUBSCRIBED)
    assert b"is confirmed" not in client.get(confirmed["Location"], **HOST).content
    gone = client.post(path, **HOST)
    assert gone.status_code == 302 and gone["Location"] == path
    assert b"has unsubscribed since" in client.get(path, **HOST).content
    sub.refresh_from_db()
    assert sub.status == Subscription.UNSUBSCRIBED


def test_answer_does_not_reveal_whether_address_is_known(client: Client, inbox: Inbox):
    first = client.post("/subscribe", {"email": "bob@example.org", "frequency": "daily"}, **HOST)
    Subscription.objects.filter(email="bob@example.org").update(status=Subscription.ACTIVE)
    again = client.post("/subscribe", {"email": "bob@example.org", "frequency": "weekly"}, **HOST)
    fresh = client.post("/subscribe", {"email": "eve@example.org", "frequency": "daily"}, **HOST)
    strip = lambda r: r.content.decode().replace("bob@", "X@").replace("eve@", "X@")  # noqa: E731
    assert strip(first) == strip(again) == strip(fresh)
    # The active subscriber's preferences were not changed by a stranger's form post…
    assert Subscription.objects.get(email="bob@example.org").frequency == "daily"
    # …they got a manage link instead of a confirmation link.
    assert "/digests/manage/" in _link(inbox, "bob@example.org")
    # Their digests already go out, so the mail does not claim that nothing will be sent.
    manage = inbox.to("bob@example.org")[-1].get_body(("plain",)).get_content()
    assert "your subscription stays as it is" in manage
    assert "nothing will be sent" not in manage
    confirm = inbox.to("eve@example.org")[-1].get_body(("plain",)).get_content()
    assert "nothing will be sent without confirmation" in confirm
    # Each says how long its link works (a link past it answers "this link does not work").
    assert "To confirm, open this link within 7 days:" in confirm
    assert "open this link within 30 days:" in manage


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.org\r\nBcc: victim@example.org",
        "ada@example.org\nSubject: spam",
        "not-an-address",
        "",
        "a" * 300 + "@example.org",
    ],
)
def test_hostile_addresses_are_form_errors(client: Client, inbox: Inbox, address: str):
    response = client.post("/subscribe", {"email": address, "frequency": "daily"}, **HOST)
    assert response.status_code == 400
    assert b"field-error" in response.content
    assert Subscription.objects.count() == 0
    assert Mail.objects.count() == 0


def test_too_many_topics_is_a_form_error(client: Client, inbox: Inbox):
    many = ",".join(f"w{i}" for i in range(30))
    response = client.post(
        "/subscribe", {"email": "x@example.org", "frequency": "daily", "keywords": many}, **HOST
    )
    assert response.status_code == 400 and b"at most 20" in response.content


def test_tampered_and_cross_purpose_tokens_are_refused(client: Client, inbox: Inbox):
    _subscribe(client, "ada@example.org")
    path = _link(inbox, "ada@example.org")
    token = path.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post(f"/digests/confirm/{tampered}", **HOST)
    assert response.status_code == 404 and b"not valid" in response.content
    sub = Subscription.objects.get()
    # An unsubscribe token is not a confirmation token.
    other = make_token("unsubscribe", sub.pk)
    assert client.post(f"/digests/confirm/{other}", **HOST).status_code == 404
    sub.refresh_from_db()
    assert sub.status == Subscription.PENDING


def test_expired_confirmation_link(client: Client, inbox: Inbox, monkeypatch: pytest.MonkeyPatch):
    _subscribe(client, "ada@example.org")
    path = _link(inbox, "ada@example.org")
    import paperwire.digests.tokens as tokens

    monkeypatch.setattr(tokens, "CONFIRM_MAX_AGE", -1)
    response = client.post(path, **HOST)
    assert response.status_code == 404 and b"expired" in response.content
    assert Subscription.objects.get().status == Subscription.PENDING
    assert isinstance(signing.BadSignature(), Exception)


def test_resubscribing_after_unsubscribing_needs_confirmation_again(client: Client, inbox: Inbox):
    _subscribe(client, "ada@example.org")
    client.post(_link(inbox, "ada@example.org"), **HOST)
    sub = Subscription.objects.get()
    client.post(f"/digests/unsubscribe/{make_token('unsubscribe', sub.pk)}", **HOST)
    sub.refresh_from_db()
    assert sub.status == Subscription.UNSUBSCRIBED
    _subscribe(client, "ada@example.org")
    sub.refresh_from_db()
    assert sub.status == Subscription.PENDING
    assert "/digests/confirm/" in _link(inbox, "ada@example.org")


def test_confirmation_mails_are_capped_per_day(client: Client, inbox: Inbox):
    for _ in range(6):
        _subscribe(client, "ada@example.org")
    assert len(inbox.to("ada@example.org")) == 3


def test_manage_link_changes_preferences(client: Client, inbox: Inbox):
    _subscribe(client, "ada@example.org")
    client.post(_link(inbox, "ada@example.org"), **HOST)
    sub = Subscription.objects.get()
    path = f"/digests/manage/{make_token('manage', sub.pk)}"
    page = client.get(path, **HOST).content.decode()
    assert "/feeds/subscription/" in page
    response = client.post(
        path, {"frequency": "weekly", "categories": "cs.CL, cs.LG", "authors": ""}, **HOST
    )
    # Redirected to the page that says so (reloading it sends nothing again).
    assert response.status_code == 302 and response["Location"] == f"{path}?saved=1"
    assert "Your preferences are saved." in client.get(response["Location"], **HOST).text
    assert "Your preferences are saved." not in client.get(path, **HOST).text
    sub.refresh_from_db()
    assert sub.frequency == "weekly"
    assert sub.topics == {"categories": ["cs.CL", "cs.LG"]}


def test_smtp_down_keeps_the_confirmation_in_the_outbox_until_it_is_back(
    client: Client, inbox: Inbox, settings
):
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # nothing listens there
    response = client.post("/subscribe", {"email": "ada@example.org", "frequency": "daily"}, **HOST)
    assert response.status_code == 200 and b"Check your inbox" in response.content
    assert Subscription.objects.get().status == Subscription.PENDING
    assert send_due_mail().retrying == 1
    waiting = Mail.objects.get(to_email="ada@example.org")
    assert waiting.status == Mail.QUEUED and "cannot reach the mail server" in waiting.last_error
    settings.EMAIL_PORT = real_port
    Mail.objects.update(next_attempt_at=timezone.now())  # its retry time has come
    assert "confirm your subscription" in str(inbox.to("ada@example.org")[0]["Subject"])
    assert Mail.objects.get().status == Mail.SENT


def test_links_in_confirmation_mail_are_on_the_site(client: Client, inbox: Inbox):
    _subscribe(client, "ada@example.org")
    body = inbox.to("ada@example.org")[0].get_body(("plain",)).get_content()
    for url in re.findall(r"https?://\S+", body):
        assert urlsplit(url).netloc == "testserver"


def test_the_form_offers_radio_buttons_and_shows_errors_by_their_fields(client: Client):
    page = client.get("/subscribe", **HOST).content.decode()
    radios = re.findall(r'<input type="radio" name="frequency" value="(\w+)"', page)
    assert radios == ["daily", "weekly"]
    assert re.search(r'<label class="inline" for="id_frequency_0">', page)
    assert "<option" not in page
    missing = client.post("/subscribe", {"email": "ada@example.org"}, **HOST)
    html = missing.content.decode()
    assert missing.status_code == 400
    assert "Choose how often you want a digest." in html
    # The error sits in the "How often" group, next to the radio buttons.
    group = html.split("<legend>How often</legend>", 1)[1].split("</fieldset>", 1)[0]
    assert "Choose how often" in group
