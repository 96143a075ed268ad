from django.apps import AppConfig
from django.conf import settings


class IngestConfig(AppConfig):
    name = "paperwire.ingest"
    label = "ingest"

    def ready(self) -> None:
        # Here, not in settings.py: the taxonomy and the sources are the ingest app's,
        # below settings' users.
        from paperwire.ingest.categories import check_categories_setting
        from paperwire.ingest.options import check_parse_ahead_setting, check_source_setting

        check_categories_setting(list(getattr(settings, "PAPERWIRE_INGEST_CATEGORIES", [])))
        check_source_setting(str(getattr(settings, "PAPERWIRE_INGEST_SOURCE", "oai")))
        check_parse_ahead_setting(str(getattr(settings, "PAPERWIRE_INGEST_PARSE_AHEAD", "auto")))
