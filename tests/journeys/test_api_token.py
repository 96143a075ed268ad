"""A member makes API tokens in the settings; the Hugging Face CLI (`hf auth whoami`,
HF_TOKEN and HF_ENDPOINT) names them; with the token a script reads For you, saves,
upvotes, collects and comments; a read token cannot write; a revoked token is refused."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from huggingface_hub import HfApi

from support import bin_path

from .helpers import PASSWORD, Site, log_in, sign_up


def make_token(page: Any, name: str, scope: str) -> str:
    from playwright.sync_api import expect

    tokens = page.locator("#tokens")
    tokens.get_by_label("Token name").fill(name)
    tokens.get_by_label(scope).check()
    tokens.get_by_role("button", name="Create token").click()
    expect(page.locator(".new-token")).to_be_visible()
    token = page.locator("#new-token").input_value()
    assert token.startswith("pw_")
    return str(token)


def hf_whoami(site: Site, token: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(
        HF_TOKEN=token,
        HF_ENDPOINT=site.url,
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HOME=str(site.data_dir / "hf-home"),
    )
    command = [bin_path("hf"), "auth", "whoami"]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def api(site: Site, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(site.url + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_token_whoami_and_the_api_with_a_real_token(page: Any, site: Site, watch: Any) -> None:
    from playwright.sync_api import expect

    sign_up(page, site, "tom")
    log_in(page, site, "tom")
    page.goto(site.url + "/settings")
    write = make_token(page, "my script", "Write: also upvote")
    page.reload()
    expect(page.locator(".new-token")).to_have_count(0)  # shown once, never again
    row = page.locator("table.token-table tr").filter(has_text="my script")
    expect(row).to_contain_text("write")
    expect(row).to_contain_text("never")

    # The Hugging Face CLI, unchanged, names the member.
    done = hf_whoami(site, write)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tom" in done.stdout, done.stdout

    status, ranked = api(site, write, "GET", "/api/me/for-you?limit=5")
    assert status == 200 and len(ranked) == 5 and all("reason" in item for item in ranked)
    first, second = ranked[0]["paper"]["id"], ranked[1]["paper"]["id"]
    assert api(site, write, "POST", f"/api/me/saves/{first}")[1]["saved"] is True
    assert api(site, write, "POST", f"/api/papers/{second}/upvote")[1]["upvoted"] is True
    status, made = api(
        site, write, "POST", "/api/me/collections", {"title": "From a script", "private": False}
    )
    assert status == 201
    pk = made["slug"].rsplit("-", 1)[1]
    for paper_id in (first, second):
        assert (
            api(site, write, "POST", f"/api/me/collections/{pk}/papers", {"paper": paper_id})[0]
            == 200
        )
    status, ordered = api(
        site, write, "PUT", f"/api/me/collections/{pk}/order", {"papers": [second, first]}
    )
    assert status == 200 and [i["id"] for i in ordered["items"]] == [second, first]
    hub = HfApi(endpoint=site.url, token=False).get_collection(made["slug"])
    assert hub.title == "From a script" and [i.item_id for i in hub.items] == [second, first]
    # The client's link to the collection (the Hub's address) opens its page.
    assert hub.url == f"{site.url}/collections/{made['slug']}"
    page.goto(hub.url)
    expect(page.locator("h1")).to_have_text("From a script")
    assert page.url == f"{site.url}/collections/{pk}"
    status, comment = api(
        site, write, "POST", f"/api/papers/{first}/comment", {"comment": "Via the *API*"}
    )
    assert status == 201
    status, _ = api(
        site,
        write,
        "POST",
        f"/api/papers/{first}/comment/{comment['id']}/reply",
        {"comment": "And a reply"},
    )
    assert status == 201
    status, thread = api(site, write, "GET", f"/api/papers/{first}/comments")
    assert [c["data"]["latest"]["raw"] for c in thread][-2:] == ["Via the *API*", "And a reply"]

    # What the script did shows on the site.
    page.goto(site.url + f"/papers/{first}")
    expect(page.locator(".discussion")).to_contain_text("Via the API")
    expect(page.locator(".paper-vote .save-button")).to_have_text("★ Saved")
    page.goto(site.url + "/library")
    expect(page.locator("main")).to_contain_text("From a script")

    # A read token reads and cannot write; a revoked token is refused.
    page.goto(site.url + "/settings")
    read = make_token(page, "reader", "Read: your profile")
    assert api(site, read, "GET", "/api/whoami-v2")[1]["auth"]["accessToken"]["role"] == "read"
    status, refused = api(site, read, "POST", f"/api/me/saves/{second}")
    assert status == 403 and "write scope" in refused["error"]
    page.locator("table.token-table tr").filter(has_text="my script").get_by_role(
        "button", name="Revoke"
    ).click()
    expect(page.locator(".messages")).to_contain_text("The token is revoked")
    assert api(site, write, "GET", "/api/whoami-v2")[0] == 401
    gone = hf_whoami(site, write)
    assert gone.returncode != 0 and "tom" not in gone.stdout

    # The member's own data, and the end of the account, through the API too.
    status, data = api(site, read, "GET", "/api/me/data")
    assert status == 200 and data["profile"]["username"] == "tom"
    assert [c["body"] for c in data["comments"]] == ["Via the *API*", "And a reply"]
    assert {t["name"] for t in data["tokens"]} == {"reader"}
    page.goto(site.url + "/settings")
    last = make_token(page, "last one", "Write: also upvote")
    assert api(site, last, "DELETE", "/api/me", {"password": "wrong"})[0] == 403
    assert api(site, last, "DELETE", "/api/me", {"password": PASSWORD}) == (200, {"deleted": "tom"})
    assert api(site, read, "GET", "/api/whoami-v2")[0] == 401
    page.goto(site.url + f"/papers/{first}")
    expect(page.locator(".discussion")).to_contain_text("[deleted]")
