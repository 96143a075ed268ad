"""Staff moderation in the admin: hide papers and comments, suspend members; all logged."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from paperwire.community.models import AuthorClaim, Comment, CommentReport, ModerationLog
from paperwire.papers.models import Author, FeedEntry, Paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_member) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(make_member("mod", is_staff=True, is_superuser=True))
    return client


def act(staff: Client, model: str, action: str, pks: list[object]) -> None:
    response = staff.post(
        f"/admin/community/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
    )
    assert response.status_code == 302, response.content[:500]


def test_hide_paper_removes_it_from_feed_and_api(staff: Client, feed_paper: Paper) -> None:
    anon = Client(HTTP_HOST="127.0.0.1")
    assert "Structured State Spaces" in anon.get("/?date=2026-01-05").content.decode()
    act(staff, "moderatedpaper", "hide_papers", [feed_paper.pk])
    feed_paper.refresh_from_db()
    assert feed_paper.hidden
    assert "Structured State Spaces" not in anon.get("/?date=2026-01-05").content.decode()
    api = anon.get("/api/daily_papers?date=2026-01-05").json()
    assert "2401.01234" not in [item["paper"]["id"] for item in api]
    assert anon.get("/papers/2401.01234").status_code == 404
    assert anon.get("/api/papers/2401.01234").status_code == 404
    log = ModerationLog.objects.get()
    assert (log.action, log.target_id, log.actor.username) == (
        "hide paper",
        str(feed_paper.pk),
        "mod",
    )
    act(staff, "moderatedpaper", "unhide_papers", [feed_paper.pk])
    assert "Structured State Spaces" in anon.get("/?date=2026-01-05").content.decode()
    assert ModerationLog.objects.count() == 2


def test_hide_comment_and_resolve_report(
    staff: Client, member_client: Client, make_member, feed_paper: Paper
) -> None:
    member_client.post("/papers/2401.01234/comments", {"body": "rude words"})
    comment = Comment.objects.get()
    bob = Client(HTTP_HOST="127.0.0.1")
    bob.force_login(make_member("bob"))
    bob.post(f"/comments/{comment.pk}/report", {"reason": "rude"})
    report = CommentReport.objects.get()
    act(staff, "commentreport", "hide_reported", [report.pk])
    comment.refresh_from_db()
    report.refresh_from_db()
    assert comment.hidden and report.resolved
    assert FeedEntry.objects.get(paper=feed_paper).num_comments == 0
    html = Client(HTTP_HOST="127.0.0.1").get("/papers/2401.01234").content.decode()
    assert "rude words" not in html and "[hidden by moderators]" in html
    assert set(ModerationLog.objects.values_list("action", flat=True)) == {
        "hide comment",
        "resolve report",
    }
    act(staff, "comment", "unhide_comments", [comment.pk])
    assert FeedEntry.objects.get(paper=feed_paper).num_comments == 1
    # The author cannot edit a hidden comment back into view.
    comment.refresh_from_db()
    act(staff, "comment", "hide_comments", [comment.pk])
    assert member_client.post(f"/comments/{comment.pk}/edit", {"body": "x"}).status_code == 404


def messages_after(staff: Client, model: str, action: str, pks: list[object]) -> list[str]:
    """The confirmations the admin shows a moderator after an action."""
    response = staff.post(
        f"/admin/community/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_comment_list_shows_an_escaped_excerpt_and_searches_it(
    staff: Client, member_client: Client, feed_paper: Paper
) -> None:
    words = " ".join(f"w{i}" for i in range(40))
    member_client.post(
        "/papers/2401.01234/comments", {"body": f"<script>alert(1)</script> **bold**\n\n{words}"}
    )
    member_client.post("/papers/2401.01234/comments", {"body": "another thought"})
    listing = staff.get("/admin/community/comment/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** w0 w1" in listing
    assert "<script>alert(1)" not in listing
    assert "w9…" in listing and "w10" not in listing, "only the first twelve words"
    assert "another thought" in listing
    found = staff.get("/admin/community/comment/", {"q": "bold"}).content.decode()
    assert "**bold**" in found and "another thought" not in found
    # The report list shows the reported comment's text too, and searches it.
    bob = Client(HTTP_HOST="127.0.0.1")
    bob.force_login(User.objects.create_user("bob", "bob@example.org", "x"))
    bob.post(f"/comments/{Comment.objects.get(body='another thought').pk}/report", {"reason": "x"})
    reports = staff.get("/admin/community/commentreport/", {"q": "another"}).content.decode()
    assert "another thought" in reports


def test_report_and_member_actions_say_what_they_did(
    staff: Client, member_client: Client, make_member, feed_paper: Paper
) -> None:
    for body in ("first", "second"):
        member_client.post("/papers/2401.01234/comments", {"body": body})
    first, second = Comment.objects.order_by("pk")
    readers = [make_member(name) for name in ("bob", "cy")]
    for reader in readers:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(reader)
        client.post(f"/comments/{first.pk}/report", {"reason": "rude"})
        client.post(f"/comments/{second.pk}/report", {"reason": "rude"})
    on_first = list(CommentReport.objects.filter(comment=first).values_list("pk", flat=True))
    on_second = list(CommentReport.objects.filter(comment=second).values_list("pk", flat=True))
    assert messages_after(staff, "commentreport", "hide_reported", on_first) == [
        "1 comment(s) hidden; 2 report(s) resolved."
    ]
    assert messages_after(staff, "commentreport", "dismiss", on_second) == [
        "2 report(s) dismissed."
    ]
    pks = [reader.pk for reader in readers]
    assert messages_after(staff, "member", "suspend", pks) == ["2 member(s) suspended."]
    assert messages_after(staff, "member", "reinstate", pks) == ["2 member(s) reinstated."]
    me = User.objects.get(username="mod")
    assert messages_after(staff, "member", "suspend", [me.pk, pks[0]]) == [
        "You cannot suspend yourself.",
        "1 member(s) suspended.",
    ]


def test_hide_and_show_actions_say_what_they_did(
    staff: Client, member_client: Client, feed_paper: Paper
) -> None:
    for body in ("first", "second"):
        member_client.post("/papers/2401.01234/comments", {"body": body})
    first, second = Comment.objects.order_by("pk")
    assert messages_after(staff, "comment", "hide_comments", [first.pk]) == ["1 comment(s) hidden."]
    assert messages_after(staff, "comment", "hide_comments", [first.pk, second.pk]) == [
        "1 comment(s) hidden. 1 already was."
    ]
    assert messages_after(staff, "comment", "unhide_comments", [first.pk, second.pk]) == [
        "2 comment(s) shown again."
    ]
    assert messages_after(staff, "moderatedpaper", "hide_papers", [feed_paper.pk]) == [
        "1 paper(s) hidden."
    ]
    assert messages_after(staff, "moderatedpaper", "hide_papers", [feed_paper.pk]) == [
        "0 paper(s) hidden. 1 already was."
    ]
    assert messages_after(staff, "moderatedpaper", "unhide_papers", [feed_paper.pk]) == [
        "1 paper(s) shown again."
    ]


def test_a_report_shows_the_whole_comment_and_where_it_is(
    staff: Client, member_client: Client, make_member, feed_paper: Paper
) -> None:
    words = " ".join(f"w{i}" for i in range(40))
    member_client.post(
        "/papers/2401.01234/comments", {"body": f"<b>rude</b> words\n\n{words} the end"}
    )
    comment = Comment.objects.get()
    reader = Client(HTTP_HOST="127.0.0.1")
    reader.force_login(make_member("bob"))
    reader.post(f"/comments/{comment.pk}/report", {"reason": "rude"})
    report = CommentReport.objects.get()

    page = staff.get(f"/admin/community/commentreport/{report.pk}/change/").content.decode()

    assert "&lt;b&gt;rude&lt;/b&gt; words<br><br>w0 w1" in page
    assert "w39 the end" in page, "the whole comment, not the list's first words"
    assert "<b>rude</b>" not in page
    assert f'<a href="/papers/2401.01234#c{comment.pk}">{feed_paper.title}</a>' in page
    assert f"comment {comment.pk} by ada on 2401.01234" in page


def test_two_reports_of_one_comment_hide_it_once(
    staff: Client, member_client: Client, make_member, feed_paper: Paper
) -> None:
    for body in ("first", "second"):
        member_client.post("/papers/2401.01234/comments", {"body": body})
    first = Comment.objects.get(body="first")
    for name in ("bob", "cy"):
        reader = Client(HTTP_HOST="127.0.0.1")
        reader.force_login(make_member(name))
        reader.post(f"/comments/{first.pk}/report", {"reason": "rude"})
    act(
        staff,
        "commentreport",
        "hide_reported",
        list(CommentReport.objects.values_list("pk", flat=True)),
    )
    assert FeedEntry.objects.get(paper=feed_paper).num_comments == 1, "the other comment"
    assert ModerationLog.objects.filter(action="hide comment").count() == 1
    assert ModerationLog.objects.filter(action="resolve report").count() == 2


def test_suspend_logs_out_and_blocks(staff: Client, member_client: Client, member) -> None:
    assert member_client.get("/settings").status_code == 200
    act(staff, "member", "suspend", [member.pk])
    member.refresh_from_db()
    assert not member.is_active and member.profile.suspended
    assert member_client.get("/settings").status_code == 302
    again = Client(HTTP_HOST="127.0.0.1")
    from .conftest import PASSWORD

    assert not again.login(username="ada", password=PASSWORD)
    assert ModerationLog.objects.filter(action="suspend user", target_id=str(member.pk)).exists()
    act(staff, "member", "reinstate", [member.pk])
    assert User.objects.get(pk=member.pk).is_active


def test_author_claims_are_approved_by_staff(
    staff: Client, member_client: Client, feed_paper: Paper
) -> None:
    author = Author.objects.get(name="Ada Lovelace")
    page = member_client.get(f"/authors/{author.pk}").content.decode()
    assert "claim this author profile" in page
    member_client.post(f"/authors/{author.pk}/claim")
    claim = AuthorClaim.objects.get()
    assert claim.status == "pending"
    assert "is pending" in member_client.get(f"/authors/{author.pk}").content.decode()
    anon = Client(HTTP_HOST="127.0.0.1")

    def claimed() -> tuple[list[str | None], bool]:
        """What a reader sees of the claim, through the pages cached for readers."""
        authors = anon.get("/api/papers/2401.01234").json()["authors"]
        items = anon.get("/api/daily_papers?date=2026-01-05").json()
        item = next(i for i in items if i["paper"]["id"] == "2401.01234")
        return [a.get("status") for a in authors], item["isAuthorParticipating"]

    assert claimed() == ([None, None], False)
    answer = staff.post(
        "/admin/community/authorclaim/",
        {"action": "approve", "_selected_action": [str(claim.pk)]},
        follow=True,
    )
    assert "1 claim(s) approved." in answer.content.decode()
    assert claimed() == (["claimed_verified", None], True), "cached pages are renewed"
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert ModerationLog.objects.filter(action="approved claim").exists()
    page = Client(HTTP_HOST="127.0.0.1").get(f"/authors/{author.pk}").content.decode()
    assert '<a href="/u/ada">ada</a>' in page
    assert "Ada Lovelace" in Client(HTTP_HOST="127.0.0.1").get("/u/ada").content.decode()

    # Deleting the claim in the admin takes it off the cached pages too.
    gone = staff.post(f"/admin/community/authorclaim/{claim.pk}/delete/", {"post": "yes"})
    assert gone.status_code == 302 and not AuthorClaim.objects.exists()
    assert claimed() == ([None, None], False), "cached pages are renewed"


def test_moderation_log_is_read_only(staff: Client) -> None:
    assert staff.get("/admin/community/moderationlog/").status_code == 200
    assert staff.get("/admin/community/moderationlog/add/").status_code == 403


@pytest.mark.parametrize("model", ["profile", "authorclaim", "commentreport"])
def test_what_members_make_cannot_be_added_in_the_admin(staff: Client, model: str) -> None:
    # Their required links (user, author, comment) are read-only there: an add form
    # could only fail on the database's NOT NULL (a 500 once, with hostile input).
    assert staff.get(f"/admin/community/{model}/add/").status_code == 403
    assert staff.post(f"/admin/community/{model}/add/", {"bio": "x"}).status_code == 403


def test_a_delete_on_a_stale_copy_uncounts_the_comment_once(
    member_client: Client, feed_paper: Paper
) -> None:
    from paperwire.community.actions import delete_comment

    for body in ("first", "second"):
        member_client.post("/papers/2401.01234/comments", {"body": body})
    # Two requests (two tabs) each loaded the comment before either deleted it.
    tab_one, tab_two = Comment.objects.get(body="first"), Comment.objects.get(body="first")
    delete_comment(tab_one)
    delete_comment(tab_two)
    assert FeedEntry.objects.get(paper=feed_paper).num_comments == 1, "the other comment"
    assert Comment.objects.get(pk=tab_one.pk).deleted


@pytest.mark.parametrize("how", ["one", "action"])
def test_deleting_a_comment_in_the_admin_uncounts_it_and_its_replies(
    staff: Client, member_client: Client, feed_paper: Paper, how: str
) -> None:
    for body in ("first", "second"):
        member_client.post("/papers/2401.01234/comments", {"body": body})
    first = Comment.objects.get(body="first")
    member_client.post("/papers/2401.01234/comments", {"body": "reply", "parent": first.pk})
    reply = Comment.objects.get(body="reply")
    assert reply.parent_id == first.pk
    hidden = Comment.objects.get(body="second")
    member_client.post("/papers/2401.01234/comments", {"body": "hidden reply", "parent": hidden.pk})
    act(staff, "comment", "hide_comments", [Comment.objects.get(body="hidden reply").pk])
    assert FeedEntry.objects.get(paper=feed_paper).num_comments == 3

    if how == "one":
        response = staff.post(f"/admin/community/comment/{first.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
    else:
        ids = [first.pk, Comment.objects.get(body="hidden reply").pk]
        staff.post(
            "/admin/community/comment/",
            {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        )

    assert not Comment.objects.filter(body__in=["first", "reply"]).exists()
    assert FeedEntry.objects.get(paper=feed_paper).num_comments == 1, "only 'second' is left"
    page = Client(HTTP_HOST="127.0.0.1").get("/papers/2401.01234").content.decode()
    assert "first" not in page and "second" in page
    assert ModerationLog.objects.filter(action="delete comment").exists()
