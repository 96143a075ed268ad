"""Personal access tokens: made in settings and shown once, stored as a hash, revoked;
`paperwire token create` prints the token and nothing else."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from paperwire.community.models import AccessToken
from paperwire.community.tokens import create_token, find_token
from support import run_cli

pytestmark = pytest.mark.django_db


def test_made_in_settings_shown_once_and_revoked(member_client: Client, member: Any) -> None:
    response = member_client.post("/settings/tokens", {"name": "my script", "scope": "write"})
    assert response["Location"] == "/settings#tokens"
    page = member_client.get("/settings").content.decode()
    token = re.search(r'value="(pw_[A-Za-z0-9_\-]+)"', page)
    assert token, "the new token is on the page"
    row = AccessToken.objects.get()
    assert (row.name, row.scope, row.prefix) == ("my script", "write", token[1][:8])
    assert row.digest == hashlib.sha256(token[1].encode()).hexdigest()
    assert token[1] not in str(AccessToken.objects.values_list())  # only the hash is kept
    again = member_client.get("/settings").content.decode()
    assert token[1] not in again and "my script" in again and "never" in again
    assert find_token(token[1]) is not None
    member_client.post(f"/settings/tokens/{row.pk}/revoke")
    assert find_token(token[1]) is None and not AccessToken.objects.exists()


def test_bad_requests_make_no_token(member_client: Client, member: Any, make_member: Any) -> None:
    member_client.post("/settings/tokens", {"name": "", "scope": "read"})
    member_client.post("/settings/tokens", {"name": "x", "scope": "admin"})
    assert not AccessToken.objects.exists()
    other_row, _ = create_token(make_member("eve"), "hers")
    member_client.post(f"/settings/tokens/{other_row.pk}/revoke")
    assert AccessToken.objects.filter(pk=other_row.pk).exists(), "only one's own tokens"


def test_last_use_is_stamped_and_inactive_accounts_lose_theirs(member: Any) -> None:
    row, token = create_token(member, "probe")
    assert row.last_used_at is None
    assert find_token(token) is not None
    assert AccessToken.objects.get().last_used_at is not None
    assert find_token(token + "x") is None and find_token("not a token") is None
    member.is_active = False
    member.save()
    assert find_token(token) is None


@pytest.mark.django_db(transaction=True)
def test_cli_prints_the_token_and_nothing_else(new_data_dir: Any) -> None:
    data_dir: Path = new_data_dir()
    script = "from django.contrib.auth.models import User; User.objects.create_user('ada')"
    made = run_cli("shell", "-c", script, data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    done = run_cli("token", "create", "ada", "--name", "ci", "--write", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"pw_[A-Za-z0-9_\-]{40}\n", done.stdout), repr(done.stdout)
    read = run_cli("token", "create", "ada", "--name", "reader", data_dir=data_dir)
    assert read.stdout.count("\n") == 1 and read.stdout != done.stdout
    missing = run_cli("token", "create", "nobody", "--name", "x", data_dir=data_dir)
    assert missing.returncode != 0 and missing.stdout == "" and "nobody" in missing.stderr
    revoked = run_cli("token", "revoke", "ada", "--name", "ci", data_dir=data_dir)
    assert revoked.returncode == 0 and revoked.stdout == ""
