"""`paperwire web`: the web server alone, for running many of them against one database."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from paperwire.papers.dbtools import DatabaseProblem, connect, pending_migrations, where
from paperwire.papers.management.commands.serve import (
    add_server_arguments,
    checked_port,
    collect_static,
    free_or_fail,
    granian_argv,
    port_from_env,
    settle_site_url,
    where_mail_goes,
)
from paperwire.papers.secretkey import check_secret_key
from paperwire.papers.supervisor import Supervisor


class Command(BaseCommand):
    help = (
        "Serve the site only: no migrations, no demo data, no background worker. Run any "
        "number of these (on any machines) against one PostgreSQL database behind a "
        "reverse proxy, and `paperwire worker` beside them; run `paperwire migrate` once "
        "before starting them after an upgrade (docs/deployment.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        port = port_from_env() if options["port"] is None else checked_port(options["port"])
        free_or_fail(options["host"], port)
        try:
            connect()
        except DatabaseProblem as exc:
            raise CommandError(str(exc)) from None
        pending = pending_migrations()
        if pending:
            # Serving a schema older than the code would fail on the first page instead.
            raise CommandError(
                f"{where()} has {len(pending)} migration(s) to apply: run `paperwire migrate` "
                "once (not from every web process), then start `paperwire web` again"
            )
        check_secret_key()  # a process with another key would log members out
        collect_static()  # static files live on each machine (PAPERWIRE_DATA_DIR/static)
        # Pages rendered by an older release of the templates must not outlive it (the
        # cache is shared by every web process: each one starting clears it once).
        cache.clear()
        url = f"http://{options['host']}:{port}/"
        site_url = settle_site_url(options["host"], port)
        self.stdout.write(f"paperwire web serving {url} (database: {where()})")
        self.stdout.write(where_mail_goes(site_url))
        self.stdout.flush()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")
        connections.close_all()  # the server's processes open their own
        supervisor = Supervisor()
        supervisor.start(granian_argv(options["host"], port, options))
        sys.exit(supervisor.wait())
