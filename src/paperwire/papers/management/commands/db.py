"""`paperwire db check` and `paperwire db copy --from … --to postgresql://…`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, Error, connections
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeRemainingColumn

from paperwire.papers.backends import database
from paperwire.papers.dbcopy import CopyProblem, copy_database
from paperwire.papers.dbtools import (
    DatabaseProblem,
    check_database,
    connect,
    explain,
    pending_migrations,
    where,
)
from paperwire.papers.secretkey import accept_secret_key, key_source
from paperwire.progresslines import lines_to
from paperwire.settings import database_from_url

SOURCE, TARGET = "copy_source", "copy_target"
TO_URL = "the --to URL"


def add_database(alias: str, url: str, option: str) -> None:
    """Register a connection alias for a database URL (or a SQLite file path)."""
    try:
        params = database_from_url(url, Path(settings.DATA_DIR), source=option)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    connections.settings[alias] = connections.configure_settings({DEFAULT_DB_ALIAS: params})[
        DEFAULT_DB_ALIAS
    ]


def _url_of(text: str, option: str) -> str:
    """A URL as given, or a SQLite file path made into one (it must exist)."""
    if "://" in text:
        if text.startswith("sqlite:") and option == "--from":
            path = Path(database_from_url(text, Path(settings.DATA_DIR))["NAME"])  # type: ignore[arg-type]
            if not path.is_file():
                raise CommandError(f"{option}: no SQLite database at {path}")
        return text
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        path = path / "paperwire.sqlite3"  # a PAPERWIRE_DATA_DIR
    if not path.is_file():
        raise CommandError(
            f"{option} {text}: no such SQLite file; give the path of paperwire.sqlite3 "
            "(or its data directory) or a database URL"
        )
    return f"sqlite:///{path}"


class Command(BaseCommand):
    help = (
        "Database tools. `db check`: connection, server version, pgvector, migrations, "
        "index health (SQLite: journal mode, integrity, full-text index). `db copy --from "
        "SRC --to URL`: copy a whole install (e.g. the embedded SQLite file) to another "
        "database (PostgreSQL), resumable, verified by row counts and checksums."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{check,copy,accept-key}")
        check = sub.add_parser("check", help="report on the configured database")
        check.add_argument(
            "--url", help="check this database URL instead of PAPERWIRE_DATABASE_URL"
        )
        copy = sub.add_parser("copy", help="copy every table to another database")
        copy.add_argument(
            "--from",
            dest="source",
            required=True,
            help="SQLite file or data directory, or a database URL",
        )
        copy.add_argument("--to", dest="target", required=True, help="postgresql://user@host/db")
        copy.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
        sub.add_parser(
            "accept-key",
            help="record this environment's secret key as the site's, when the old one is "
            "lost (members log in again; links already mailed stop working)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            self.check_command(options.get("url"))
        elif options["action"] == "accept-key":
            self.accept_key_command()
        else:
            self.copy_command(options["source"], options["target"], options["batch_size"])

    def check_command(self, url: str | None) -> None:
        alias = DEFAULT_DB_ALIAS
        if url:
            add_database("check_target", url, "--url")
            alias = "check_target"
        report = check_database(alias)
        styles = {
            "ok": self.style.SUCCESS,
            "warning": self.style.WARNING,
            "error": self.style.ERROR,
        }
        for status, text in report.lines:
            self.stdout.write(f"{styles[status](f'{status:>7}')}  {text}")
        if report.failed:
            raise CommandError("the database needs attention (see the errors above)")

    def accept_key_command(self) -> None:
        try:
            connect()
        except DatabaseProblem as exc:
            raise CommandError(str(exc)) from None
        changed = accept_secret_key()
        self.stdout.write(
            f"the secret key of {key_source()} is now the site's key in {where()}"
            if changed
            else f"the secret key of {key_source()} already is the site's key in {where()}"
        )

    def copy_command(self, source_text: str, target_text: str, batch: int) -> None:
        if batch < 1:
            raise CommandError("--batch-size must be at least 1")
        add_database(SOURCE, _url_of(source_text, "--from"), "--from")
        add_database(TARGET, _url_of(target_text, "--to"), "--to")
        if connections[SOURCE].settings_dict == connections[TARGET].settings_dict:
            raise CommandError("--from and --to are the same database")
        try:
            self._prepare(source_text, target_text)
        except DatabaseProblem as exc:
            raise CommandError(str(exc)) from None
        console = Console(highlight=False, soft_wrap=True)
        try:
            if console.is_terminal:
                with Progress(
                    "[progress.description]{task.description}",
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=console,
                ) as bars:
                    tasks: dict[str, TaskID] = {}

                    def show(table: str, done: int, total: int) -> None:
                        if table not in tasks:
                            tasks[table] = bars.add_task(table, total=total)
                        bars.update(tasks[table], completed=done)

                    results = copy_database(SOURCE, TARGET, batch=batch, progress=show)
            else:
                # A log or a pipe: plain lines with the real elapsed time.
                lines = lines_to(self.stdout)
                results = copy_database(SOURCE, TARGET, batch=batch, progress=lines.update)
                lines.finish()
        except CopyProblem as exc:
            raise CommandError(str(exc)) from None
        except Error as exc:
            raise CommandError(
                f"the copy stopped: {explain(exc, TARGET, TO_URL)}. What was copied is "
                "kept: run the same command again to complete it"
            ) from None
        wrong = [r for r in results if not r.equal]
        rows = sum(r.target_rows for r in results)
        copied = sum(r.copied for r in results)
        for r in wrong:
            self.stderr.write(
                f"{r.table}: source {r.source_rows} rows, target {r.target_rows} rows"
                + ("" if r.source_rows != r.target_rows else ", contents differ")
            )
        if wrong:
            raise CommandError(
                f"{len(wrong)} table(s) differ after the copy (see above): was the source "
                "written to meanwhile? Stop every paperwire process using it and run the "
                "copy again"
            )
        self.stdout.write(
            f"copied {copied} rows; verified {len(results)} tables, {rows} rows: "
            f"row counts and checksums equal ({where(SOURCE)} -> {where(TARGET)})"
        )

    def _prepare(self, source_text: str, target_text: str) -> None:
        connect(SOURCE, "the --from path or URL")
        connect(TARGET, "the --to URL")
        pending = pending_migrations(SOURCE)
        if pending:
            raise DatabaseProblem(
                f"the source ({where(SOURCE)}) has {len(pending)} migration(s) to apply: "
                "run `paperwire migrate` against it first, with the same paperwire version"
            )
        problem = database(TARGET).before_migrate_problem()
        if problem:
            raise DatabaseProblem(problem)
        try:
            call_command("migrate", database=TARGET, interactive=False, verbosity=0)
        except Error as exc:
            raise DatabaseProblem(
                f"could not create the schema in {where(TARGET)}: {explain(exc, TARGET, TO_URL)}"
            ) from None
        except (CommandError, RuntimeError) as exc:  # a migration's own explanation (pgvector)
            raise DatabaseProblem(
                f"could not create the schema in {where(TARGET)}: {exc}"
            ) from None
