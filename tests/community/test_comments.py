"""Threaded comments: post, reply, edit and delete one's own, report; counts and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from paperwire.community.models import COMMENT_MAX_LENGTH, Comment, CommentReport
from paperwire.community.ratelimit import Limit
from paperwire.papers.models import FeedEntry, Paper

pytestmark = pytest.mark.django_db


def num_comments(paper: Paper) -> int:
    return FeedEntry.objects.get(paper=paper).num_comments


def post(client: Client, body: str, parent: int | None = None):
    data = {"body": body} if parent is None else {"body": body, "parent": str(parent)}
    return client.post("/papers/2401.01234/comments", data)


def test_thread_and_counts(member_client: Client, make_member, feed_paper: Paper) -> None:
    top = post(member_client, "First!")
    assert top.status_code == 302
    first = Comment.objects.get()
    assert top["Location"] == f"/papers/2401.01234#c{first.pk}"
    other = Client(HTTP_HOST="127.0.0.1")
    other.force_login(make_member("bob"))
    assert post(other, "A reply", first.pk).status_code == 302
    reply = Comment.objects.get(parent=first)
    assert num_comments(feed_paper) == 2
    html = Client(HTTP_HOST="127.0.0.1").get("/papers/2401.01234").content.decode()
    assert "(2 comments)" in html
    assert html.index(f'id="c{first.pk}"') < html.index('class="comments replies"')
    assert html.index('class="comments replies"') < html.index(f'id="c{reply.pk}"')
    card = Client(HTTP_HOST="127.0.0.1").get("/?date=2026-01-05").content.decode()
    assert "2 comments</a>" in card
    api = Client(HTTP_HOST="127.0.0.1").get("/api/daily_papers?date=2026-01-05").json()
    assert {i["paper"]["id"]: i["numComments"] for i in api}["2401.01234"] == 2


def test_the_same_comment_sent_again_is_the_one_already_posted(
    member_client: Client, make_member, feed_paper: Paper
) -> None:
    """Back after posting, then Post again: the member lands on the comment they made."""
    first = post(member_client, "Sent twice")
    again = post(member_client, "Sent twice")
    comment = Comment.objects.get()
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert first["Location"].endswith(f"#c{comment.pk}") and num_comments(feed_paper) == 1
    # Other words, another place in the thread or another member: new comments.
    post(member_client, "Sent twice, edited")
    post(member_client, "Sent twice", comment.pk)
    post(member_client, "Sent twice", comment.pk)
    other = Client(HTTP_HOST="127.0.0.1")
    other.force_login(make_member("bob"))
    post(other, "Sent twice")
    assert Comment.objects.count() == 4 and num_comments(feed_paper) == 4
    # Saying the same again later, or after deleting it, is a new comment.
    Comment.objects.filter(pk=comment.pk).update(created=comment.created - dt.timedelta(minutes=11))
    later = post(member_client, "Sent twice")
    assert later["Location"] != first["Location"]
    newest = Comment.objects.latest("pk")
    member_client.post(f"/comments/{newest.pk}/delete")
    assert post(member_client, "Sent twice")["Location"] != later["Location"]
    assert Comment.objects.filter(body="Sent twice", parent=None).count() == 3, "1, bob's, last"


def test_a_comment_sent_again_spends_no_rate_limit(
    member_client: Client, feed_paper: Paper, settings
) -> None:
    """Posting nothing new is not commenting fast: only new comments count."""
    settings.PAPERWIRE_RATE_LIMITS = {"comment-account": Limit(2, 600)}
    first = post(member_client, "Once")
    for _ in range(3):
        again = post(member_client, "Once")
        assert again.status_code == 302 and again["Location"] == first["Location"]
    assert post(member_client, "Twice").status_code == 302
    refused = post(member_client, "Thrice")
    assert refused.status_code == 429 and b"commenting very fast" in refused.content
    # Over the limit, a form sent again still lands on the comment it made.
    assert post(member_client, "Once")["Location"] == first["Location"]
    assert Comment.objects.count() == 2 and num_comments(feed_paper) == 2


def test_edit_and_delete_own(member_client: Client, feed_paper: Paper) -> None:
    post(member_client, "Typo")
    comment = Comment.objects.get()
    form = member_client.get(f"/comments/{comment.pk}/edit")
    assert form.status_code == 200 and b"Typo" in form.content
    # Labelled as the comment box of the paper page is, and saying Markdown works there.
    edit_page = form.content.decode()
    assert '<label for="id_body">Your comment</label>' in edit_page
    assert "Markdown: *emphasis*, `code`, [links](https://…)" in edit_page
    member_client.post(f"/comments/{comment.pk}/edit", {"body": "Fixed *now*"})
    comment.refresh_from_db()
    assert comment.body == "Fixed *now*" and "<em>now</em>" in comment.body_html and comment.edited
    # Delete asks first: a link (to a clean address, no bare "?" of an empty GET form)
    # to a page with the comment and a button that POSTs.
    paper_html = member_client.get("/papers/2401.01234").content.decode()
    assert f'<a href="/comments/{comment.pk}/delete">Delete</a>' in paper_html
    assert 'method="get"' not in paper_html.split('id="comments"', 1)[1]
    ask = member_client.get(f"/comments/{comment.pk}/delete")
    assert ask.status_code == 200
    asked = ask.content.decode()
    assert "Delete your comment?" in asked and "<em>now</em>" in asked
    assert 'method="post"' in asked and "Delete this comment</button>" in asked
    assert 'name="csrfmiddlewaretoken"' in asked
    comment.refresh_from_db()
    assert not comment.deleted, "asking deleted it"
    assert member_client.post(f"/comments/{comment.pk}/delete").status_code == 302
    comment.refresh_from_db()
    assert comment.deleted and comment.body == ""
    assert num_comments(feed_paper) == 0
    assert "[deleted]" in member_client.get("/papers/2401.01234").content.decode()


def test_someone_elses_comment_cannot_be_changed(
    member_client: Client, make_member, feed_paper: Paper
) -> None:
    post(member_client, "Mine")
    comment = Comment.objects.get()
    eve = Client(HTTP_HOST="127.0.0.1")
    eve.force_login(make_member("eve"))
    edit = eve.post(f"/comments/{comment.pk}/edit", {"body": "Pwned"})
    assert edit.status_code == 403 and b"only change your own comments" in edit.content
    assert eve.get(f"/comments/{comment.pk}/edit").status_code == 403
    assert eve.post(f"/comments/{comment.pk}/delete").status_code == 403
    assert eve.get(f"/comments/{comment.pk}/delete").status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Mine" and not comment.deleted
    assert num_comments(feed_paper) == 1


def test_report(member_client: Client, make_member, feed_paper: Paper) -> None:
    post(member_client, "Spam spam")
    comment = Comment.objects.get()
    bob = Client(HTTP_HOST="127.0.0.1")
    bob.force_login(make_member("bob"))
    assert bob.post(f"/comments/{comment.pk}/report", {"reason": ""}).status_code == 400
    assert bob.post(f"/comments/{comment.pk}/report", {"reason": "spam"}).status_code == 302
    assert bob.post(f"/comments/{comment.pk}/report", {"reason": "spam"}).status_code == 302
    assert CommentReport.objects.filter(comment=comment).count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "A comment cannot be empty."),
        ("   \n  ", "A comment cannot be empty."),
        ("x" * (COMMENT_MAX_LENGTH + 1), f"at most {COMMENT_MAX_LENGTH} characters"),
    ],
)
def test_bad_bodies_are_form_errors(
    member_client: Client, feed_paper: Paper, body: str, message: str
) -> None:
    post(member_client, "Keep me")
    response = post(member_client, body)
    assert response.status_code == 400 and message in response.content.decode()
    comment = Comment.objects.get()
    edit = member_client.post(f"/comments/{comment.pk}/edit", {"body": body})
    assert edit.status_code == 400 and message in edit.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Keep me" and num_comments(feed_paper) == 1


def test_reply_to_a_comment_elsewhere_is_rejected(member_client: Client, feed_paper: Paper) -> None:
    other = Paper.objects.exclude(pk=feed_paper.pk).first()
    assert other is not None
    member_client.post(f"/papers/{other.public_id}/comments", {"body": "elsewhere"})
    foreign = Comment.objects.get(paper=other)
    response = post(member_client, "reply", foreign.pk)
    assert response.status_code == 400 and b"does not exist any more" in response.content
    assert Comment.objects.count() == 1


def test_comments_on_hidden_or_unknown_papers_are_404(
    member_client: Client, feed_paper: Paper
) -> None:
    Paper.objects.filter(pk=feed_paper.pk).update(hidden=True)
    assert post(member_client, "hi").status_code == 404
    assert member_client.post("/papers/nope/comments", {"body": "x"}).status_code == 404
    assert member_client.get("/comments/999/edit").status_code == 404
    assert not Comment.objects.exists()


def test_anonymous_comment_goes_to_login(feed_paper: Paper) -> None:
    response = Client(HTTP_HOST="127.0.0.1").post("/papers/2401.01234/comments", {"body": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_deep_reply_chains_nest_only_so_far(member_client: Client, feed_paper: Paper) -> None:
    from paperwire.community.templatetags.community import MAX_DEPTH

    parent = None
    for i in range(20):
        assert post(member_client, f"level {i}", parent).status_code == 302
        parent = Comment.objects.latest("pk").pk
    response = member_client.get("/papers/2401.01234")
    html = response.content.decode()
    assert response.status_code == 200 and "level 19" in html
    assert html.count('class="comments replies"') == MAX_DEPTH
