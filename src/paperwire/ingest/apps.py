from django.apps import AppConfig
from django.conf import settings


class IngestConfig(AppConfig):
    name = "paperwire.ingest"
    label = "ingest"

    def ready(self) -> None:
        # Here, not in settings.py: the taxonomy is the ingest app's, below settings' users.
        from paperwire.ingest.categories import check_categories_setting

        check_categories_setting(list(getattr(settings, "PAPERWIRE_INGEST_CATEGORIES", [])))
