"""With no SMTP server configured, each mail is one .eml file in the data directory,
named so the files sort by time, and named in the log with its links."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

BACKEND = "paperwire.mail.files.EmlFileBackend"


def test_each_mail_is_one_eml_file_sorted_by_time_and_logged(
    tmp_path: Path, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.PAPERWIRE_MAIL_DIR = tmp_path / "mail"
    caplog.set_level(logging.INFO, logger="paperwire.mail")
    connection = get_connection(BACKEND)
    for n in range(3):
        message = EmailMultiAlternatives(
            f"Message {n}",
            f"Open http://127.0.0.1:8611/verify/t{n} soon.",
            to=[f"r{n}@example.org"],
        )
        message.attach_alternative(f"<p>{n}</p>", "text/html")
        assert connection.send_messages([message]) == 1

    files = sorted((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml"] * 3, "only whole .eml files, no partial ones"
    parsed = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert [str(m["Subject"]) for m in parsed] == ["Message 0", "Message 1", "Message 2"]
    assert str(parsed[1]["To"]) == "r1@example.org"
    assert parsed[2].get_body(("html",)) is not None

    lines = [r.getMessage() for r in caplog.records if r.name == "paperwire.mail"]
    assert len(lines) == 3
    assert "r1@example.org" in lines[1] and "Message 1" in lines[1]
    assert "http://127.0.0.1:8611/verify/t1" in lines[1] and str(files[1]) in lines[1]


def test_without_an_smtp_host_mail_goes_to_files(tmp_path: Path) -> None:
    from support import run_cli

    done = run_cli(
        "shell", "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)",
        data_dir=tmp_path,
    )  # fmt: skip
    assert done.stdout.splitlines()[-1] == BACKEND
    smtp = run_cli(
        "shell", "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)",
        data_dir=tmp_path, PAPERWIRE_EMAIL_HOST="mail.example.org",
    )  # fmt: skip
    assert smtp.stdout.splitlines()[-1] == "django.core.mail.backends.smtp.EmailBackend"
