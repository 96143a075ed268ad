"""WSGI entry point: `granian --interface wsgi paperwire.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperwire.settings")

application = get_wsgi_application()
