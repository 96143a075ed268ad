"""Reply notifications: who a comment notifies and why (once, the most specific reason,
never oneself), what /notifications shows of a hidden or deleted comment, read marks,
the header's count, the mail (sanitized, its links, the one-click off link, the setting,
the rate limit, no mail to unverified accounts), the data export and account deletion."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from paperwire.community import actions
from paperwire.community.models import AuthorClaim, Comment, Notification, Profile
from paperwire.community.ratelimit import Limit
from paperwire.mail.models import Mail
from paperwire.papers.models import Author, FeedEntry, Paper
from paperwire.userdata.deletion import delete_account
from support import client_of, delivered_mail, mails_to

pytestmark = pytest.mark.django_db

PAPER = "/papers/2401.01234"


def post(client: Client, body: str, parent: Comment | None = None) -> Comment:
    data = {"body": body} if parent is None else {"body": body, "parent": str(parent.pk)}
    response = client.post(f"{PAPER}/comments", data)
    assert response.status_code == 302, response.content
    return Comment.objects.latest("pk")


def html_of(message: Any) -> str:
    (html,) = [body for body, kind in message.alternatives if kind == "text/html"]
    return str(html)


@pytest.fixture(autouse=True)
def _site_url(settings) -> None:
    """Links in mails are made outside a request, from SITE_URL."""
    settings.SITE_URL = "http://127.0.0.1"


def test_a_reply_notifies_the_comment_s_author_and_mails_them(
    ada: User, bob: User, feed_paper: Paper
) -> None:
    mine = post(client_of(ada), "Does this scale?")
    words = (
        "Yes: see <script>alert(1)</script> and **section 4**.\n\n[the code](https://example.org)"
    )
    reply = post(client_of(bob), words, mine)

    (note,) = Notification.objects.all()
    assert (note.recipient, note.comment, note.reason) == (ada, reply, Notification.REPLY)
    (mail,) = mails_to("ada@example.org")
    assert mail.subject == f"bob replied to your comment on “{feed_paper.readable_title}”"
    link = f"http://127.0.0.1{PAPER}#c{reply.pk}"
    assert link in mail.body and f'href="{link}"' in html_of(mail)
    # The comment's words as plain text: no Markdown, no markup, nothing executable.
    assert "> Yes: see <script>alert(1)</script> and section 4. the code" in mail.body
    assert "section 4**" not in mail.body and "<strong>section" not in html_of(mail)
    assert "<script>" not in html_of(mail) and "&lt;script&gt;alert(1)" in html_of(mail)
    off = re.search(r"http://127\.0\.0\.1(/notifications/mail-off/\S+)", mail.body)
    assert off and mail.extra_headers["List-Unsubscribe"] == f"<http://127.0.0.1{off[1]}>"
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "http://127.0.0.1/settings#notify-h" in mail.body

    # Nobody else was told: bob of his own reply, nor anyone of ada's first comment.
    assert not mails_to("bob@example.org")


def test_nobody_is_notified_of_their_own_doing(ada: User, feed_paper: Paper) -> None:
    FeedEntry.objects.filter(paper=feed_paper).update(submitted_by=ada)
    author = Author.objects.get(name="Ada Lovelace")
    AuthorClaim.objects.create(user=ada, author=author, status=AuthorClaim.APPROVED)
    mine = post(client_of(ada), "A note on my own paper")
    post(client_of(ada), "And a reply to myself", mine)
    assert not Notification.objects.exists()
    assert not mails_to("ada@example.org")


def test_one_notification_each_with_the_most_specific_reason(
    make_member, ada: User, bob: User, feed_paper: Paper
) -> None:
    carl, dora, erin = make_member("carl"), make_member("dora"), make_member("erin")
    FeedEntry.objects.filter(paper=feed_paper).update(submitted_by=carl)
    lovelace, turing = (
        Author.objects.get(name="Ada Lovelace"),
        Author.objects.get(name="Alan Turing"),
    )
    AuthorClaim.objects.create(user=dora, author=turing, status=AuthorClaim.APPROVED)
    # A claim staff have not approved (or rejected) makes nobody an author.
    AuthorClaim.objects.create(user=erin, author=lovelace, status=AuthorClaim.PENDING)
    AuthorClaim.objects.create(user=bob, author=lovelace, status=AuthorClaim.REJECTED)

    top = post(client_of(ada), "A question for the authors")
    assert {(n.recipient.username, n.reason) for n in Notification.objects.all()} == {
        ("carl", Notification.SUBMITTED),
        ("dora", Notification.AUTHORED),
    }
    Notification.objects.all().delete()

    # Dora submitted it too, and wrote the comment replied to: one notification, a reply.
    FeedEntry.objects.filter(paper=feed_paper).update(submitted_by=dora)
    theirs = post(client_of(dora), "Thank you; we are on it")
    Notification.objects.all().delete()
    post(client_of(bob), "Will the code be released?", theirs)
    assert [(n.recipient.username, n.reason) for n in Notification.objects.all()] == [
        ("dora", Notification.REPLY)
    ]
    Notification.objects.all().delete()

    # Submitter and author at once: one notification, as the author.
    AuthorClaim.objects.filter(user=dora).update(author=lovelace)
    post(client_of(bob), "Another question", top)
    assert sorted((n.recipient.username, n.reason) for n in Notification.objects.all()) == [
        ("ada", Notification.REPLY),
        ("dora", Notification.AUTHORED),
    ]


def test_a_comment_posted_again_notifies_once(ada: User, bob: User, feed_paper: Paper) -> None:
    mine = post(client_of(ada), "Hello")
    replier = client_of(bob)
    post(replier, "Hi!", mine)
    post(replier, "Hi!", mine)  # the form sent twice: the same comment
    assert Notification.objects.count() == 1 and len(mails_to("ada@example.org")) == 1


def test_inactive_or_unverified_members(make_member, ada: User, bob: User, feed_paper) -> None:
    mine = post(client_of(ada), "Hello")
    # Unverified address: the notification, but no mail.
    Profile.objects.filter(user=ada).update(email_verified=False)
    post(client_of(bob), "One", mine)
    assert Notification.objects.filter(recipient=ada).count() == 1
    assert not mails_to("ada@example.org")
    # A suspended (inactive) account is not notified at all.
    User.objects.filter(pk=ada.pk).update(is_active=False)
    Profile.objects.filter(user=ada).update(suspended=True, email_verified=True)
    post(client_of(bob), "Two", mine)
    assert Notification.objects.filter(recipient=ada).count() == 1
    assert not mails_to("ada@example.org")


def test_mails_are_rate_limited_but_notifications_are_not(
    ada: User, bob: User, feed_paper: Paper, settings
) -> None:
    mine = post(client_of(ada), "Hello")
    replier = client_of(bob)
    for n in range(3):
        post(replier, f"Reply {n}", mine)
    assert Notification.objects.filter(recipient=ada).count() == 3
    assert len(mails_to("ada@example.org")) == 1, "one mail per five minutes"
    settings.PAPERWIRE_RATE_LIMITS = {"reply-mail": Limit(10, 300)}
    post(replier, "Reply 4", mine)
    assert len(mails_to("ada@example.org")) == 2


def test_turning_reply_mails_off_in_settings(ada: User, bob: User, feed_paper: Paper) -> None:
    reader = client_of(ada)
    page = reader.get("/settings").content.decode()
    assert 'name="email_on_reply" id="email-on-reply" checked' in page
    # The form needs its CSRF token.
    strict = client_of(ada, enforce_csrf_checks=True)
    assert strict.post("/settings/notifications", {}).status_code == 403
    assert Profile.objects.get(user=ada).email_on_reply
    assert reader.get("/settings/notifications").status_code == 405

    done = reader.post("/settings/notifications", {})  # the box unticked
    assert done.status_code == 302 and done["Location"] == "/settings#notify-h"
    assert not Profile.objects.get(user=ada).email_on_reply
    assert "checked" not in reader.get("/settings").content.decode().split("email-on-reply")[1][:30]
    mine = post(reader, "Hello")
    post(client_of(bob), "A reply nobody mails", mine)
    assert Notification.objects.filter(recipient=ada).count() == 1
    assert not mails_to("ada@example.org")

    reader.post("/settings/notifications", {"email_on_reply": "on"})
    assert Profile.objects.get(user=ada).email_on_reply


def test_the_mail_s_one_click_link(ada: User, bob: User, feed_paper: Paper) -> None:
    post(client_of(bob), "Hi", post(client_of(ada), "Hello"))
    (mail,) = mails_to("ada@example.org")
    path = mail.extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1")
    # A mail scanner's GET changes nothing; it shows a button.
    anonymous = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200 and "Turn reply e-mails off" in page.content.decode()
    assert Profile.objects.get(user=ada).email_on_reply
    # RFC 8058: the mail program's POST, with no cookie and no CSRF token.
    done = anonymous.post(path, "List-Unsubscribe=One-Click", content_type="text/plain")
    assert done.status_code == 200 and "no more e-mails" in done.content.decode()
    assert not Profile.objects.get(user=ada).email_on_reply
    # A cut or altered link, or one made for something else, does nothing.
    assert anonymous.post(path[:-3]).status_code == 404
    assert anonymous.post("/notifications/mail-off/not-a-token").status_code == 404


def test_the_page_needs_a_member(ada: User, bob: User, feed_paper: Paper) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    response = anonymous.get("/notifications")
    assert response.status_code == 302 and response["Location"] == "/login?next=/notifications"
    post(client_of(bob), "Hi", post(client_of(ada), "Hello"))
    note = Notification.objects.get()
    assert anonymous.get(f"/notifications/{note.pk}")["Location"].startswith("/login?next=")
    # Another member's notification is not there for bob.
    assert client_of(bob).get(f"/notifications/{note.pk}").status_code == 404
    assert note.read_at is None


def test_the_list_the_header_and_read_marks(ada: User, bob: User, feed_paper: Paper) -> None:
    reader = client_of(ada)
    before = reader.get("/").content.decode()
    assert 'class="nav-count"' not in before and 'href="/notifications"' in before
    reply = post(client_of(bob), "Have you tried *more data*?", post(reader, "Hello"))
    note = Notification.objects.get()

    header = reader.get("/").content.decode()
    assert '<span class="nav-count">1<span class="visually-hidden"> unread</span></span>' in header
    page = reader.get("/notifications")
    html = " ".join(page.content.decode().split())
    assert page["Cache-Control"] == "private, no-store"
    assert 'class="notification unread"' in html and ">New</span>" in html
    assert "bob</a> replied to your comment on" in html
    assert f'href="/notifications/{note.pk}"' in html and feed_paper.readable_title in html
    assert "Have you tried more data?" in html and "<em>" not in html.split("notification-list")[1]
    # Looking at the list marks nothing read.
    note.refresh_from_db()
    assert note.read_at is None

    # Opening one marks it read and goes to the comment.
    opened = reader.get(f"/notifications/{note.pk}")
    assert opened.status_code == 302 and opened["Location"] == reply.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'class="nav-count"' not in reader.get("/").content.decode()
    assert 'class="notification unread"' not in reader.get("/notifications").content.decode()


def test_mark_all_as_read_is_a_post_with_its_csrf_token(
    ada: User, bob: User, feed_paper: Paper
) -> None:
    mine = post(client_of(ada), "Hello")
    for n in range(2):
        post(client_of(bob), f"Reply {n}", mine)
    strict = client_of(ada, enforce_csrf_checks=True)
    page = strict.get("/notifications").content.decode()
    assert 'action="/notifications/read"' in page and "csrfmiddlewaretoken" in page
    assert strict.post("/notifications/read").status_code == 403
    assert strict.get("/notifications/read").status_code == 405
    assert Notification.objects.filter(read_at__isnull=True).count() == 2

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    done = strict.post("/notifications/read", {"csrfmiddlewaretoken": token[1]})
    assert done.status_code == 302 and done["Location"] == "/notifications"
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "Mark all as read" not in strict.get("/notifications").content.decode()


def test_a_hidden_comment_shows_as_the_thread_shows_it(
    ada: User, bob: User, feed_paper: Paper
) -> None:
    reader = client_of(ada)
    reply = post(client_of(bob), "Something rude", post(reader, "Hello"))
    actions.set_comment_hidden(reply, True)
    html = reader.get("/notifications").content.decode()
    assert "[hidden by moderators]" in html and "A reply to your comment" in html
    assert "Something rude" not in html and "bob" not in html.split("notification-list")[1]
    assert 'class="notification unread"' not in html
    assert 'class="nav-count"' not in reader.get("/").content.decode()

    actions.set_comment_hidden(reply, False)
    html = reader.get("/notifications").content.decode()
    assert "Something rude" in html and 'class="notification unread"' in html


@pytest.mark.parametrize("how", ["deleted by its author", "hidden by moderators"])
def test_a_mail_still_waiting_is_not_sent_once_its_comment_is_gone(
    how: str, make_member, ada: User, bob: User, feed_paper: Paper
) -> None:
    """The mail server was down: the mails wait in the outbox, and this one must not go."""
    carl = make_member("carl")
    mine = post(client_of(ada), "Hello")
    spam = post(client_of(bob), "Buy cheap things", mine)
    kept = post(client_of(carl), "An answer", post(client_of(bob), "A question of my own"))
    assert Mail.objects.filter(kind="reply", status=Mail.QUEUED).count() == 2
    if how == "deleted by its author":
        client_of(bob).post(f"/comments/{spam.pk}/delete")
    else:
        actions.set_comment_hidden(spam, True)
    assert [m.to for m in delivered_mail()] == [["bob@example.org"]]
    assert kept.notifications.exists()


def test_a_deleted_comment_takes_its_notification(ada: User, bob: User, feed_paper) -> None:
    reply = post(client_of(bob), "Oops, wrong thread", post(client_of(ada), "Hello"))
    assert Notification.objects.filter(recipient=ada).exists()
    assert client_of(bob).post(f"/comments/{reply.pk}/delete").status_code == 302
    assert not Notification.objects.exists()
    assert "Oops" not in client_of(ada).get("/notifications").content.decode()


def test_a_hidden_paper_s_notifications_are_not_listed(ada: User, bob: User, feed_paper) -> None:
    reply = post(client_of(bob), "Hi", post(client_of(ada), "Hello"))
    Paper.objects.filter(pk=feed_paper.pk).update(hidden=True)
    reader = client_of(ada)
    assert "empty" in reader.get("/notifications").content.decode()
    assert reader.get(f"/notifications/{reply.notifications.get().pk}").status_code == 404


def test_a_suspended_member_s_comment_stays_as_in_the_thread(
    ada: User, bob: User, feed_paper: Paper
) -> None:
    post(client_of(bob), "Still here", post(client_of(ada), "Hello"))
    User.objects.filter(pk=bob.pk).update(is_active=False)
    Profile.objects.filter(user=bob).update(suspended=True)
    html = client_of(ada).get("/notifications").content.decode()
    assert "Still here" in html and '<span class="notification-who">bob</span>' in html
    assert 'href="/u/bob"' not in html, "a suspended member's profile is not shown"


def test_pages_of_notifications(ada: User, bob: User, feed_paper: Paper) -> None:
    mine = post(client_of(ada), "Hello")
    replies = Comment.objects.bulk_create(
        Comment(paper=feed_paper, author=bob, parent=mine, body=f"r{n}", body_html=f"<p>r{n}</p>")
        for n in range(26)
    )
    Notification.objects.bulk_create(
        Notification(recipient=ada, comment=c, reason=Notification.REPLY) for c in replies
    )
    reader = client_of(ada)
    first = reader.get("/notifications").content.decode()
    assert first.count('<li class="notification') == 25 and 'href="/notifications?page=2"' in first
    second = reader.get("/notifications?page=2").content.decode()
    assert second.count('<li class="notification') == 1
    for bad in ("abc", "0", "-1", "1.5", "²", "9" * 40):
        assert reader.get("/notifications", {"page": bad}).status_code == 400, bad
    assert reader.get("/notifications?page=3").status_code == 404
    assert '<span class="nav-count">26<' in first
    # The list is read in a fixed number of queries, however many entries it shows.
    with CaptureQueriesContext(connection) as queries:
        reader.get("/notifications?page=2")
    few = len(queries)
    with CaptureQueriesContext(connection) as queries:
        reader.get("/notifications")
    assert len(queries) == few, [q["sql"] for q in queries.captured_queries]
    Notification.objects.bulk_create(
        Notification(recipient=ada, comment=c, reason=Notification.REPLY)
        for c in Comment.objects.bulk_create(
            Comment(paper=feed_paper, author=bob, parent=mine, body="x", body_html="<p>x</p>")
            for _ in range(80)
        )
    )
    assert '<span class="nav-count">99+<' in reader.get("/").content.decode()


def test_the_data_export_and_account_deletion(
    make_member, ada: User, bob: User, feed_paper: Paper
) -> None:
    carl = make_member("carl")
    mine = post(client_of(ada), "Hello")
    post(client_of(bob), "From bob", mine)
    from_carl = post(client_of(carl), "From carl", mine)
    client_of(ada).get(f"/notifications/{from_carl.notifications.get().pk}")

    data = json.loads(client_of(ada).get("/settings/my-data.json").content)
    assert data["profile"]["email_on_reply"] is True
    got = [
        (n["comment"], n["paper"], n["reason"], n["read_at"] is None) for n in data["notifications"]
    ]
    assert got == [
        (from_carl.pk - 1, "2401.01234", "reply", True),
        (from_carl.pk, "2401.01234", "reply", False),
    ]
    assert "From bob" not in json.dumps(data["notifications"]), "bob's words are bob's"

    # Bob leaves: what his comments made for others goes with him.
    delete_account(User.objects.get(username="bob"))
    assert list(Notification.objects.values_list("comment__author__username", flat=True)) == [
        "carl"
    ]
    # Ada leaves: hers go too.
    delete_account(ada)
    assert not Notification.objects.exists()
