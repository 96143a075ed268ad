"""@mentions in comments: which names become links (real, active members only; not in
code, links, addresses or URLs), that hostile text stays inert, the cap and the single
query, the notification and its mail (reason, precedence, never oneself, the opt-out
and the rate limit), edits that add a mention, account deletion and suspension, and the
API's absolute links. On SQLite and PostgreSQL (case-insensitive names differ there)."""

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
from paperwire.community.mentions import render_comment
from paperwire.community.models import AuthorClaim, Comment, Notification, Profile
from paperwire.community.ratelimit import Limit
from paperwire.community.text import MAX_MENTIONS
from paperwire.papers.models import Author, FeedEntry, Paper
from paperwire.userdata.deletion import delete_account
from support import client_of, mails_to

from .test_security import assert_inert

pytestmark = pytest.mark.django_db

PAPER = "/papers/2401.01234"


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str, settings: Any) -> None:
    settings.SITE_URL = "http://127.0.0.1"  # links in mails are made outside a request


def link(username: str, text: str | None = None) -> str:
    return (
        f'<a href="/u/{username}" class="mention" rel="nofollow noopener ugc">'
        f"@{text or username}</a>"
    )


def post(user: User, body: str, parent: Comment | None = None) -> Comment:
    data = {"body": body} if parent is None else {"body": body, "parent": str(parent.pk)}
    response = client_of(user).post(f"{PAPER}/comments", data)
    assert response.status_code == 302, response.content
    return Comment.objects.latest("pk")


def reasons() -> set[tuple[str, str]]:
    return {(n.recipient.username, n.reason) for n in Notification.objects.all()}


# --- which names become links -----------------------------------------------------------


def test_a_member_s_name_becomes_a_link_and_nothing_else_does(make_member, ada: User) -> None:
    make_member("Bob.Smith")
    make_member("zoë_2")
    body = (
        "Thanks @ada, and @bob.smith. @zoë_2! (@ada) **@ada** @nobody\n\n"
        "Write to ada@example.org or https://example.org/@ada, not `@ada`:\n\n"
        "    @ada in a code block\n\n"
        "[@ada](https://example.org) and \\@ada, and @ada@example.org."
    )
    html = render_comment(body).html
    assert html == (
        f"<p>Thanks {link('ada')}, and {link('Bob.Smith', 'bob.smith')}. "
        f"{link('zo%C3%AB_2', 'zoë_2')}! ({link('ada')}) <strong>{link('ada')}</strong> "
        "@nobody</p>\n"
        "<p>Write to ada@example.org or https://example.org/@ada, not <code>@ada</code>:</p>\n"
        "<pre><code>@ada in a code block\n</code></pre>\n"
        '<p><a href="https://example.org" rel="nofollow noopener ugc">@ada</a> and @ada, '
        "and @ada@example.org.</p>\n"
    )
    assert [m.username for m in render_comment(body).mentioned] == ["ada", "Bob.Smith", "zoë_2"]
    # The profile each link leads to is there.
    assert Client(HTTP_HOST="127.0.0.1").get("/u/zo%C3%AB_2").status_code == 200


def test_a_name_in_any_case_links_to_the_member_as_written(ada: User) -> None:
    rendered = render_comment("@ADA, @Ada and @ada.")
    assert rendered.html == (
        f"<p>{link('ada', 'ADA')}, {link('ada', 'Ada')} and {link('ada')}.</p>\n"
    )
    assert [m.username for m in rendered.mentioned] == ["ada"]


def test_only_active_members_are_mentioned(make_member, ada: User) -> None:
    make_member("carl", is_active=False)  # never verified, or suspended
    assert render_comment("@carl @ada").html == f"<p>@carl {link('ada')}</p>\n"


@pytest.mark.parametrize(
    "body",
    [
        "@<script>alert(1)</script>",
        '@"onmouseover=alert(1) @ada"onmouseover=alert(1)',
        "@ada<img src=x onerror=alert(1)>",
        "[@ada](javascript:alert(1)) @ada](javascript:alert(1))",
        '@ada" class="x',
        "<@ada>",
    ],
)
def test_hostile_text_around_a_mention_stays_inert(
    ada: User, bob: User, feed_paper: Paper, body: str
) -> None:
    html = post(bob, body).body_html
    assert_inert(html)
    tags = re.sub(r">[^<]*<", "><", html)  # the markup without its text
    assert "onmouseover" not in tags and "onerror" not in tags and "script" not in tags
    assert not re.search(r'class="(?!mention")', tags)
    page = client_of(bob).get(PAPER).content.decode()
    assert_inert(page)


