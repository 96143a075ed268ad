"""Digest bylines link to author and organization pages, in both parts of the mail."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from paperwire.papers.models import Author

from .conftest import Inbox
from .helpers import add_papers, subscriber

pytestmark = pytest.mark.django_db


def test_digest_bylines_link_to_author_and_organization_pages(inbox: Inbox):
    add_papers()
    subscriber("ada@example.org")
    call_command("digest", "send", "--period", "daily:2026-01-05", stdout=StringIO())
    [mail] = inbox.messages
    author = Author.objects.get(name="Ashish Vaswani")
    author_url = f"http://testserver/authors/{author.pk}"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert (
        f'<a href="{author_url}" style="color:#6b7280;text-decoration:none;">Ashish Vaswani</a>'
        in html
    )
    assert '<a href="http://testserver/orgs/tencent"' in html
    assert f"Ashish Vaswani <{author_url}>" in text
    assert "Tencent <http://testserver/orgs/tencent>" in text
