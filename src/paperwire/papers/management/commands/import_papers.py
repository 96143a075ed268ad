"""`paperwire import FILE`: load papers from JSONL or a /api/daily_papers JSON array."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from paperwire.papers.management.commands._schema import require_migrated
from paperwire.papers.transfer import import_file


class Command(BaseCommand):
    help = (
        "Import papers from FILE: JSONL (one paper per line, the shared/data format or our "
        "export) or a JSON array as /api/daily_papers returns. Papers already stored are "
        "matched by arXiv id or id (by title only when a record has no id) and updated, "
        "never duplicated. Bad lines are "
        "reported with their numbers; the rest is imported."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Usage lines name the command as people type it (`paperwire import`).
        return super().create_parser(prog_name, "import", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the file to import")
        parser.add_argument(
            "--quiet", action="store_true", help="print only problems and the summary"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            what = "a directory, not a file" if path.is_dir() else "no such file"
            raise CommandError(f"{path}: {what}. Give the path of a .jsonl or .json file.")
        require_migrated()
        console = Console(stderr=True)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=options["quiet"] or not console.is_terminal,
            transient=True,
        ) as bar:
            task = bar.add_task(f"importing {path.name}", total=path.stat().st_size)
            result = import_file(path, progress=lambda n: bar.advance(task, n))
        for problem in result.problems:
            self.stderr.write(f"{path}:{problem}")
        self.stdout.write(
            f"{path}: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged, {len(result.problems)} problem(s)"
        )
        errors = [p for p in result.problems if not p.stored]
        if errors:
            raise CommandError(
                f"{len(errors)} line(s) were not imported; fix them and import the file again "
                "(lines already imported are matched, not duplicated)"
            )
