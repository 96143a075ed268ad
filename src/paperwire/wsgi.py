"""WSGI entry point: `granian --interface wsgi paperwire.wsgi:application`."""

import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")

application = get_wsgi_application()


def _warm() -> None:
    from paperwire.search.engine import warm

    warm()


# Each web process loads its embedding model beside its first requests, not in one.
threading.Thread(target=_warm, name="paperwire-warm", daemon=True).start()