def test_mentions_are_capped_and_found_in_one_query(make_member, ada: User) -> None:
    names = [f"m{n}" for n in range(MAX_MENTIONS + 2)]
    for name in names:
        make_member(name)
    body = " ".join(f"@{name}" for name in ["nobody", *names])
    with CaptureQueriesContext(connection) as queries:
        rendered = render_comment(body)
    assert len(queries) == 1
    # The first ten names (one of which is nobody's) are looked up; the rest stay text.
    assert [m.username for m in rendered.mentioned] == names[: MAX_MENTIONS - 1]
    assert rendered.html.count('class="mention"') == MAX_MENTIONS - 1
    assert f"@{names[-1]}</p>" in rendered.html
    with CaptureQueriesContext(connection) as queries:
        render_comment("No names here: a@b.org")
    assert len(queries) == 0


def test_long_runs_of_names_are_cheap(ada: User) -> None:
    for body in ("@ada" * 2500, "@ada " * 2000, " ".join(f"@x{n}" for n in range(2000))):
        with CaptureQueriesContext(connection) as queries:
            rendered = render_comment(body)
        assert len(queries) <= 1 and rendered.html.count('class="mention"') <= 2000
    assert render_comment("@ada" * 2500).mentioned == ()  # one name of 10,000 characters


# --- notifications ----------------------------------------------------------------------


def test_a_mention_notifies_and_mails_the_member(ada: User, bob: User, feed_paper: Paper) -> None:
    comment = post(bob, "What do you think, @ADA? cc @bob")
    assert reasons() == {("ada", Notification.MENTION)}, "never oneself"
    (mail,) = mails_to("ada@example.org")
    assert mail.subject == f"bob mentioned you on “{feed_paper.readable_title}”"
    assert "What do you think, @ADA? cc @bob" in mail.body
    assert "because someone mentioned you in a comment" in mail.body
    assert f"http://127.0.0.1{PAPER}#c{comment.pk}" in mail.body

    page = client_of(ada).get("/notifications").content.decode()
    assert "mentioned you" in page and "What do you think, @ADA?" in page


def test_one_notification_with_the_most_specific_reason(
    make_member, ada: User, bob: User, feed_paper: Paper
) -> None:
    carl, dora = make_member("carl"), make_member("dora")
    FeedEntry.objects.filter(paper=feed_paper).update(submitted_by=carl)
    turing = Author.objects.get(name="Alan Turing")
    AuthorClaim.objects.create(user=dora, author=turing, status=AuthorClaim.APPROVED)
    question = post(ada, "A question")
    Notification.objects.all().delete()
    # Ada is replied to and mentioned: a reply. Carl (submitter) and dora (author) are
    # mentioned: a mention each, once however often.
    post(bob, "@ada @carl @dora @carl", question)
    assert reasons() == {
        ("ada", Notification.REPLY),
        ("carl", Notification.MENTION),
        ("dora", Notification.MENTION),
    }


def test_the_opt_out_and_the_rate_limit_hold(
    ada: User, bob: User, feed_paper: Paper, settings
) -> None:
    question = post(ada, "Hello")
    post(bob, "A reply", question)
    post(bob, "And @ada again")
    assert Notification.objects.filter(recipient=ada).count() == 2
    assert len(mails_to("ada@example.org")) == 1, "one mail per five minutes, replies or not"
    Profile.objects.filter(user=ada).update(email_on_reply=False)
    settings.PAPERWIRE_RATE_LIMITS = {"reply-mail": Limit(10, 300)}
    post(bob, "Still @ada")
    assert Notification.objects.filter(recipient=ada).count() == 3
    assert len(mails_to("ada@example.org")) == 1, "mails are off"


