"""A worker mails links (digests, retried sign-up mail) but serves no page, so it cannot
learn the site's address from a request: it says at start where its mail goes and which
address the links use, and warns when that address is only a guess."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from pathlib import Path

from support import bin_path, cli_env, copy_database, run_cli

GUESS = "a guess: PAPERWIRE_SITE_URL is not set"


def test_a_worker_without_the_site_url_says_its_links_are_a_guess(
    migrated_template: Path, tmp_path: Path
) -> None:
    copy_database(migrated_template, tmp_path)  # as `paperwire migrate` leaves it

    done = run_cli("worker", "--once", data_dir=tmp_path, PAPERWIRE_SITE_URL="")
    assert done.returncode == 0, done.stderr
    assert "note: links in mails use http://127.0.0.1:" in done.stderr
    assert GUESS in done.stderr
    assert "set PAPERWIRE_SITE_URL to the site's public address" in done.stderr

    site = "https://papers.example.org"
    done = run_cli("worker", "--once", data_dir=tmp_path, PAPERWIRE_SITE_URL=site)
    assert done.returncode == 0, done.stderr
    assert GUESS not in done.stderr

    # A `serve` or `web` on this data directory noted the address it serves: no guess.
    (tmp_path / "site_url").write_text("http://10.0.0.11:8001\n")
    done = run_cli("worker", "--once", data_dir=tmp_path, PAPERWIRE_SITE_URL="")
    assert done.returncode == 0, done.stderr
    assert GUESS not in done.stderr


def test_a_polling_worker_names_where_mail_goes(migrated_template: Path, tmp_path: Path) -> None:
    copy_database(migrated_template, tmp_path)  # as `paperwire migrate` leaves it
    env = cli_env(
        tmp_path, PAPERWIRE_SITE_URL="https://papers.example.org",
        PAPERWIRE_EMAIL_HOST="127.0.0.1", PAPERWIRE_EMAIL_PORT="2525",
    )  # fmt: skip
    worker = subprocess.Popen(
        [bin_path("paperwire"), "worker", "--poll", "600"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    out = ""
    try:
        assert worker.stdout is not None
        deadline = time.monotonic() + 60
        while out.count("\n") < 2 and time.monotonic() < deadline:
            if select.select([worker.stdout], [], [], 0.5)[0]:
                # The pipe's own bytes: a buffered readline could hide the next line.
                chunk = os.read(worker.stdout.fileno(), 4096).decode()
                if not chunk:
                    break
                out += chunk
    finally:
        worker.send_signal(signal.SIGTERM)
        rest, err = worker.communicate(timeout=60)
    lines = [*(out + rest).splitlines(), "", ""]
    assert lines[0].startswith("worker polling every 600 s"), (lines, err)
    assert lines[1].strip() == (
        "mail: by SMTP through 127.0.0.1:2525 (links use https://papers.example.org)"
    ), (lines, err)
    assert "note:" not in err
