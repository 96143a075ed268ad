"""`paperwire export [FILE|-]`: every paper as JSONL that `paperwire import` reads back."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from paperwire.papers.management.commands._schema import require_migrated
from paperwire.papers.transfer import export_papers


class Command(BaseCommand):
    help = (
        "Export every paper as JSONL to FILE, or to standard output for '-' (the default). "
        'Each line has id and, when known, arxiv_id and authors as [{"name": …}].'
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Usage lines name the command as people type it (`paperwire export`).
        return super().create_parser(prog_name, "export", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="output path, or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["file"]
        require_migrated()
        if target == "-":
            # self.stdout, not sys.stdout: call_command(stdout=…) must capture the export too.
            count = export_papers(self.stdout)  # type: ignore[arg-type]
            self.stdout.flush()
            self.stderr.write(f"exported {count} paper(s)")
            return
        path = Path(target)
        if path.is_dir():
            raise CommandError(
                f"{path}: a directory, not a file. "
                f"Give a file's path, such as {path / 'papers.jsonl'}."
            )
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent}: no such directory. Create it or pick another path.")
        # Write beside the target and rename, so a failed export never leaves half a file.
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        except OSError as exc:
            raise CommandError(
                f"{path}: cannot write there ({exc.strerror}). Pick a directory you can write to."
            ) from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                count = export_papers(fh)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise CommandError(
                f"{path}: cannot write the export ({exc.strerror}); nothing was written there."
            ) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.stdout.write(f"exported {count} paper(s) to {path}")
