"""CSRF on every form, and untrusted text rendered inert."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from paperwire.community.models import Comment, Profile
from paperwire.papers.models import Paper

pytestmark = pytest.mark.django_db

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '"><iframe src="https://evil.example"></iframe>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '![x](https://example.org/"onerror=alert(1))',
    "[![x](data:text/html,hi)](javascript:alert(1))",
]


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert not re.search(r"<(img|svg|iframe)\b[^>]*(onerror|onload|evil)", html, re.I)
    assert not re.search(r"""<a\b[^>]*href=["']?\s*(javascript|data):""", html, re.I)
    assert "<iframe" not in html


@pytest.fixture
def csrf_client(member) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    client.force_login(member)
    return client


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/papers/2401.01234/upvote", {"vote": "1"}),
        ("/papers/2401.01234/comments", {"body": "hello"}),
        ("/submit", {"arxiv": "2401.01234"}),
        ("/settings", {"display_name": "x"}),
        ("/logout", {}),
    ],
)
def test_member_posts_without_token_are_rejected(
    csrf_client: Client, feed_paper: Paper, url: str, data: dict[str, str]
) -> None:
    response = csrf_client.post(url, data)
    assert response.status_code == 403
    assert not Comment.objects.exists()
    assert feed_paper.feed_entry.upvotes == 3


def test_a_stale_token_gets_the_sites_own_page(csrf_client: Client, feed_paper: Paper) -> None:
    # E.g. a form left open in a tab while the member logged in again in another one.
    response = csrf_client.post(
        "/papers/2401.01234/comments", {"body": "hello", "csrfmiddlewaretoken": "x" * 64}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "this form has expired" in page and "reload the page" in page
    assert 'href="/"' in page and "<style" not in page  # the site's layout, no inline CSS
    assert not Comment.objects.exists()


def test_a_stale_token_on_an_htmx_upvote_reloads_the_page(
    csrf_client: Client, feed_paper: Paper
) -> None:
    # htmx swaps nothing on a 403: without the header the ▲ silently did nothing.
    response = csrf_client.post("/papers/2401.01234/upvote", {"vote": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and response["HX-Refresh"] == "true"
    assert feed_paper.feed_entry.upvotes == 3
    plain = csrf_client.post("/papers/2401.01234/upvote", {"vote": "1"})
    assert plain.status_code == 403 and "HX-Refresh" not in plain


@pytest.mark.parametrize("url", ["/signup", "/login", "/password-reset"])
def test_anonymous_forms_without_token_are_rejected(db: None, url: str) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    response = client.post(url, {"username": "eve", "email": "e@example.org", "password": "x"})
    assert response.status_code == 403


def test_a_post_with_the_token_passes(csrf_client: Client, feed_paper: Paper) -> None:
    page = csrf_client.get("/papers/2401.01234").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    response = csrf_client.post(
        "/papers/2401.01234/comments", {"body": "ok", "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302 and Comment.objects.count() == 1


@pytest.mark.parametrize("payload", XSS)
def test_comment_payloads_render_inert(
    member_client: Client, feed_paper: Paper, payload: str
) -> None:
    response = member_client.post("/papers/2401.01234/comments", {"body": payload})
    assert response.status_code == 302
    assert Comment.objects.get().body == payload  # stored as written, rendered safely
    for page in ("/papers/2401.01234", "/u/ada"):
        html = member_client.get(page).content.decode()
        assert_inert(html)
    anon = Client(HTTP_HOST="127.0.0.1").get("/papers/2401.01234").content.decode()
    assert_inert(anon)


def test_markdown_still_renders(member_client: Client, feed_paper: Paper) -> None:
    member_client.post(
        "/papers/2401.01234/comments", {"body": "**bold** and [a link](https://example.org)"}
    )
    html = member_client.get("/papers/2401.01234").content.decode()
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="nofollow noopener ugc">a link</a>' in html


def test_markdown_images_become_links(member_client: Client, feed_paper: Paper) -> None:
    # Comments show no images; before, "![a chart](…)" rendered as "!" and a link.
    body = "see ![a chart](https://example.org/c.png) and [![logo](https://example.org/l.png)](https://example.org/)"
    member_client.post("/papers/2401.01234/comments", {"body": body})
    html = Comment.objects.get().body_html
    assert html == (
        '<p>see <a href="https://example.org/c.png" rel="nofollow noopener ugc">a chart</a>'
        ' and <a href="https://example.org/" rel="nofollow noopener ugc">logo</a></p>\n'
    )


@pytest.mark.parametrize("payload", XSS)
def test_names_and_bios_render_inert(
    member_client: Client, member, feed_paper: Paper, payload: str
) -> None:
    response = member_client.post(
        "/settings", {"display_name": payload[:100], "bio": payload, "links": ""}
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=member)
    assert profile.bio == payload
    member_client.post("/papers/2401.01234/comments", {"body": "hi"})
    for page in ("/u/ada", "/papers/2401.01234"):
        html = member_client.get(page).content.decode()
        assert_inert(html)
        assert "&lt;" in html or "&quot;" in html or "[click]" in html or "[x]" in html


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,hi", "ftp://example.org", "not a url"]
)
def test_profile_links_must_be_http(member_client: Client, member, link: str) -> None:
    response = member_client.post("/settings", {"display_name": "", "bio": "", "links": link})
    assert response.status_code == 400
    assert b"is not an http(s) address" in response.content
    assert Profile.objects.get(user=member).links == ""


def test_profile_links_render_with_rel(member_client: Client, member) -> None:
    member_client.post(
        "/settings", {"display_name": "Ada", "bio": "", "links": "https://example.org/ada"}
    )
    html = Client(HTTP_HOST="127.0.0.1").get("/u/ada").content.decode()
    assert '<a href="https://example.org/ada" rel="nofollow noopener ugc">' in html


def test_usernames_cannot_carry_markup(db: None) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post(
        "/signup",
        {"username": "<script>", "email": "s@example.org", "password": "an ok passphrase 1"},
    )
    assert response.status_code == 400
    assert b"Enter a valid username" in response.content
