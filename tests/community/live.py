"""Helpers for tests against the live site: sign up through HTTP and the real mail."""

from __future__ import annotations

import re

import httpx

from .conftest import PASSWORD, Mailbox, Site, mail_text


def verification_link(smtp: Mailbox, email: str) -> str:
    body = mail_text(smtp.wait_for(email))
    found = re.search(r"https?://\S+/verify/\S+", body)
    assert found, body
    return found.group(0)


def csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def signed_in_client(site: Site, smtp: Mailbox, username: str) -> httpx.Client:
    """A new member, signed up, verified by the mailed link and logged in."""
    client = httpx.Client(base_url=site.url, timeout=30)
    email = f"{username}@example.org"
    data = {"username": username, "email": email, "password": PASSWORD}
    response = client.post("/signup", data={**data, "csrfmiddlewaretoken": csrf(client, "/signup")})
    assert response.status_code == 302, response.text[:1000]
    link = verification_link(smtp, email)
    assert link.startswith(site.url)
    assert client.get(link).status_code == 200
    login = {"username": username, "password": PASSWORD}
    response = client.post("/login", data={**login, "csrfmiddlewaretoken": csrf(client, "/login")})
    assert response.status_code == 302, response.text[:1000]
    return client


def shell(site: Site, code: str) -> str:
    return site.manage("shell", "-c", code).strip()