def test_inactive_members_are_not_notified(make_member, bob: User, feed_paper) -> None:
    make_member("carl", is_active=False)
    post(bob, "@carl?")
    assert not Notification.objects.exists()


def test_an_edit_that_adds_a_mention_notifies_the_newly_mentioned_once(
    make_member, ada: User, bob: User, feed_paper: Paper, settings
) -> None:
    settings.PAPERWIRE_RATE_LIMITS = {"reply-mail": Limit(100, 300)}
    carl = make_member("carl")
    question = post(carl, "A question")
    answer = post(bob, "An answer, @ada", question)
    assert reasons() == {("carl", Notification.REPLY), ("ada", Notification.MENTION)}
    editor = client_of(bob)

    def edit(body: str) -> None:
        response = editor.post(f"/comments/{answer.pk}/edit", {"body": body})
        assert response.status_code == 302

    # Carl (replied to) and ada (mentioned) are told already; dora is new.
    dora = make_member("dora")
    edit("An answer, @ada @carl @dora @bob")
    assert reasons() == {
        ("carl", Notification.REPLY),
        ("ada", Notification.MENTION),
        ("dora", Notification.MENTION),
    }
    assert len(mails_to("dora@example.org")) == 1
    assert len(mails_to("ada@example.org")) == 1 and len(mails_to("carl@example.org")) == 1
    # Removed and added again: still once.
    edit("An answer")
    edit("An answer, @dora")
    assert Notification.objects.filter(recipient=dora).count() == 1
    assert len(mails_to("dora@example.org")) == 1
    assert Comment.objects.get(pk=answer.pk).body_html == f"<p>An answer, {link('dora')}</p>\n"

    # Deleted, the comment takes its mention notifications as its others.
    editor.post(f"/comments/{answer.pk}/delete")
    assert not Notification.objects.filter(comment=answer).exists()


def test_a_hidden_comment_s_mention_shows_as_the_thread_does(
    ada: User, bob: User, feed_paper: Paper
) -> None:
    comment = post(bob, "Secret words for @ada")
    actions.set_comment_hidden(comment, True)
    page = client_of(ada).get("/notifications").content.decode()
    assert "A comment that mentioned you" in page and "[hidden by moderators]" in page
    assert "Secret words" not in page


# --- later: suspension, account deletion ------------------------------------------------


def test_a_suspended_member_s_link_stays_and_a_deleted_one_s_goes(
    make_member, ada: User, bob: User, feed_paper: Paper
) -> None:
    carl = make_member("carl")
    comment = post(bob, "Ask @ada or @carl")
    # Suspended: the link stays, its profile answers 404 as every link to it does, and
    # works again once the member is reinstated.
    User.objects.filter(pk=carl.pk).update(is_active=False)
    Profile.objects.filter(user=carl).update(suspended=True)
    assert link("carl") in Comment.objects.get(pk=comment.pk).body_html
    assert Client(HTTP_HOST="127.0.0.1").get("/u/carl").status_code == 404

    # Deleted: the name stays as text, and whoever takes the name next is not linked.
    delete_account(ada)
    assert Comment.objects.get(pk=comment.pk).body_html == f"<p>Ask @ada or {link('carl')}</p>\n"
    make_member("ada")
    assert "/u/ada" not in client_of(bob).get(PAPER).content.decode()


# --- where the HTML goes ----------------------------------------------------------------


def test_the_api_s_comment_html_has_absolute_links(ada: User, bob: User, feed_paper: Paper) -> None:
    post(bob, "See @ada, [the paper](/papers/2401.01234) and [ours](https://example.org)")
    client = Client(HTTP_HOST="127.0.0.1")
    for url in (f"/api{PAPER}?field=comments", f"/api{PAPER}/comments"):
        data = json.loads(client.get(url).content)
        comments = data["comments"] if isinstance(data, dict) else data
        html = comments[0]["data"]["latest"]["html"]
        assert 'href="http://127.0.0.1/u/ada" class="mention"' in html
        assert 'href="http://127.0.0.1/papers/2401.01234"' in html
        assert 'href="https://example.org"' in html
    # The page itself keeps the stored (relative) link.
    assert link("ada") in client.get(PAPER).content.decode()
