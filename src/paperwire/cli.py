"""The `paperwire` command. Each subcommand is a Django management command;
this front end gives them their public names and a short overview."""

from __future__ import annotations

import os
import sys

# Public name -> (management command, one-line description).
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "migrate, load demo data into an empty database, serve the site"),
    "migrate": ("migrate", "create or upgrade the database schema"),
    "import": ("import_papers", "import papers from a JSONL file or a JSON array"),
    "export": ("export_papers", "export every paper as JSONL (to a file, or - for stdout)"),
    "digest": ("digest", "compose and send e-mail digests (digest send [--dry-run])"),
    "load-demo": ("load_demo", "load the bundled demo papers into an empty database"),
    "createsuperuser": ("create_superuser", "create a staff account for /admin/"),
    "check": ("check", "check the configuration for problems"),
    "ingest": ("ingest", "harvest arXiv (ingest arxiv --categories … --since …) or show status"),
    "web": ("web", "serve the site only (no migrate, demo or worker): one of many web processes"),
    "worker": ("worker", "run scheduled jobs (the daily arXiv ingest) until stopped"),
    "db": (
        "db",
        "db check: database health; db copy --from SQLITE --to postgresql://…; db accept-key",
    ),
    "token": ("token", "API tokens: token create USERNAME --name NAME [--write] prints one"),
    "search": ("search", 'search papers: paperwire search "query" [--json]'),
    "embed": ("embed", "compute missing paper embeddings for semantic search (resumable)"),
}


# SQLSTATEs of undefined_table and undefined_column.
_SCHEMA_MISSING = {"42P01", "42703"}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: paperwire COMMAND [options]   (paperwire COMMAND --help for its options)",
        "",
        "A self-hostable Daily Papers site.",
        "",
        "commands:",
        *(f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()),
        "",
        "Every Django management command is also available (paperwire help --all).",
        "Configuration: PAPERWIRE_DATA_DIR, PAPERWIRE_DATABASE_URL, PORT, … "
        "(see docs/configuration.md).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] in {"-h", "--help", "help"} and args[1:] != ["--all"]):
        print(usage())
        return
    if args[0] in {"--version", "version"}:
        from paperwire import __version__

        print(f"paperwire {__version__}")
        return
    if args[:2] == ["help", "--all"]:
        args = ["help"]
    elif args[0] in COMMANDS:
        args[0] = COMMANDS[args[0]][0]
    # Django prints a command's refusal as "CommandError: …" (the exception's class name).
    # With --traceback it raises it instead, and the refusal is printed below as every
    # other error of this command is: "paperwire: …". Asked for by the user, the
    # traceback is theirs.
    wants_traceback = "--traceback" in args
    if args[0] != "help" and not args[0].startswith("-") and not wants_traceback:
        args.insert(1, "--traceback")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError:  # pragma: no cover - a broken install
        sys.exit("paperwire: Django is not installed here; run `make install` first")
    from django.core.management.base import CommandError, SystemCheckError
    from django.db import OperationalError, ProgrammingError

    try:
        execute_from_command_line(["paperwire", *args])
    except CommandError as exc:
        if wants_traceback:
            raise
        # A failed system check formats its own report.
        print(exc if isinstance(exc, SystemCheckError) else f"paperwire: {exc}", file=sys.stderr)
        sys.exit(exc.returncode)
    except ValueError as exc:
        # Bad settings from the environment (e.g. PAPERWIRE_DATABASE_URL): say so, no traceback.
        sys.exit(f"paperwire: {exc}")
    except OperationalError as exc:
        # The database is unreachable, refuses us, or is missing: one line, no traceback.
        from paperwire.papers.dbtools import explain

        sys.exit(f"paperwire: {explain(exc)}")
    except ProgrammingError as exc:
        # PostgreSQL reports a table or column that is not there (a schema not migrated,
        # or older than the code) as a programming error; SQLite as an operational one.
        if getattr(exc.__cause__, "sqlstate", None) not in _SCHEMA_MISSING:
            raise
        from paperwire.papers.dbtools import explain

        sys.exit(f"paperwire: {explain(exc)}")
    except BrokenPipeError:
        # The reader left (`paperwire export - | head`): stop quietly, as other tools do.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)  # 128 + SIGPIPE, what a shell reports for a killed pipe writer


if __name__ == "__main__":
    main()
