"""WSGI entry point: `granian --interface wsgi paperwire.wsgi:application`."""

import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")

application = get_wsgi_application()


def _warm() -> None:
    from django.urls import get_resolver

    from paperwire.search.engine import warm

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    warm()


# Each web process imports its views and loads its embedding model as it starts, beside
# its first requests rather than in one of them.
threading.Thread(target=_warm, name="paperwire-warm", daemon=True).start()
