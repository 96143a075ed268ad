"""One account per e-mail address, guaranteed by the database (community.addresses): the
unique index on lower(email) refuses a second account with an address in any case, and
every writer that loses a race against it (sign-up, the address change's link, the
admin, createsuperuser) answers as its own check would have, never with a 500. The
races are made deterministic by blinding a writer's check once, while the account that
won is already stored."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client

from paperwire.community import address_change, addresses, signups
from paperwire.community.models import Profile
from support import delivered_mail, without_tokens

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "ada.new@example.org"
STAFF_PASSWORD = "a staff passphrase 31 long"


@pytest.fixture(autouse=True)
def _on_both_backends(backend: str, clean_cache: None) -> str:
    return backend


def blind_once(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, answer: Any) -> list[str]:
    """`module.name` answers `answer` on its first call (the check of a request that ran
    just before the other one committed), then as itself; the list records the calls."""
    real = getattr(module, name)
    calls: list[str] = []

    def check(*args: Any, **kwargs: Any) -> Any:
        calls.append(str(args[0]))
        return answer if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(module, name, check)
    return calls


# --- the index --------------------------------------------------------------------------


def test_the_unique_index_is_there() -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "auth_user")
    index = constraints[addresses.UNIQUE_INDEX]
    assert index["unique"] and index["index"]


def test_a_second_account_with_the_address_in_another_case_is_refused() -> None:
    User.objects.create_user("ada", "ada@example.org", PASSWORD)
    for taken in ("ADA@EXAMPLE.ORG", "Ada@Example.Org", "ada@example.org"):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username=f"other-{taken}", email=taken)
    bob = User.objects.create_user("bob", "bob@example.org", PASSWORD)
    bob.email = "aDa@example.ORG"
    with pytest.raises(IntegrityError), transaction.atomic():
        bob.save(update_fields=["email"])
    # The savepoints kept the test's transaction usable; accounts without an address
    # are not limited.
    User.objects.create(username="no-address-1", email="")
    User.objects.create(username="no-address-2", email="")
    assert list(User.objects.filter(email__iexact="ada@example.org")) == [
        User.objects.get(username="ada")
    ]


def test_addresses_are_stored_with_their_domain_lower_case(make_member: Any) -> None:
    # SQLite's lower() folds ASCII only: an internationalized domain is folded before it
    # is stored (local parts are ASCII), so the index sees one key per address there too.
    client = Client(HTTP_HOST="127.0.0.1")
    data = {"username": "kim", "email": " Kim@BÜCHER.Example ", "password": PASSWORD}
    assert client.post("/signup", data).status_code == 302
    assert User.objects.get(username="kim").email == "Kim@bücher.example"
    data = {"username": "kim2", "email": "kim@bücher.example", "password": PASSWORD}
    assert client.post("/signup", data).status_code == 302
    assert User.objects.filter(email__iexact="kim@bücher.example").count() == 1


# --- sign-up ----------------------------------------------------------------------------


def signup(username: str, email: str) -> Any:
    data = {"username": username, "email": email, "password": PASSWORD}
    return Client(HTTP_HOST="127.0.0.1").post("/signup", data)


def test_a_sign_up_that_loses_the_race_to_a_verified_account(
    make_member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = make_member("ada")
    calls = blind_once(monkeypatch, signups, "account_of", None)

    response = signup("someone", "ADA@example.org")

    # Refused by the index, tried again: the check now sees ada's account, and the page
    # and mail are those of any sign-up with a registered address.
    assert len(calls) == 2
    assert response.status_code == 302 and response["Location"] == "/signup/sent"
    assert list(User.objects.filter(email__iexact="ada@example.org")) == [ada]
    assert not User.objects.filter(username="someone").exists()
    (sent,) = delivered_mail()
    assert sent.to == ["ADA@example.org"] and "already has an account" in sent.body


def test_a_sign_up_that_loses_the_race_to_another_sign_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert signup("grace", "grace@example.org").status_code == 302
    calls = blind_once(monkeypatch, signups, "account_of", None)

    response = signup("grace2", "Grace@example.org")

    # As if it came second: the latest sign-up renews the account never verified.
    assert len(calls) == 2
    assert response.status_code == 302 and response["Location"] == "/signup/sent"
    (account,) = User.objects.filter(email__iexact="grace@example.org")
    assert account.username == "grace2" and not account.is_active
    assert "Confirm your paperwire account" in delivered_mail()[-1].subject


# --- the address change -----------------------------------------------------------------


def confirm_path(message: Any) -> str:
    found = re.search(r"http://127\.0\.0\.1(/settings/email/confirm/\S+)", message.body)
    assert found, message.body
    return found.group(1)


def test_a_confirmed_change_that_loses_the_race_is_refused_as_taken(
    member_client: Client, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    member_client.post("/settings/email", {"email": NEW, "password": PASSWORD})
    (link_mail,) = [m for m in delivered_mail() if m.to == [NEW]]
    # Another account confirms its own change to the same address at the same instant:
    # both links were made while the address was free, and its change commits first.
    zoe = User.objects.create_user("zoe", "zoe@example.org", PASSWORD)
    Profile.objects.create(user=zoe, email_verified=True)
    User.objects.filter(pk=zoe.pk).update(email=NEW.upper())
    calls = blind_once(monkeypatch, address_change, "taken_by_another", False)

    response = member_client.post(confirm_path(link_mail))

    assert calls == [NEW]
    assert response.status_code == 409
    assert "belongs to another account by now" in response.text
    # Nor does the page name the account that has it (random tokens aside: a CSRF token
    # may spell "zoe").
    assert "zoe" not in without_tokens(response.text)
    member.refresh_from_db()
    zoe.refresh_from_db()
    assert member.email == "ada@example.org" and zoe.email == NEW.upper()
    # Nothing else of the change happened either; the request stays pending.
    assert Profile.objects.get(user=member).pending_email == NEW


# --- the admin ----------------------------------------------------------------------------


@pytest.fixture
def staff(make_member: Any) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(make_member("mod", is_staff=True, is_superuser=True))
    return client


def change_form(user: User, **changes: str) -> dict[str, str]:
    return {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-02",
        "date_joined_1": "10:00:00",
        **changes,
    }


def test_the_admin_refuses_an_address_another_account_has(staff: Client, make_member: Any) -> None:
    make_member("ada")
    bob = make_member("bob")
    url = f"/admin/auth/user/{bob.pk}/change/"
    page = staff.post(url, change_form(bob, email="ADA@example.org"))
    assert page.status_code == 200 and addresses.TAKEN in page.text
    bob.refresh_from_db()
    assert bob.email == "bob@example.org"

    ok = staff.post(url, change_form(bob, email="Bob@New.Example"))
    assert ok.status_code == 302
    bob.refresh_from_db()
    assert bob.email == "Bob@new.example"


def test_the_admin_add_form_asks_for_a_free_address(staff: Client, make_member: Any) -> None:
    make_member("ada")
    form = staff.get("/admin/auth/user/add/")
    assert form.status_code == 200 and 'name="email"' in form.text
    data = {
        "username": "carl",
        "email": "Ada@example.org",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    page = staff.post("/admin/auth/user/add/", data)
    assert page.status_code == 200 and addresses.TAKEN in page.text
    assert not User.objects.filter(username="carl").exists()

    added = staff.post("/admin/auth/user/add/", {**data, "email": "carl@example.org"})
    assert added.status_code == 302
    assert User.objects.get(username="carl").email == "carl@example.org"


@pytest.mark.parametrize("view", ["change", "add"])
def test_an_admin_form_that_loses_the_race_shows_the_error(
    staff: Client, make_member: Any, monkeypatch: pytest.MonkeyPatch, view: str
) -> None:
    make_member("ada")
    bob = make_member("bob")
    calls = blind_once(monkeypatch, addresses, "held_by_another", False)
    if view == "change":
        url, data = f"/admin/auth/user/{bob.pk}/change/", change_form(bob, email="ADA@example.org")
    else:
        url = "/admin/auth/user/add/"
        data = {"username": "carl", "email": "ADA@example.org", "usable_password": "false"}

    page = staff.post(url, data)

    # The index refused the save; checked again, the form shows the site's error.
    assert len(calls) == 2
    assert page.status_code == 200 and addresses.TAKEN in page.text
    bob.refresh_from_db()
    assert bob.email == "bob@example.org"
    assert not User.objects.filter(username="carl").exists()
    assert User.objects.filter(email__iexact="ada@example.org").count() == 1


# --- createsuperuser ----------------------------------------------------------------------


def create_superuser(**options: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_superuser", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("given", ["option", "environment"])
def test_createsuperuser_refuses_a_taken_address(
    make_member: Any, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    make_member("ada")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STAFF_PASSWORD)
    options: dict[str, Any] = {"interactive": False, "username": "root"}
    if given == "option":
        options["email"] = "ADA@example.org"
    else:
        monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "ADA@example.org")
    with pytest.raises(CommandError, match="An account with this address already exists"):
        create_superuser(**options)
    assert not User.objects.filter(username="root").exists()


def test_createsuperuser_that_loses_the_race_says_the_address_is_taken(
    make_member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_member("ada")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STAFF_PASSWORD)
    calls = blind_once(monkeypatch, addresses, "held_by_another", False)
    with pytest.raises(CommandError, match="An account with this address already exists"):
        create_superuser(interactive=False, username="root", email="ADA@example.org")
    assert len(calls) == 2
    # The command ran in a savepoint: the test's transaction is still usable.
    assert not User.objects.filter(username="root").exists()


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_createsuperuser_asks_again_for_a_taken_address(
    make_member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_member("ada")
    answers = iter(["root", "Ada@example.org", "root@example.org"])
    prompts: list[str] = []

    def typed(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(builtins, "input", typed)
    password: Callable[..., str] = lambda prompt="Password: ": STAFF_PASSWORD  # noqa: E731
    monkeypatch.setattr("getpass.getpass", password)

    out, err = create_superuser(interactive=True, stdin=Terminal())

    assert err.count(f"Error: {addresses.TAKEN}") == 1
    assert [p for p in prompts if p.startswith("Email")] == ["Email address: "] * 2
    root = User.objects.get(username="root")
    assert root.is_superuser and root.email == "root@example.org"
    assert "Superuser created successfully." in out
