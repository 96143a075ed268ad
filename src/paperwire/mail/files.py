"""Where mail goes when no SMTP server is configured: one .eml file per mail.

`$PAPERWIRE_DATA_DIR/mail/20261203T083242.123456Z-4242-1.eml`: the names sort by the
time they were written; any mail program opens them. Each mail's recipient, subject and
links also go to the server's log, so a person running `make run` can follow a
verification link without opening a file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import re
import threading
from collections.abc import Sequence
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

log = logging.getLogger("paperwire.mail")

LINK = re.compile(r"https?://[^\s<>\"')\]]+")
_counter = itertools.count(1)
_counter_lock = threading.Lock()


def mail_dir() -> Path:
    return Path(getattr(settings, "PAPERWIRE_MAIL_DIR", settings.DATA_DIR / "mail"))


class EmlFileBackend(BaseEmailBackend):
    """Writes each message as one .eml file (atomically: a reader never sees half)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = mail_dir()
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            try:
                path = self._write(folder, message)
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            _log_mail(message, path)
            sent += 1
        return sent

    def _write(self, folder: Path, message: EmailMessage) -> Path:
        now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        with _counter_lock:
            n = next(_counter)
        name = f"{now}-{os.getpid()}-{n}.eml"
        data = message.message().as_bytes(linesep="\n")
        partial = folder / f".{name}.part"
        with open(partial, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        final = folder / name
        os.replace(partial, final)
        return final


def _log_mail(message: EmailMessage, path: Path) -> None:
    parsed: Any = message_from_bytes(message.message().as_bytes(), policy=policy.default)
    links: list[str] = []
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            links += LINK.findall(part.get_content())
    shown = " ".join(dict.fromkeys(link.rstrip(".,;") for link in links))
    log.info(
        "mail to %s: %r written to %s%s",
        ", ".join(message.to),
        message.subject,
        path,
        f"; links: {shown}" if shown else "",
    )
