"""`paperwire load_demo`: the bundled demo papers, into an empty database only."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from paperwire.papers.models import Paper
from paperwire.papers.transfer import import_file


def demo_path() -> Path:
    return Path(str(resources.files("paperwire") / "data" / "demo_papers.jsonl"))


class Command(BaseCommand):
    help = (
        "Load the bundled demo papers (the 137 papers of the captured Daily Papers pages) "
        "when the database holds no papers; does nothing otherwise."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Usage lines name the command as people type it (`paperwire load-demo`).
        return super().create_parser(prog_name, "load-demo", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="import even if papers exist")

    def handle(self, *args: Any, **options: Any) -> None:
        if Paper.objects.exists() and not options["force"]:
            self.stdout.write("database already holds papers; demo data not loaded")
            return
        result = import_file(demo_path())
        self.stdout.write(f"loaded {result.created} demo paper(s)")
